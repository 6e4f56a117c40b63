"""Reads never wait for the write lock (SQLite): a GET answers while another connection
holds it, and a GET that writes after all is run again as a writer instead of failing."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from fastapi import APIRouter
from sqlalchemy import select, update

from patentdesk.db import is_reader, sqlite_path
from patentdesk.deps import DbSession
from patentdesk.identity.models import User
from tests.support.factories import auth


class WriteLockHolder:
    """Another process's writer in the middle of a long transaction."""

    def __init__(self, url: str) -> None:
        path = sqlite_path(url)
        assert path is not None
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.released = threading.Event()

    def release_later(self, seconds: float) -> threading.Timer:
        def release() -> None:
            self.conn.execute("COMMIT")
            self.released.set()

        timer = threading.Timer(seconds, release)
        timer.start()
        return timer

    def release_after(self, event: threading.Event, timeout: float = 30) -> threading.Thread:
        """Lets go once ``event`` is set (not after a fixed time: on a loaded machine the
        request might otherwise only arrive after the lock is gone)."""

        def release() -> None:
            event.wait(timeout)
            self.conn.execute("COMMIT")
            self.released.set()

        thread = threading.Thread(target=release)
        thread.start()
        return thread


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_get_answers_while_a_writer_holds_the_lock(client, world, db_url):
    person = world.person("张三")
    token = world.token(person)
    holder = WriteLockHolder(db_url)
    timer = holder.release_later(8)
    try:
        r = client.get("/api/v1/me", headers=auth(token))
        # Before: the request queued behind the writer (BEGIN IMMEDIATE) until it let go.
        answered_while_locked = not holder.released.is_set()
    finally:
        timer.join()
    assert r.status_code == 200, r.text
    assert answered_while_locked


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_get_that_writes_runs_again_as_a_writer(client, world, db_url, app):
    """The reader's write is refused at once (SQLITE_BUSY); the request is run again as a
    writer, which queues for the lock: the client sees a normal answer, never a 500."""
    router = APIRouter()
    runs: list[bool] = []
    reader_refused = threading.Event()

    @router.get("/test-only/touch")
    def touch(db: DbSession) -> dict[str, int]:
        runs.append(is_reader(db))
        db.scalar(select(User.id).limit(1))  # the reader's snapshot begins
        try:
            db.execute(update(User).values(status=User.status))
        finally:
            if len(runs) == 1:
                reader_refused.set()  # the writer run that follows may have the lock
        return {"runs": len(runs)}

    app.include_router(router)
    world.person("张三")
    holder = WriteLockHolder(db_url)
    timer = holder.release_after(reader_refused)
    try:
        r = client.get("/test-only/touch")
    finally:
        timer.join()
    assert r.status_code == 200, r.text
    assert runs == [True, False]
