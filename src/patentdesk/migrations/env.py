"""Alembic environment: the models of every domain, on SQLite or PostgreSQL."""

from __future__ import annotations

from alembic import context

from patentdesk.db import Base, make_engine
from patentdesk.models import load_all_models

load_all_models()
config = context.config
target_metadata = Base.metadata


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
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
