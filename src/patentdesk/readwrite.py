"""Requests that only read run in a reader unit of work (no write lock on SQLite).

``GET`` and ``HEAD`` are reads by definition (HTTP says they are safe), so they begin as
readers. The few that write after all (a first download marks a notice as fetched) may find
SQLite's write lock taken: their reader fails at once with ``SQLITE_BUSY`` and this
middleware runs the request again as a writer — safe, since nothing was committed or sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "patentdesk.reader"
READ_METHODS = frozenset({"GET", "HEAD"})


class RunAgainAsWriter(Exception):
    """A reader request tried to write and SQLite refused: run it again as a writer."""


def is_reader_request(scope: Scope) -> bool:
    return bool(scope.get(SCOPE_KEY))


class ReadRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READ_METHODS:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app({**scope, SCOPE_KEY: True}, receive, tracked)
        except RunAgainAsWriter:
            if started:
                raise
            await self.app(scope, receive, send)
