"""Alembic environment: the models of every domain, on SQLite or PostgreSQL."""

from __future__ import annotations

import importlib
from typing import Any

from alembic import context

from patentdesk.db import Base, make_engine
from patentdesk.models import DOMAINS_WITH_MODELS, load_all_models

load_all_models()
config = context.config
target_metadata = Base.metadata

# Objects a domain's migration builds by hand outside the ORM metadata (e.g. full-text search
# tables and trigram indexes): each model module may list their names in UNMANAGED_NAMES.
UNMANAGED: frozenset[str] = frozenset().union(
    *(getattr(importlib.import_module(m), "UNMANAGED_NAMES", ()) for m in DOMAINS_WITH_MODELS)
)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return name not in UNMANAGED


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
