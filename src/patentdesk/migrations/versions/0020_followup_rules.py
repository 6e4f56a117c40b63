"""Follow-up rules: notices.delivery (送达方式) and one live reexamination per decision

Revision ID: 0020_followup_rules
Revises: 0015_message_text_en
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_followup_rules"
down_revision: str | Sequence[str] | None = "0015_message_text_en"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_REEXAMINATION = "business_type = 'reexam' AND status <> 'refused'"


def upgrade() -> None:
    # Notices stored before keep NULL: their delivery date and deadline stand as computed
    # when they were issued (notices.deadlines.served_on).
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))
    # A database already holding two live reexamination requests on one decision must have
    # the office refuse one first: the index refuses to build over them.
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_submissions_live_reexam",
            ["related_notice_serial"],
            unique=True,
            sqlite_where=sa.text(LIVE_REEXAMINATION),
            postgresql_where=sa.text(LIVE_REEXAMINATION),
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("uq_submissions_live_reexam")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("delivery")
