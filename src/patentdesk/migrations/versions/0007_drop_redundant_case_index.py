"""drop ix_cases_domain_filed: ix_cases_domain_filed_id covers it

(domain_id, filing_date) is a prefix of the query domain's (domain_id, filing_date, id), so
every lookup the shorter index served is served by the longer one, and each filing paid for
one more B-tree write.

Revision ID: 0007_drop_redundant_case_index
Revises: 0006_merge
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_drop_redundant_case_index"
down_revision: str | Sequence[str] | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_cases_domain_filed", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_domain_filed", "cases", ["domain_id", "filing_date"], unique=False)
