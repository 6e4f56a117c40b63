"""fee_deduction_authorizations: verified by the bank before any deduction

Revision ID: 0009_fee_authorization_verification
Revises: 0008_submission_package_id
Create Date: 2026-12-05 09:00:00

Accounts registered before this revision were never verified by a bank: they become
``pending`` (with no bank order) and deduct nothing until re-added and verified.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import patentdesk.db

revision: str = "0009_fee_authorization_verification"
down_revision: str | Sequence[str] | None = "0008_submission_package_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fee_deduction_authorizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("gateway", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("gateway_reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("verified_at", patentdesk.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_fee_deduction_authorizations_gateway_reference"),
            ["gateway_reference"],
        )
    with op.batch_alter_table("fee_deduction_authorizations", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("fee_deduction_authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_fee_deduction_authorizations_gateway_reference"), type_="unique"
        )
        batch_op.drop_column("verified_at")
        batch_op.drop_column("gateway_reference")
        batch_op.drop_column("gateway")
        batch_op.drop_column("status")
