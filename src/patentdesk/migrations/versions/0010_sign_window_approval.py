"""sign_windows.approval_digest: a no-scan-window approval opens one window, once

Revision ID: 0010_sign_window_approval
Revises: 0011_throttles_and_leaving
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_sign_window_approval"
down_revision: str | Sequence[str] | None = "0011_throttles_and_leaving"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Windows opened before have no digest (NULL, which the unique constraint allows).
    with op.batch_alter_table("sign_windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_sign_windows_approval_digest"), ["approval_digest"]
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_windows", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sign_windows_approval_digest"), type_="unique")
        batch_op.drop_column("approval_digest")
