"""Units of work: readers take no write lock, relaxed writers do not wait for the disk, a
durable writer after a relaxed one on the same connection is durable again, and the SQLite
writers of one process take turns."""

from __future__ import annotations

import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from patentdesk.db import Database, is_busy, sqlite_path


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


def _sqlite(db_url: str) -> Database | None:
    return Database(db_url) if db_url.startswith("sqlite") else None


def _count_users(db: Database, *, write: bool = True) -> None:
    with db.unit_of_work(write=write) as s:
        s.execute(sa.text("SELECT count(*) FROM users"))


@contextmanager
def _a_writer_holding(db: Database, order: list[str]) -> Iterator[None]:
    """Another thread inside a write transaction for the duration of the block."""
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with db.unit_of_work() as s:
            s.execute(sa.text("SELECT count(*) FROM users"))
            holding.set()
            release.wait(10)
            order.append("first commits")

    holder = threading.Thread(target=first)
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        holder.join(10)


def _second_writer(db: Database, order: list[str]) -> tuple[threading.Thread, list[str]]:
    """Starts another writer on ``db``; answers its thread and, after 0.3 s, the functions
    it is in (empty if it finished)."""

    def second() -> None:
        _count_users(db)
        order.append("second writes")

    b = threading.Thread(target=second)
    b.start()
    b.join(0.3)
    frame = sys._current_frames().get(b.ident or 0) if b.is_alive() else None
    return b, [] if frame is None else [f.name for f in traceback.extract_stack(frame)]


def test_writers_of_one_process_take_turns_without_failing(db_url):
    """A second writer waits for the first one's commit (it does not poll SQLite's lock
    and does not fail), then writes; a reader meanwhile is not held up."""
    db = _sqlite(db_url)
    if db is None:
        return  # PostgreSQL's writers do not share one lock
    order: list[str] = []
    try:
        with _a_writer_holding(db, order):
            b, waiting_in = _second_writer(db, order)
            _count_users(db, write=False)  # a reader is not in the queue
        b.join(10)
    finally:
        db.dispose()
    # in the process's queue, not polling SQLite's lock
    assert "take" in waiting_in and "_flock_within" not in waiting_in
    assert order == ["first commits", "second writes"]


def test_a_writer_that_waits_too_long_fails_as_sqlite_would(db_url, monkeypatch):
    import patentdesk.db as dbmod

    db = _sqlite(db_url)
    if db is None:
        return
    monkeypatch.setattr(dbmod, "WRITER_WAIT_SECONDS", 0.2)
    failed = None
    try:
        with _a_writer_holding(db, []):
            try:
                _count_users(db)
            except OperationalError as exc:
                failed = exc
        _count_users(db)  # the turn is back once the first writer is done
    finally:
        db.dispose()
    assert failed is not None and is_busy(failed)


def test_one_connection_writing_twice_keeps_its_turn(db_url):
    db = _sqlite(db_url)
    if db is None:
        return
    try:
        with db.engine.connect() as conn:
            with conn.begin():
                conn.execute(sa.text("SELECT count(*) FROM users"))
            with conn.begin():  # would wait for itself were the turn taken again
                conn.execute(sa.text("SELECT count(*) FROM users"))
        with db.unit_of_work() as s:  # and gives it back when it goes back to the pool
            s.execute(sa.text("SELECT count(*) FROM users"))
    finally:
        db.dispose()


def test_writers_of_two_workers_take_turns_at_the_file_lock(db_url, monkeypatch):
    """Two Database objects on one file stand for two worker processes (each has its own
    descriptor of the turn file, and flock locks belong to descriptors). The second one's
    writer waits at the file lock — not in SQLite's polling — and writes as soon as the
    first commits; one that waits too long fails as SQLite would, and its late lock does
    not outlive it."""
    import patentdesk.db as dbmod

    first_worker = _sqlite(db_url)
    if first_worker is None:
        return  # PostgreSQL's writers do not share one lock
    second_worker = Database(db_url)
    order: list[str] = []
    try:
        with _a_writer_holding(first_worker, order):
            b, waiting_in = _second_writer(second_worker, order)
        b.join(10)
        assert "_flock_within" in waiting_in
        assert order == ["first commits", "second writes"]

        monkeypatch.setattr(dbmod, "WRITER_WAIT_SECONDS", 0.2)
        failed = None
        with _a_writer_holding(first_worker, []):
            try:
                _count_users(second_worker)
            except OperationalError as exc:
                failed = exc
        assert failed is not None and is_busy(failed)
        _count_users(second_worker)  # the abandoned wait let go of the lock it got late
        _count_users(first_worker)
    finally:
        first_worker.dispose()
        second_worker.dispose()
