"""fee_schedules: operator-added fee schedules shared by every server

Revision ID: 0024_fee_schedules
Revises: 0023_shared_drafts
Create Date: 2026-12-05 17:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from patentdesk.db import UTCDateTime

revision: str = "0024_fee_schedules"
down_revision: str | Sequence[str] | None = "0023_shared_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fee_schedules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedules")),
    )


def downgrade() -> None:
    op.drop_table("fee_schedules")
