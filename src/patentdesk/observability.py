"""What operators see of a running cluster: metrics, request ids, JSON logs, probes.

- ``/metrics``: Prometheus text format (``prometheus-client``). Requests and latencies by
  route *template* (``/api/v1/qr/{request_id}``, never the raw path: one series per route,
  not per id), committed events by kind (logins, submissions, …), waits for locks, and
  storage (blob) errors. With ``serve --workers N`` every worker writes its figures to a
  shared folder (the library's multiprocess mode) and any worker answers for all of them.
  Only scrapers may read it: by default from loopback and private networks, never through
  a proxy (a request carrying ``X-Forwarded-For``/``Forwarded`` came through one), and with
  ``PATENTDESK_METRICS_TOKEN`` set only with that bearer token.
- Every response carries ``X-Request-ID``: the caller's when it is sane (1–128 letters,
  digits and ``._:-``, as load balancers make them), else a new one; each log line written
  while the request runs names it.
- ``/livez`` answers while the process serves; ``/readyz`` only while the database, the
  blob store and the keys answer (a load balancer sends traffic only to ready servers).
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import json
import logging
import os
import re
import secrets
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patentdesk import db

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_OBS_KEY = "patentdesk.observed"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "patentdesk_request_id", default=None
)
access_log = logging.getLogger("patentdesk.access")

# --------------------------------------------------------------------------- metrics

REQUESTS = Counter(
    "patentdesk_http_requests_total",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "patentdesk_http_request_duration_seconds",
    "Time to answer an HTTP request (to the last byte), by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
EVENTS = Counter(
    "patentdesk_events_total",
    "Committed audit events by action (login.success, login.failed, case.submitted, …)",
    ["action"],
)
LOGINS = Counter("patentdesk_logins_total", "Login attempts by outcome", ["outcome"])
SUBMISSIONS = Counter("patentdesk_submissions_total", "Submissions accepted and numbered")
LOCK_WAIT = Histogram(
    "patentdesk_lock_wait_seconds",
    "Time spent waiting for a lock: sqlite_write (SQLite's write lock), cluster locks by name",
    ["lock"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30),
)
BLOB_ERRORS = Counter(
    "patentdesk_blob_errors_total",
    "Blob store (object storage or data folder) faults answered to users, by kind",
    ["kind"],
)


def observe_lock_wait(lock: str, seconds: float) -> None:
    LOCK_WAIT.labels(lock).observe(seconds)


db.lock_wait_observer = observe_lock_wait


def count_blob_error(kind: str) -> None:
    BLOB_ERRORS.labels(kind).inc()


def registry() -> CollectorRegistry:
    """The figures of this process, or of every worker in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        return combined
    return REGISTRY


def prepare_multiprocess(folder: Path) -> None:
    """Before worker processes start: an empty folder for their figures, named in the
    environment they inherit (figures of an earlier run would otherwise add up)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(folder)


# Audit events are counted when their transaction commits, so a rolled-back attempt is not.
_PENDING = "patentdesk_obs_events"


@event.listens_for(Session, "after_flush")
def _collect_events(session: Session, _context: Any) -> None:
    from patentdesk.audit import AuditEvent

    actions = [o.action for o in session.new if isinstance(o, AuditEvent)]
    if actions:
        session.info.setdefault(_PENDING, []).extend(actions)


@event.listens_for(Session, "after_commit")
def _count_events(session: Session) -> None:
    for action in session.info.pop(_PENDING, []):
        EVENTS.labels(action).inc()
        if action.startswith("login."):
            LOGINS.labels(action.removeprefix("login.")).inc()
        elif action == "case.submitted":
            SUBMISSIONS.inc()


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --------------------------------------------------------------------------- middleware


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1").strip()
            if _SANE_ID.match(given):
                return given
            break
    return secrets.token_hex(16)


class Observe:
    """Outermost: request id, access log line, request metrics (plain ASGI, as the others)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = request_id_var.set(rid)
        observed: dict[str, Any] = {"status": 500}
        scope[_OBS_KEY] = observed
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                observed["status"] = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = observed.get("route") or "unmatched"
            method = scope["method"]
            status = observed["status"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            request_id_var.reset(token)


class RouteTemplate:
    """Innermost: reads the route the router matched (middlewares in between may pass a
    copy of the scope on, so the template travels back in a shared dict)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            observed = scope.get(_OBS_KEY)
            route = scope.get("route")
            if observed is not None and route is not None:
                observed["route"] = getattr(route, "path", None) or "unmatched"


def install(app: Any) -> None:
    """Call after every other middleware is added: Observe goes outermost."""
    app.add_middleware(Observe)


# --------------------------------------------------------------------------- logs


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and the
    fields a caller passed in ``extra`` (the access log's method, route, status, …)."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info))
        out["pid"] = record.process
        return json.dumps(out, ensure_ascii=False, default=str)


def logging_config(fmt: str) -> dict[str, Any]:
    """uvicorn's ``log_config``: JSON lines (or plain text) on stderr for every logger."""
    formatter = (
        {"()": "patentdesk.observability.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


# --------------------------------------------------------------------------- endpoints

router = APIRouter(tags=["operations"], include_in_schema=False)


def _may_scrape(request: Request) -> bool:
    settings = request.app.state.settings
    if not settings.metrics_enabled:
        return False
    secret = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if secret:
        given = request.headers.get("authorization", "")
        return secrets.compare_digest(given.encode(), f"Bearer {secret}".encode())
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False  # relayed by a proxy: possibly from anywhere
    try:
        client = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return any(client in net for net in allowed_networks(settings.metrics_allow))


def allowed_networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    ]


@router.get("/metrics")
def metrics(request: Request) -> Response:
    if not _may_scrape(request):
        # As if there were nothing here: the figures are for the operators' scraper only.
        return JSONResponse(
            {
                "error": {
                    "code": "NOT_FOUND",
                    "message": "对象不存在",
                    "message_en": "Not found",
                }
            },
            status_code=404,
        )
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


@router.get("/livez")
def livez() -> dict[str, str]:
    return {"status": "ok"}


ReadinessCheck = Callable[[Any], None]


def _check_database(app: Any) -> None:
    with app.state.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _check_blobs(app: Any) -> None:
    store = getattr(app.state, "blob_store", None)
    if store is not None and hasattr(store, "ping"):
        store.ping()
        return
    data = Path(app.state.settings.data)
    if not data.is_dir() or not os.access(data, os.W_OK | os.X_OK):
        raise OSError(f"the data folder {data} is not writable")


def _check_keys(app: Any) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from patentdesk.pki.service import ca_for, office_signer

    settings = app.state.settings
    ca_for(settings)
    signer = office_signer(settings)
    # A signature proves the key (in a token: the token and its session) answers.
    signer.certificate.public_key().verify(  # type: ignore[union-attr,call-arg]
        signer.private_key.sign(b"readyz", ec.ECDSA(hashes.SHA256())),
        b"readyz",
        ec.ECDSA(hashes.SHA256()),  # type: ignore[arg-type]
    )


#: What must answer before a server takes traffic (other domains may add theirs).
READINESS_CHECKS: dict[str, ReadinessCheck] = {
    "database": _check_database,
    "blobs": _check_blobs,
    "keys": _check_keys,
}


@contextlib.contextmanager
def _timed(results: dict[str, str], name: str) -> Iterator[None]:
    try:
        yield
        results[name] = "ok"
    except Exception as exc:
        code = getattr(exc, "code", None) or type(exc).__name__
        logging.getLogger(__name__).warning("readiness check %s failed", name, exc_info=exc)
        results[name] = f"failed: {code}"


@router.get("/readyz")
def readyz(request: Request) -> Response:
    results: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        with _timed(results, name):
            check(request.app)
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": results},
        status_code=200 if ready else 503,
    )
