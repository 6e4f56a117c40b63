"""submissions.package_id: find an application package filed before

Revision ID: 0008_submission_package_id
Revises: 0007_drop_redundant_case_index
Create Date: 2026-12-03 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_submission_package_id"
down_revision: str | Sequence[str] | None = "0007_drop_redundant_case_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_submissions_domain_package", ["domain_id", "package_id"], unique=False
        )
    # Existing rows: the id is in the manifest each submission kept.
    submissions = sa.table(
        "submissions",
        sa.column("id", sa.Uuid()),
        sa.column("manifest", sa.JSON()),
        sa.column("package_id", sa.String(36)),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(submissions.c.id, submissions.c.manifest)).all()
    for row_id, manifest in rows:
        package_id = (manifest or {}).get("package_id")
        if package_id:
            conn.execute(
                submissions.update()
                .where(submissions.c.id == row_id)
                .values(package_id=str(package_id))
            )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_domain_package")
        batch_op.drop_column("package_id")
