"""alerts: per-person alert settings and the queue of alerts to send (issue 17)

Revision ID: 0021_alerts
Revises: 0020_followup_rules
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from patentdesk.db import UTCDateTime

revision: str = "0021_alerts"
down_revision: str | Sequence[str] | None = "0020_followup_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_verified_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("email_token_hash", sa.String(length=64), nullable=True),
        sa.Column("email_token_expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("on_notices", sa.Boolean(), nullable=False),
        sa.Column("on_deadlines", sa.Boolean(), nullable=False),
        sa.Column("on_payments", sa.Boolean(), nullable=False),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        sa.Column("by_sms", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_settings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_settings")),
        sa.UniqueConstraint("email_token_hash", name=op.f("uq_alert_settings_email_token_hash")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_alerts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alerts_dedupe_key")),
    )
    op.create_index(
        "ix_alerts_status_next_attempt_at", "alerts", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_alerts_user_id"), "alerts", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_user_id"), table_name="alerts")
    op.drop_index("ix_alerts_status_next_attempt_at", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("alert_settings")
