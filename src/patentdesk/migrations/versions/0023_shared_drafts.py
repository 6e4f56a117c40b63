"""shared_drafts, web_session_secrets: drafts and web signing keys on a cluster

Revision ID: 0023_shared_drafts
Revises: 0022_environment_keys
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from patentdesk.db import UTCDateTime

revision: str = "0023_shared_drafts"
down_revision: str | Sequence[str] | None = "0022_environment_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("folder", sa.String(length=80), nullable=False),
        sa.Column("domain_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_drafts")),
    )
    op.create_index(op.f("ix_shared_drafts_folder"), "shared_drafts", ["folder"], unique=False)
    op.create_table(
        "web_session_secrets",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_web_session_secrets")),
    )


def downgrade() -> None:
    op.drop_table("web_session_secrets")
    op.drop_index(op.f("ix_shared_drafts_folder"), table_name="shared_drafts")
    op.drop_table("shared_drafts")
