"""environment_keys: the CA an environment's database belongs to

Revision ID: 0022_environment_keys
Revises: 0021_alerts
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from patentdesk.db import UTCDateTime

revision: str = "0022_environment_keys"
down_revision: str | Sequence[str] | None = "0021_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "environment_keys",
        sa.Column("environment", sa.String(length=32), nullable=False),
        sa.Column("ca_key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("ca_certificate_pem", sa.Text(), nullable=False),
        sa.Column("office_key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("key_storage", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("environment", name=op.f("pk_environment_keys")),
    )


def downgrade() -> None:
    op.drop_table("environment_keys")
