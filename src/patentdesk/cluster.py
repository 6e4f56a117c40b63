"""Work that one server of a cluster does at a time: a lock every server sees.

On PostgreSQL it is a session-level advisory lock (``pg_advisory_lock``) held on a
connection of its own for as long as the block runs; it goes with the connection, so a
server that dies mid-way never leaves it held. On SQLite, where every server is on the same
machine by construction, it is an ``flock`` on a file beside the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Iterator

import sqlalchemy as sa

from patentdesk.db import migrate, sqlite_path


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks take a bigint)."""
    return int.from_bytes(
        hashlib.sha256(f"patentdesk:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextlib.contextmanager
def cluster_lock(url: str, name: str, *, wait: bool = True) -> Iterator[bool]:
    """Holds the cluster-wide lock ``name`` for the block; yields whether it got it.

    ``wait=False`` tries once and yields False at once when another server holds it (the
    block then does nothing: e.g. housekeeping already running elsewhere).
    """
    started = time.perf_counter()
    if url.startswith("sqlite"):
        with _file_lock(url, name, wait=wait) as got:
            _waited(name, started)
            yield got
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            key = lock_key(name)
            if wait:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
                got = True
            else:
                got = bool(
                    conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
            conn.commit()
            _waited(name, started)
            try:
                yield got
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
    finally:
        engine.dispose()


def _waited(name: str, started: float) -> None:
    from patentdesk import db

    if db.lock_wait_observer is not None:
        db.lock_wait_observer(f"cluster:{name}", time.perf_counter() - started)


@contextlib.contextmanager
def _file_lock(url: str, name: str, *, wait: bool) -> Iterator[bool]:
    path = sqlite_path(url)
    if path is None or sys.platform == "win32":  # an in-memory database: one process
        yield True
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f"{path.name}.{name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def migrate_once(url: str) -> None:
    """Brings the schema to the newest revision, one server of the cluster at a time.

    Replicas started together on a new database would otherwise all create the same tables
    and all but one die (PostgreSQL: duplicate ``pg_type`` names); under the lock the
    others find the schema built and have nothing to do."""
    with cluster_lock(url, "migrate"):
        migrate(url)
