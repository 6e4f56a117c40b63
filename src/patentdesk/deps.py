"""FastAPI dependencies as ``Annotated`` aliases: the unit of work, the context, the actor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from patentdesk.authz import Actor
from patentdesk.config import Settings
from patentdesk.db import Database, is_busy
from patentdesk.errors import NotAuthenticated, PatentDeskError
from patentdesk.identity.service import Context, authenticate
from patentdesk.readwrite import RunAgainAsWriter, is_reader_request

SESSION_COOKIE = "pd_session"


async def _unit_of_work(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back when it
    raises, except for errors whose own record must survive (a failed login's count).
    GET and HEAD requests are readers (see :mod:`patentdesk.readwrite`).

    A coroutine so that FastAPI does not spend a thread-pool trip on opening it: making the
    session touches no database (it connects at its first statement, in the handler's
    thread); the commit or rollback, which does, goes to the thread pool, shielded so that a
    request cancelled meanwhile still ends its transaction."""
    db: Database = request.app.state.db
    reader = is_reader_request(request.scope)
    durable = getattr(request.scope.get("endpoint"), RELAXED_COMMIT, True)
    session = db.session(write=not reader, durable=durable)
    # Providers that need the data folder (fees, drafts) find the settings with the session.
    session.info["settings"] = request.app.state.settings
    # The shared draft store changes drafts in the request's transaction.
    request.state.db_session = session
    try:
        yield session
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end_failed, db, session, reader, exc)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_end, db, session, reader)


def _end(db: Database, session: Session, reader: bool) -> None:
    try:
        session.commit()
    except BaseException as exc:
        session.rollback()
        if reader and is_busy(exc):
            raise RunAgainAsWriter() from exc
        raise
    finally:
        session.close()
    db.finish_reader(session)


def _end_failed(db: Database, session: Session, reader: bool, exc: BaseException) -> None:
    try:
        if isinstance(exc, PatentDeskError) and exc.commit_anyway:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
    if reader and is_busy(exc):
        raise RunAgainAsWriter() from exc


DbSession = Annotated[Session, Depends(_unit_of_work, scope="function")]

RELAXED_COMMIT = "patentdesk_durable"
F = TypeVar("F", bound=Callable[..., Any])


def relaxed_commit(endpoint: F) -> F:
    """Marks a route whose writes a power cut may lose at the cost of a repeat only (a QR
    code to scan again): its request's commit does not wait for the disk."""
    setattr(endpoint, RELAXED_COMMIT, False)
    return endpoint


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# The dependencies below only read the request: coroutines, so that none costs a trip to
# the thread pool (FastAPI runs plain-function dependencies there).
async def _context(request: Request) -> Context:
    return Context(
        settings=request.app.state.settings,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


Ctx = Annotated[Context, Depends(_context)]


async def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(settings_of)]


def session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def _optional_actor(request: Request, db: DbSession) -> Actor | None:
    actor = authenticate(db, session_token(request))
    request.state.actor = actor
    return actor


async def _required_actor(actor: Annotated[Actor | None, Depends(_optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


OptionalActor = Annotated[Actor | None, Depends(_optional_actor)]
CurrentActor = Annotated[Actor, Depends(_required_actor)]
