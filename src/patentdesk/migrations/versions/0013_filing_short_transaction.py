"""Filing in a short transaction: one live filing per package, receipts signed in the row

Revision ID: 0013_filing_short_transaction
Revises: 0012_submission_case_optional
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_filing_short_transaction"
down_revision: str | Sequence[str] | None = "0012_submission_case_optional"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_APPLICATION_FILING = (
    "business_type IN ('invention', 'utility', 'design', 'pct', 'pct-national') "
    "AND status <> 'refused'"
)


def upgrade() -> None:
    # A database that already holds two live filings of one package (the race this index
    # closes) must be cleaned up by the office first: the index refuses to build over them.
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_submissions_live_package",
            ["domain_id", "package_id"],
            unique=True,
            sqlite_where=sa.text(LIVE_APPLICATION_FILING),
            postgresql_where=sa.text(LIVE_APPLICATION_FILING),
        )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_signature", sa.LargeBinary(), nullable=True))
        batch_op.alter_column(
            "record_signature_sha256", existing_type=sa.String(length=64), nullable=True
        )
        batch_op.alter_column("pdf_sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column(
            "pdf_signature_sha256", existing_type=sa.String(length=64), nullable=True
        )


def downgrade() -> None:
    # Receipts whose PDF was never rendered cannot go back to NOT NULL columns.
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("record_signature")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("uq_submissions_live_package")
