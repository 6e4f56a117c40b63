"""fees: accounts verified by the bank before any deduction; one pending payment per case

Revision ID: 0009_fee_verification
Revises: 0008_submission_package_id
Create Date: 2026-12-05 09:00:00

Accounts registered before this revision were never verified by a bank: they become
``pending`` (with no bank order) and deduct nothing until re-added and verified. Of several
payments of one case awaiting the bank, the newest stays pending and the others are
cancelled (a charge is not paid twice).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import patentdesk.db

revision: str = "0009_fee_verification"
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
        batch_op.add_column(
            sa.Column("verified_at", patentdesk.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_fee_deduction_authorizations_gateway_reference"),
            ["gateway_reference"],
        )
    with op.batch_alter_table("fee_deduction_authorizations", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)

    payments = sa.table(
        "fee_payments",
        sa.column("id", sa.Uuid()),
        sa.column("case_id", sa.Uuid()),
        sa.column("status", sa.String(16)),
        sa.column("created_at", patentdesk.db.UTCDateTime(timezone=True)),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(payments.c.id, payments.c.case_id)
        .where(payments.c.status == "pending")
        .order_by(payments.c.case_id, payments.c.created_at.desc())
    ).all()
    seen = set()
    for row_id, case_id in rows:
        if case_id in seen:
            conn.execute(
                payments.update().where(payments.c.id == row_id).values(status="cancelled")
            )
        seen.add(case_id)
    op.create_index(
        "uq_fee_payments_one_pending",
        "fee_payments",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_fee_payments_one_pending", table_name="fee_payments")
    with op.batch_alter_table("fee_deduction_authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_fee_deduction_authorizations_gateway_reference"), type_="unique"
        )
        batch_op.drop_column("verified_at")
        batch_op.drop_column("gateway_reference")
        batch_op.drop_column("gateway")
        batch_op.drop_column("status")
