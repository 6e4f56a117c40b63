"""The FastAPI application: API under /api/v1, the web portal, one error handler."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patentdesk import __version__
from patentdesk.config import Settings, load_settings
from patentdesk.db import Database
from patentdesk.errors import PatentDeskError

log = logging.getLogger(__name__)

# Routers of every domain, registered in this order: (module, attribute).
ROUTERS: list[tuple[str, str]] = [
    ("patentdesk.health", "router"),
    ("patentdesk.query.routes", "router"),
    ("patentdesk.query.pages", "router"),
    ("patentdesk.identity.routes", "router"),
    ("patentdesk.orgs.routes", "router"),
    ("patentdesk.pki.routes", "router"),
    ("patentdesk.filing.routes", "router"),
    ("patentdesk.notices.routes", "router"),
    ("patentdesk.office.routes", "router"),
    ("patentdesk.pki.pages", "router"),
    ("patentdesk.fees.routes", "router"),
    ("patentdesk.fees.pages", "router"),
    ("patentdesk.web.routes", "router"),
    ("patentdesk.office.pages", "router"),
    ("patentdesk.notices.pages", "router"),
    ("patentdesk.filing.pages", "router"),
    ("patentdesk.updates.routes", "router"),
    ("patentdesk.drafts.pages", "router"),
]


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        problems.append({"field": loc, "message": err.get("msg", "")})
    fields = ", ".join(p["field"] for p in problems if p["field"]) or "request"
    body = {
        "error": {
            "code": "VALIDATION_FAILED",
            "message": f"输入不正确：{fields}",
            "message_en": f"Invalid input: {fields}",
            "details": {"problems": problems},
        }
    }
    return JSONResponse(status_code=422, content=body)


# The portal's pages load scripts only from /static (no inline script, no eval: htmx runs
# without either) and cannot be framed: a framed QR login page is how clickjacking and
# QRLJacking start. Inline style attributes stay allowed; they cannot run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
# FastAPI's interactive API pages load their scripts from a CDN and inline: no CSP there.
_NO_CSP_PATHS = ("/docs", "/redoc")


class StandardHeaders:
    """Every response names its environment (seed A5) and carries the security headers.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware hides
    a client's disconnect from the app, so long polls would outlive the clients that left.
    """

    def __init__(self, app: ASGIApp, environment: str) -> None:
        self.app = app
        self.environment = environment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = not str(scope.get("path", "")).startswith(_NO_CSP_PATHS)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-PatentDesk-Environment"] = self.environment
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                if csp:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            await send(message)

        await self.app(scope, receive, send_with_header)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = db or Database(settings.sqlalchemy_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from patentdesk.housekeeping import run_periodically

        task = None
        if settings.housekeeping_interval_seconds > 0:
            task = asyncio.create_task(run_periodically(db, settings))
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        lifespan=lifespan,
        title="PatentDesk API",
        version=__version__,
        description="专利业务办理系统 — registration, login, filing, notices, fees, query.",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db

    @app.exception_handler(PatentDeskError)
    async def _domain_error(request: Request, exc: PatentDeskError) -> JSONResponse:
        headers: dict[str, Any] = {}
        if exc.status == 429 and "retry_after" in exc.details:
            headers["Retry-After"] = str(exc.details["retry_after"])
        return JSONResponse(
            status_code=exc.status, content={"error": exc.to_dict()}, headers=headers
        )

    app.add_exception_handler(RequestValidationError, _validation_error)

    app.add_middleware(StandardHeaders, environment=settings.environment)

    for module_name, attr in ROUTERS:
        app.include_router(getattr(importlib.import_module(module_name), attr))
    from patentdesk.web.routes import mount_static

    mount_static(app)
    return app
