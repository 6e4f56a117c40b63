"""Database: SQLAlchemy 2 engine, unit of work, and Alembic migrations.

SQLite (WAL) is the embedded default; PostgreSQL is the scale-out database. Both run the
same migrations. Services ``add`` and ``flush``; the unit of work (one per request or
CLI command) commits or rolls back.

A unit of work is a writer or a reader. On SQLite a writer begins with ``BEGIN IMMEDIATE``
(it queues for the one write lock up front, so it never fails half-way), a reader with a
deferred ``BEGIN`` (it takes no lock at all in WAL mode, so reads never wait for writes nor
make them wait). A reader that writes after all may find the lock taken and fails at once
with ``SQLITE_BUSY`` (SQLite does not wait there: that could deadlock): :func:`is_busy`
tells the caller to run the work again as a writer. Small writes a reader only wants done
(a session's last-seen time) go through :func:`then_write` instead.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from patentdesk.timeutil import UTC

log = logging.getLogger(__name__)

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC; always returns timezone-aware UTC (SQLite would return naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; the busy timeout makes writers queue
    # instead of failing; synchronous=FULL keeps acknowledged commits across a power cut.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()
    # Take pysqlite's hands off transactions so that BEGIN is ours (see _sqlite_begin).
    dbapi_conn.isolation_level = None


READ_ONLY = "patentdesk_read_only"  # execution option of a reader's connections
RELAXED = "patentdesk_relaxed"  # of a writer whose commit may be lost in a crash


#: Told how long a lock took to get (set by patentdesk.observability: a metric).
lock_wait_observer: Callable[[str, float], None] | None = None


#: How long a writer waits for its turn before it fails as SQLite's own busy timeout does.
WRITER_WAIT_SECONDS = 30.0
# The files SQLite and the writers' turn (WriterQueue) keep beside a database file: none is
# part of a backup (the database is copied through SQLite's backup API).
WRITER_TURN_SUFFIX = "-writers"
SQLITE_SIDE_SUFFIXES = ("-wal", "-shm", "-journal", WRITER_TURN_SUFFIX)


class WriterQueue:
    """The writers of a SQLite database take turns here before SQLite's write lock. SQLite
    makes a waiting writer poll (sleeping 1 to 100 ms between tries), so under load a writer
    can miss its turn again and again: logins waited seconds behind submissions. Here the
    threads of a process queue on a lock that hands over the moment it is released, and the
    processes (the server's workers, an operator's command) on an advisory lock of the file
    ``turn_file`` beside the database, where the kernel wakes the next one as soon as the
    holder lets go; SQLite's own lock then rarely finds a second writer. The turn is taken
    at BEGIN and given back as soon as the COMMIT or ROLLBACK has run (or, at the latest,
    when the connection returns to the pool).

    The file lock only saves waiting: SQLite's lock still decides. A folder where the file
    cannot be made (read-only) goes without it; a process that dies holding it loses it.
    """

    def __init__(self, turn_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection whose turn it is
        self._turn_file = turn_file
        self._fd: int | None = None
        self._fd_pid = 0
        self._held: int | None = None  # the descriptor holding the file lock, if any

    def take(self, conn: Any) -> None:
        key = id(conn.connection.dbapi_connection)
        if self._holder == key:  # the same connection's next transaction: still its turn
            return
        started = time.monotonic()
        if not self._lock.acquire(timeout=WRITER_WAIT_SECONDS):
            raise _locked()
        try:
            fd = self._file()
            if fd is not None:
                assert self._turn_file is not None
                self._held = _flock_within(self._turn_file, fd, started + WRITER_WAIT_SECONDS)
        except BaseException:
            self._lock.release()
            raise
        self._holder = key

    def _file(self) -> int | None:
        """This process's descriptor of the turn file (a worker forked from a parent that
        had one opens its own: a lock held through the parent's would be shared)."""
        if self._turn_file is None:
            return None
        if self._fd is None or self._fd_pid != os.getpid():
            try:
                self._fd = os.open(self._turn_file, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                log.warning("no writer turn file %s; SQLite's lock alone", self._turn_file)
                self._turn_file = None
                return None
            self._fd_pid = os.getpid()
        return self._fd

    def give_back(self, dbapi_conn: Any, *_record: Any) -> None:
        if dbapi_conn is not None and self._holder == id(dbapi_conn):
            self._holder = None
            held, self._held = self._held, None
            try:
                if held is not None and self._fd_pid == os.getpid():
                    fcntl.flock(held, fcntl.LOCK_UN)
                    if held != self._fd:  # a helper's descriptor (see _flock_within)
                        os.close(held)
            finally:
                self._lock.release()

    def install(self, engine: Engine) -> None:
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn: Any) -> None:
            try:
                commit(dbapi_conn)
            finally:
                self.give_back(dbapi_conn)

        def do_rollback(dbapi_conn: Any) -> None:
            try:
                rollback(dbapi_conn)
            finally:
                self.give_back(dbapi_conn)

        dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
        event.listen(engine, "begin", functools.partial(_sqlite_begin, self))
        event.listen(engine.pool, "checkin", self.give_back)


def _locked() -> OperationalError:
    """What SQLite itself raises when its busy timeout runs out."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


def _flock_within(path: Path, fd: int, deadline: float) -> int:
    """The file lock by 'deadline'; answers the descriptor that holds it. Uncontended it is
    one call. Contended, a helper thread waits in a blocking flock, which the kernel ends
    the moment the holder lets go (polling would add up to its own pause to every hand-over,
    and SQLite's polling up to 100 ms); the caller waits for the helper until 'deadline'. The
    helper locks through a descriptor of its own, so that one it gives up on can let go of
    its late lock without touching a turn this process holds meanwhile."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    own = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    got = threading.Event()
    state = threading.Lock()
    abandoned = False

    def wait() -> None:
        try:
            fcntl.flock(own, fcntl.LOCK_EX)
        except OSError:  # the caller times out
            os.close(own)
            return
        with state:
            if not abandoned:
                got.set()
                return
        os.close(own)  # closing the descriptor lets go of the lock

    threading.Thread(target=wait, name="sqlite-writer-turn", daemon=True).start()
    if got.wait(max(0.0, deadline - time.monotonic())):
        return own
    with state:
        if got.is_set():
            return own
        abandoned = True
    raise _locked()


def _sqlite_begin(queue: WriterQueue, conn: Any) -> None:
    # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting;
    # BEGIN IMMEDIATE takes the write lock up front so concurrent writers queue instead.
    # Readers begin deferred: in WAL mode they hold no lock and see a consistent snapshot.
    options = conn.get_execution_options()
    # The safety level cannot change inside a transaction: set it before BEGIN, and only
    # when it differs from what this connection last had.
    wanted = "NORMAL" if options.get(RELAXED) else "FULL"
    info = conn.connection.info
    if info.get("synchronous", "FULL") != wanted:
        conn.exec_driver_sql(f"PRAGMA synchronous={wanted}")
        info["synchronous"] = wanted
    if options.get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        started = time.perf_counter()
        queue.take(conn)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        if lock_wait_observer is not None:  # how long writers queue for the write lock
            lock_wait_observer("sqlite_write", time.perf_counter() - started)


def _postgresql_begin(conn: Any) -> None:
    if conn.get_execution_options().get(RELAXED):
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite refusing a reader's write (the lock is taken): the work
    must run again as a writer."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def is_reader(db: Session) -> bool:
    return bool(db.info.get(READ_ONLY))


def then_write(db: Session, write: Callable[[Session], object]) -> None:
    """Does ``write`` in the caller's transaction when it is a writer; a reader's is put off
    to a short write transaction after the reader ends (see :meth:`Database.unit_of_work`).
    For writes whose loss costs nothing but freshness: they must not turn a read into a
    wait for the write lock."""
    if is_reader(db):
        db.info.setdefault("then_write", []).append(write)
    else:
        write(db)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and for in-memory SQLite."""
    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = url.split("///", 1)[1]
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def unique_or(error: Exception) -> Iterator[None]:
    """Raises ``error`` when a flush in the block breaks a unique constraint.

    Check-then-insert is not enough on PostgreSQL: two concurrent transactions both pass the
    check, and the one that loses the insert must get the same clear 409 a sequential
    duplicate gets, not a 500. (SQLite's BEGIN IMMEDIATE serialises them before the check.)
    """
    try:
        yield
    except IntegrityError as exc:
        raise error from exc


def rowcount(result: object) -> int:
    """Rows an UPDATE or DELETE touched (the result type SQLAlchemy annotates lacks it)."""
    return int(getattr(result, "rowcount", 0) or 0)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        WriterQueue(Path(f"{path}{WRITER_TURN_SUFFIX}") if path else None).install(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "begin", _postgresql_begin)
    return engine


class Database:
    """An engine plus a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # (write, durable) -> its session factory; readers that write after all (see
        # read_then_write) commit as durably as asked too
        self._makers = {
            (write, durable): sessionmaker(
                self.engine.execution_options(**{READ_ONLY: not write, RELAXED: not durable}),
                expire_on_commit=False,
                info={READ_ONLY: not write},
            )
            for write in (True, False)
            for durable in (True, False)
        }
        self._makers[(True, True)] = self.sessionmaker
        self._after = ThreadPoolExecutor(1, thread_name_prefix="patentdesk-then-write")

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def sessionmakers(self) -> list[sessionmaker[Session]]:
        """Every kind of unit of work's factory (for session events)."""
        return list(self._makers.values())

    def session(self, *, write: bool = True, durable: bool = True) -> Session:
        return self._makers[(write, durable)]()

    @contextmanager
    def unit_of_work(self, *, write: bool = True, durable: bool = True) -> Iterator[Session]:
        """Commits when the block ends normally, rolls back on any exception. A reader
        (``write=False``) takes no write lock; see the module's docstring.

        ``durable=False`` is for writes whose loss in a power cut costs the user only a
        repeat (a QR code to scan again): the commit does not wait for the disk (SQLite
        synchronous=NORMAL, PostgreSQL synchronous_commit=off). The log stays in order, so
        a later durable commit makes it durable too; nothing is ever corrupted."""
        session = self.session(write=write, durable=durable)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        self.finish_reader(session)

    def read_then_write(self, work: Callable[[Session], T], *, durable: bool = True) -> T:
        """Runs ``work`` as a reader; should it write and find SQLite's lock taken, runs it
        again as a writer. For work that usually only reads (a poll, authentication)."""
        try:
            with self.unit_of_work(write=False, durable=durable) as session:
                return work(session)
        except OperationalError as exc:
            if not is_busy(exc):
                raise
        with self.unit_of_work(durable=durable) as session:
            return work(session)

    def finish_reader(self, session: Session, *, wait: bool = False) -> None:
        """Runs the writes a committed reader put off (:func:`then_write`), best effort:
        losing one costs freshness, never correctness. They run in a background thread
        (joined at exit), so that a reader never waits for the write lock."""
        pending = session.info.pop("then_write", None)
        if not pending:
            return
        if not wait:
            self._after.submit(self._run_put_off, pending)
            return
        self._run_put_off(pending)

    def _run_put_off(self, pending: list[Callable[[Session], object]]) -> None:
        try:
            with self.unit_of_work() as s:
                for write in pending:
                    write(s)
        except OperationalError:
            pass

    def dispose(self) -> None:
        self._after.shutdown(wait=True)  # the put-off writes land before the engine goes
        self._after = ThreadPoolExecutor(1, thread_name_prefix="patentdesk-then-write")
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "patentdesk:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Brings the schema to the newest revision (every branch head)."""
    make_engine(url).dispose()  # creates the SQLite folder when needed
    command.upgrade(alembic_config(url), "heads")
