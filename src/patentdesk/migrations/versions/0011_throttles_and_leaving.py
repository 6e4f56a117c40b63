"""sms_codes.ip for per-source SMS limits; handlers and sub-accounts record leaving

Revision ID: 0011_throttles_and_leaving
Revises: 0008_submission_package_id
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from patentdesk.db import UTCDateTime

revision: str = "0011_throttles_and_leaving"
down_revision: str | Sequence[str] | None = "0009_fee_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_sms_codes_ip_created_at", ["ip", "created_at"], unique=False)
        batch_op.create_index("ix_sms_codes_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("handlers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sub_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sub_accounts", schema=None) as batch_op:
        batch_op.drop_column("left_at")
    with op.batch_alter_table("handlers", schema=None) as batch_op:
        batch_op.drop_column("left_at")
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_codes_created_at")
        batch_op.drop_index("ix_sms_codes_ip_created_at")
        batch_op.drop_column("ip")
