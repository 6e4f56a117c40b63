"""merge query and fees

Revision ID: 0006_merge
Revises: 0004_query, 0005_fees
Create Date: 2026-11-25 06:24:29.271589
"""

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = ("0004_query", "0005_fees")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
