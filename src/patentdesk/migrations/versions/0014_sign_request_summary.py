"""qr_requests.summary: what the phone shows about a package to sign (id, files, applicants)

Revision ID: 0014_sign_request_summary
Revises: 0013_filing_short_transaction
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_sign_request_summary"
down_revision: str | Sequence[str] | None = "0013_filing_short_transaction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("qr_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("qr_requests", schema=None) as batch_op:
        batch_op.drop_column("summary")
