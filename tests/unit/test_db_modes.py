"""Units of work: readers take no write lock, relaxed writers do not wait for the disk, and
a durable writer after a relaxed one on the same connection is durable again."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from patentdesk.db import Database, sqlite_path


def _durability(db: Database, s: sa.orm.Session) -> str:
    if db.is_sqlite:
        return {0: "off", 1: "normal", 2: "full", 3: "extra"}[
            int(s.execute(sa.text("PRAGMA synchronous")).scalar_one())
        ]
    return str(s.execute(sa.text("SHOW synchronous_commit")).scalar_one())


def test_relaxed_then_durable_on_one_connection(db_url):
    db = Database(db_url)
    if not db.is_sqlite:  # the test cluster's default is off: make this database's on
        admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = conn.exec_driver_sql("SELECT current_database()").scalar_one()
            conn.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit TO on")
        admin.dispose()
    try:
        with db.unit_of_work(durable=False) as s:
            relaxed = _durability(db, s)
        with db.unit_of_work() as s:
            durable = _durability(db, s)
        with db.unit_of_work(write=False) as s:
            reader = _durability(db, s)
    finally:
        db.dispose()
    assert (relaxed, durable) == (("normal", "full") if db.is_sqlite else ("off", "on"))
    assert reader in ("full", "on")


def test_a_reader_takes_no_lock_a_writer_does(db_url):
    if not db_url.startswith("sqlite"):
        return  # on PostgreSQL neither kind locks out another writer's BEGIN
    path = sqlite_path(db_url)
    assert path is not None
    db = Database(db_url)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)

    def other_can_write() -> bool:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        other.execute("ROLLBACK")
        return True

    try:
        with db.unit_of_work(write=False) as s:
            s.execute(sa.text("SELECT count(*) FROM users"))
            while_reading = other_can_write()
        with db.unit_of_work() as s:
            s.execute(sa.text("SELECT count(*) FROM users"))
            while_writing = other_can_write()
    finally:
        other.close()
        db.dispose()
    assert (while_reading, while_writing) == (True, False)
