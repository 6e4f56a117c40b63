"""Models and migrations agree: what `alembic check` does, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patentdesk.db import Base, make_engine
from patentdesk.models import load_all_models


def test_migrations_match_the_models(db_url):
    load_all_models()
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diffs = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    # Tables made by hand in migrations (full-text search) are not models: ignore them.
    diffs = [d for d in diffs if not _is_unmodelled_table(d)]
    assert diffs == [], diffs


def _is_unmodelled_table(diff: object) -> bool:
    if isinstance(diff, tuple) and diff and diff[0] == "remove_table":
        table: sa.Table = diff[1]
        return table.name.startswith(("cases_fts", "sqlite_"))
    return False
