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
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patentdesk import __version__, observability, storage
from patentdesk.config import Settings, load_settings
from patentdesk.db import Database
from patentdesk.errors import PatentDeskError
from patentdesk.readwrite import ReadRequests

log = logging.getLogger(__name__)

# Routers of every domain, registered in this order: (module, attribute).
ROUTERS: list[tuple[str, str]] = [
    ("patentdesk.health", "router"),
    ("patentdesk.observability", "router"),
    ("patentdesk.query.routes", "router"),
    ("patentdesk.query.pages", "router"),
    ("patentdesk.identity.routes", "router"),
    ("patentdesk.orgs.routes", "router"),
    ("patentdesk.orgs.pages", "router"),
    ("patentdesk.pki.routes", "router"),
    ("patentdesk.filing.routes", "router"),
    ("patentdesk.notices.routes", "router"),
    ("patentdesk.office.routes", "router"),
    ("patentdesk.pki.pages", "router"),
    ("patentdesk.fees.routes", "router"),
    ("patentdesk.fees.pages", "router"),
    ("patentdesk.alerts.routes", "router"),
    ("patentdesk.alerts.pages", "router"),
    ("patentdesk.web.routes", "router"),
    ("patentdesk.office.pages", "router"),
    ("patentdesk.notices.pages", "router"),
    ("patentdesk.filing.pages", "router"),
    ("patentdesk.updates.routes", "router"),
    ("patentdesk.drafts.pages", "router"),
    ("patentdesk.mobile.webapp", "router"),
    ("patentdesk.drafts.filing_pages", "router"),
    ("patentdesk.drafts.start_pages", "router"),
]


# Starlette's own refusals (no such route, wrong method, a body that is not JSON) carry the
# error envelope every other error has (docs/api.md, the published 4XX schema); "detail"
# stays for the scripts that read it.
_HTTP_CODES = {
    400: ("BAD_REQUEST", "请求格式不正确", "The request is malformed"),
    404: ("NOT_FOUND", "对象不存在", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "This method is not allowed here"),
}


def http_error_envelope(exc: StarletteHTTPException) -> JSONResponse:
    code, zh, en = _HTTP_CODES.get(
        exc.status_code, (f"HTTP_{exc.status_code}", "请求未能处理", "The request was refused")
    )
    body = {"detail": exc.detail, "error": {"code": code, "message": zh, "message_en": en}}
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


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
HSTS = "max-age=31536000; includeSubDomains"
# FastAPI's interactive API pages load their scripts from a CDN and inline: no CSP there.
_NO_CSP_PATHS = ("/docs", "/redoc")


class StandardHeaders:
    """Every response names its environment (seed A5) and carries the security headers.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware hides
    a client's disconnect from the app, so long polls would outlive the clients that left.
    """

    def __init__(self, app: ASGIApp, environment: str, settings: Settings | None = None) -> None:
        self.app = app
        self.environment = environment
        self.settings = settings

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
                if self.settings is not None and self.settings.secure_cookies:
                    # Behind HTTPS, browsers keep to HTTPS for a year: a later visit typed
                    # as http:// cannot be downgraded to plain text.
                    headers["Strict-Transport-Security"] = HSTS
                if csp:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            await send(message)

        await self.app(scope, receive, send_with_header)


# Bodies larger than these are refused before they are read: every JSON call fits in the
# default; packages (raw submissions, drafts' uploads) may be as large as the settings allow.
DEFAULT_BODY_LIMIT = 16 * 1024 * 1024
UPLOAD_CHUNK_LIMIT = 64 * 1024 * 1024
_LARGE_BODY_PATHS = ("/api/v1/submissions", "/drafts", "/api/v1/drafts")


class BodyLimit:
    """Refuses a request body past its limit with 413 — by Content-Length before reading a
    byte, and while streaming for chunked bodies — so that no endpoint, signed in or not,
    buffers an unbounded body in memory (plain ASGI, as :class:`StandardHeaders`)."""

    def __init__(self, app: ASGIApp, large: int) -> None:
        self.app = app
        self.large = large

    def limit(self, method: str, path: str) -> int:
        if method == "PUT" and path.startswith("/api/v1/uploads/"):
            return UPLOAD_CHUNK_LIMIT
        if path.startswith(_LARGE_BODY_PATHS):
            return self.large
        return DEFAULT_BODY_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["method"], scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen, exceeded, started = 0, False, False

        async def counted() -> Message:
            # Past the limit the app is told the client left: it stops reading (FastAPI
            # would turn an exception here into its own 400), and this answers 413.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it never got whole
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> JSONResponse:
    from patentdesk.blobs import TooLarge

    return JSONResponse({"error": TooLarge(limit=limit).to_dict()}, status_code=413)


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, not a script) gets an error page, not JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/static/", "/openapi", "/docs", "/redoc")):
        return False
    if request.headers.get("hx-request"):
        return False  # htmx swaps fragments: it has its own error handling
    return "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, status: int, zh: str, en: str) -> Response:
    from patentdesk.web.render import lang_of, page

    heading = zh if lang_of(request) == "zh" else en
    return page(request, "error.html", None, status_code=status, heading=heading)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = db or Database(settings.sqlalchemy_url)
    from patentdesk.audit_anchor import install as anchor_audit

    anchor_audit(db, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from patentdesk.alerts import sweep as alerts_sweep
        from patentdesk.housekeeping import run_periodically

        tasks = []
        if settings.housekeeping_interval_seconds > 0:
            tasks.append(asyncio.create_task(run_periodically(db, settings)))
        if settings.alerts_interval_seconds > 0:
            tasks.append(asyncio.create_task(alerts_sweep.run_periodically(db, settings)))
        yield
        for task in tasks:
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
    async def _domain_error(request: Request, exc: PatentDeskError) -> Response:
        return _error_response(request, exc)

    # Storage faults are answered here, inside the app: an exception that reached the server
    # would be a plain-text 500 and would close the connection under the client's next request.
    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> Response:
        log.error("storage fault on %s %s", request.method, request.url.path, exc_info=exc)
        error = storage.from_os_error(exc, settings.data)
        observability.count_blob_error(error.code)
        return _error_response(request, error)

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        error = storage.from_database_error(exc)
        if error is None:
            raise exc
        log.error("database storage fault on %s", request.url.path, exc_info=exc)
        return _error_response(request, error)

    def _error_response(request: Request, exc: PatentDeskError) -> Response:
        headers: dict[str, Any] = {}
        if exc.status == 429 and "retry_after" in exc.details:
            headers["Retry-After"] = str(exc.details["retry_after"])
        if _wants_page(request):
            return _error_page(request, exc.status, exc.zh, exc.en)
        return JSONResponse(
            status_code=exc.status, content={"error": exc.to_dict()}, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_page(request) and exc.status_code in (404, 405):
            return _error_page(request, exc.status_code, "页面不存在", "There is no such page")
        if exc.status_code >= 500 or exc.status_code in (204, 304):
            return await http_exception_handler(request, exc)
        return http_error_envelope(exc)

    app.add_exception_handler(RequestValidationError, _validation_error)

    app.add_middleware(observability.RouteTemplate)
    app.add_middleware(ReadRequests)
    app.add_middleware(BodyLimit, large=settings.max_upload_bytes)
    app.add_middleware(StandardHeaders, environment=settings.environment, settings=settings)
    observability.install(app)  # outermost: every answer carries its request id

    for module_name, attr in ROUTERS:
        app.include_router(getattr(importlib.import_module(module_name), attr))
    from patentdesk.web.routes import mount_static

    mount_static(app)
    from patentdesk import openapi

    openapi.install(app)
    return app
