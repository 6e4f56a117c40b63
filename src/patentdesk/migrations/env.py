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


def _driver(connection: Any) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Rebuilding a table (SQLite's only way to change a column) drops it while other
            # tables' rows point at it: enforcement off for the migration (it cannot change
            # inside a transaction), every reference checked once it is done.
            # On the driver's connection: SQLAlchemy's would begin a transaction first.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left broken references: {broken[:5]}")
        if sqlite:
            _driver(connection).execute("PRAGMA foreign_keys=ON")
    engine.dispose()


run_migrations()
