"""No handler does blocking database work on the event loop.

On SQLite every transaction queues for the write lock (BEGIN IMMEDIATE). A coroutine handler
that opened the unit of work and then waited for that lock would stall the event loop, and
with it the very request that holds the lock and needs the loop to commit: the server froze
until the busy timeout ran out. So a handler that receives the database session must be a
plain function (FastAPI runs those in its thread pool); coroutine handlers keep their
database work inside ``run_in_threadpool``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from patentdesk.app import create_app
from patentdesk.config import Settings
from patentdesk.deps import _unit_of_work


def _takes_session(dependant: Dependant) -> bool:
    # Only a session handed to the handler itself matters: plain-function dependencies that
    # use one (the actor) run in the thread pool already.
    return any(sub.call is _unit_of_work for sub in dependant.dependencies)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI includes lazily)
            yield from _api_routes(route.original_router.routes)


def _routes(tmp_path: Path) -> list[APIRoute]:
    settings = Settings(
        data=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db", environment="test"
    )
    return list(_api_routes(create_app(settings).routes))


def test_handlers_given_a_database_session_are_not_coroutines(tmp_path: Path) -> None:
    routes = _routes(tmp_path)
    with_session = [r for r in routes if _takes_session(r.dependant)]
    assert len(with_session) > 100  # the check sees the real routes
    offending = sorted(
        f"{sorted(r.methods)} {r.path}"
        for r in with_session
        if asyncio.iscoroutinefunction(r.endpoint)
    )
    assert offending == []


def test_page_forms_are_read_before_the_handler_runs(tmp_path: Path) -> None:
    """Every page that accepts a POST reads its form in the router's dependency, so that the
    handler (now a plain function) finds it already parsed."""
    from patentdesk.web.render import read_form

    posts = [
        r
        for r in _routes(tmp_path)
        if "POST" in r.methods and not r.path.startswith("/api/") and r.include_in_schema is False
    ]
    assert posts
    missing = [
        r.path for r in posts if not any(d.call is read_form for d in r.dependant.dependencies)
    ]
    assert missing == []


def _multipart_request(app: Any, cookies: str, bearer: str = "") -> Any:
    from starlette.requests import Request

    body = (
        b'--b\r\nContent-Disposition: form-data; name="package"; filename="x.zip"\r\n'
        b"Content-Type: application/zip\r\n\r\n" + b"x" * 1000 + b"\r\n--b--\r\n"
    )
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", b"multipart/form-data; boundary=b")]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    if bearer:
        headers.append((b"authorization", f"Bearer {bearer}".encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/drafts/import",
        "headers": headers,
        "app": app,
    }
    return Request(scope, receive)


def _run_in_own_thread(request: Any) -> None:
    """read_form on a loop of its own: a browser test may have left Playwright's loop running
    in this thread, where asyncio.run refuses to start."""
    from patentdesk.web.render import read_form

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, read_form(request)).result(timeout=30)


def test_uploads_are_read_only_for_logged_in_users(app: Any, world: Any) -> None:
    """An anonymous multipart post is not spooled at all: the page answers with the login.
    A cookie by the right name is not enough: its session must be a live one."""
    from patentdesk.web.render import posted

    token = world.token(world.person())
    for anonymous in (
        _multipart_request(app, ""),
        _multipart_request(app, "pd_session=not-a-session"),
        _multipart_request(app, "", "not-a-session"),
    ):
        _run_in_own_thread(anonymous)
        assert len(posted(anonymous)) == 0
    for logged_in in (
        _multipart_request(app, f"pd_session={token}"),
        _multipart_request(app, "", token),
    ):
        _run_in_own_thread(logged_in)
        assert posted(logged_in).get("package") is not None
