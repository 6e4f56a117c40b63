"""submissions.case_id and receipts.case_id may be empty: a third party's change filed on a
number nobody holds is received as one on an unpublished case is, and the office refuses it

Revision ID: 0012_submission_case_optional
Revises: 0011_throttles_and_leaving
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_submission_case_optional"
down_revision: str | Sequence[str] | None = "0010_sign_window_approval"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("submissions", "receipts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    for table in ("receipts", "submissions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
