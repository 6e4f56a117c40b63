"""user_messages.text_en: a message in English for English pages

Revision ID: 0015_message_text_en
Revises: 0014_sign_request_summary
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_message_text_en"
down_revision: str | Sequence[str] | None = "0014_sign_request_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Earlier messages keep only their Chinese text: English pages show it as it is.
    with op.batch_alter_table("user_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_messages", schema=None) as batch_op:
        batch_op.drop_column("text_en")
