"""Rendering pages: the Jinja2 environment, language, CSRF token, and the page context."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from patentdesk.authz import Actor, Permission
from patentdesk.deps import SESSION_COOKIE, session_token
from patentdesk.errors import PatentDeskError, PermissionDenied
from patentdesk.identity.service import authenticate
from patentdesk.timeutil import to_beijing
from patentdesk.web.i18n import DEFAULT, LANGUAGES, translate

CSRF_COOKIE = "pd_csrf"
LANG_COOKIE = "pd_lang"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _beijing(value: Any) -> str:
    if value is None:
        return ""
    return to_beijing(value).strftime("%Y-%m-%d %H:%M")


templates.env.filters["beijing"] = _beijing


def add_template_dir(folder: Path) -> None:
    """Lets a domain keep its templates beside its code (``<domain>/templates``); adding
    the same folder twice (a module imported again) is harmless."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    if any(
        getattr(loader, "searchpath", None) == [str(folder)]
        for loader in getattr(templates.env.loader, "loaders", [])
    ):
        return
    templates.env.loader = ChoiceLoader(
        [templates.env.loader, FileSystemLoader(str(folder))]  # type: ignore[list-item]
    )


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or DEFAULT
    return lang if lang in LANGUAGES else DEFAULT


def _session_csrf(session_cookie: str) -> str:
    """A logged-in browser's CSRF token: derived from its session token (which no script
    and no other site can read), so it is bound to that session and changes at each login;
    a cookie planted by a sibling subdomain or on plain HTTP cannot match it."""
    digest = hmac.new(session_cookie.encode(), b"patentdesk csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def csrf_token(request: Request) -> str:
    """The token forms and htmx requests must send: bound to the session when there is
    one, else the anonymous double-submit cookie's (login and registration forms)."""
    token = getattr(request.state, "csrf", None)
    if not token:
        session_cookie = request.cookies.get(SESSION_COOKIE)
        if session_cookie:
            token = _session_csrf(session_cookie)
        else:
            token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf = token
    return str(token)


async def read_form(request: Request) -> None:
    """Page routers read a posted form here, on the event loop, so that their handlers can be
    plain functions. FastAPI runs those in its thread pool, where their database work (which on
    SQLite queues for the write lock) cannot stall the event loop that the request holding the
    lock needs in order to finish."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data") and not await _signed_in(request):
        # Uploads are for logged-in users: nobody else makes the server spool a file (a
        # cookie by the right name is not enough; its session must be a live one).
        return
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        request.state.form = await request.form()


async def _signed_in(request: Request) -> bool:
    token = session_token(request)
    if not token:
        return False

    def check() -> bool:
        with request.app.state.db.unit_of_work() as db:
            return authenticate(db, token) is not None

    return await run_in_threadpool(check)


def page_router() -> APIRouter:
    """The router every page module uses: hidden from the API schema, forms read up front."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(read_form)])


def posted(request: Request) -> FormData:
    """The form ``read_form`` read (empty when the request carried none)."""
    form = getattr(request.state, "form", None)
    return form if isinstance(form, FormData) else FormData()


def check_csrf(request: Request) -> None:
    """The form field (or htmx header) must equal the session-bound token, or — with no
    session — the anonymous cookie (double submit)."""
    session_cookie = request.cookies.get(SESSION_COOKIE)
    expected = _session_csrf(session_cookie) if session_cookie else request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        value = posted(request).get("csrf")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise PermissionDenied(
            "表单已过期，请刷新页面后重试",
            "The form has expired; reload the page",
            details={"why": "csrf"},
        )


def form_values(request: Request) -> dict[str, str]:
    """The posted text fields, after the CSRF check."""
    check_csrf(request)
    return {k: v for k, v in posted(request).items() if isinstance(v, str)}


def settle(db: Any, exc: PatentDeskError) -> None:
    """A page that shows an error must not keep half of the failed change, except the
    record that the error itself needs (a failed login counts toward the limit)."""
    if exc.commit_anyway:
        db.commit()
    else:
        db.rollback()


def error_text(lang: str, exc: PatentDeskError) -> str:
    return exc.zh if lang == "zh" else exc.en


def page(
    request: Request,
    template: str,
    actor: Actor | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    settings = request.app.state.settings

    def t(key: str, **fmt: object) -> str:
        return translate(lang, key, **fmt)

    ctx = {
        "request": request,
        "actor": actor,
        "lang": lang,
        "t": t,
        "csrf": csrf_token(request),
        "environment": settings.environment,
        "can_manage": actor is not None and actor.can(Permission.ORG_MANAGE),
        "is_office": actor is not None and actor.is_office,
        **context,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if not request.cookies.get(SESSION_COOKIE):
        # Only anonymous forms use the cookie; a session's token is derived, never stored.
        response.set_cookie(
            CSRF_COOKIE,
            ctx["csrf"],
            httponly=False,
            samesite="strict",
            secure=settings.secure_cookies,
        )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=3600 * 24 * 365)
    return response
