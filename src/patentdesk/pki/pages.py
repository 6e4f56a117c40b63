"""Web portal pages of this domain (thin): QR login and the certificate panel.

QR login on the web (A3, A7): ``/login/qr`` makes a login request for this browser and
renders its QR code (inline SVG) and short code; the client's secret goes into an HttpOnly
cookie, so only this browser can collect the session (a relayed QR code gives an attacker
nothing). htmx polls ``/login/qr/status`` every two seconds; once the phone approves, the
answer sets the session cookie and sends the browser to My Desk (``HX-Redirect``).

The account page's ``certificate_panel`` hook is filled here (a Jinja global): the panel
loads ``/account/certificates`` — the user's certificates with download links and bound
phones with a 挂失 (report lost) button.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.errors import PatentDeskError
from patentdesk.identity import qrlogin
from patentdesk.identity.errors import RoleUnavailable
from patentdesk.pki import qr, service
from patentdesk.pki.keys import format_serial
from patentdesk.timeutil import now
from patentdesk.web.render import (
    check_csrf,
    error_text,
    lang_of,
    page,
    page_router,
    templates,
)

router = page_router()

QR_COOKIE = "pd_qr"
QR_COOKIE_PATH = "/login/qr"
POLL_SECONDS = 2

templates.env.globals["certificate_panel"] = "certificate_panel.html"


# ---------------------------------------------------------------- QR login


def _qr_svg(payload: str) -> str:
    import segno

    svg: str = segno.make(payload, error="m").svg_inline(scale=4, border=4)
    return svg


# The identities the login page offers (C8, A2: "以经办人身份扫码登录"); the phone shows the
# one asked for, and the session starts in it when the user holds it in exactly one place.
WEB_LOGIN_ROLES = ("natural", "handler", "sub")


@router.get("/login/qr", response_class=HTMLResponse)
def qr_login_box(request: Request, db: DbSession, ctx: Ctx, role: str | None = None) -> Response:
    """A fresh login QR code for this browser (the htmx fragment in #qr-box)."""
    row, payload, secret = qrlogin.create_login_request(
        db,
        ctx,
        client_kind="web",
        device_name=request.headers.get("user-agent"),
        role=role if role in WEB_LOGIN_ROLES else None,
    )
    response = page(
        request,
        "qr_login.html",
        None,
        state="pending",
        payload=payload,
        svg=_qr_svg(payload),
        short_code=row.short_code,
        expires_at=row.expires_at,
        poll_seconds=POLL_SECONDS,
    )
    response.set_cookie(
        QR_COOKIE,
        f"{row.id}.{secret}",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        max_age=request.app.state.settings.qr_ttl_seconds + 60,
        path=QR_COOKIE_PATH,
    )
    return response


def _end_state(exc: PatentDeskError) -> str:
    if isinstance(exc, RoleUnavailable):
        return "role"
    if isinstance(exc, qr.QrDenied):
        return "denied"
    if isinstance(exc, qr.QrAlreadyUsed):
        return "used"
    return "expired"


@router.get("/login/qr/status", response_class=HTMLResponse)
def qr_login_status(request: Request, db: DbSession, ctx: Ctx) -> Response:
    """Polled by htmx: still waiting (the poller again), the way in, or a refresh button."""
    from patentdesk.web.routes import set_session_cookie

    request_id, _, secret = (request.cookies.get(QR_COOKIE) or "").partition(".")
    try:
        _state, _row, session, token = qrlogin.poll_login(db, ctx, request_id, secret)
    except PatentDeskError as exc:
        # Unknown or missing cookie (NotFound, QR_SECRET_INVALID) ends like an expiry:
        # the browser shows a refresh button and never learns more.
        db.rollback()
        state = _end_state(exc)
        error = error_text(lang_of(request), exc) if state == "role" else None
        response = page(request, "qr_login.html", None, state=state, error=error)
        response.delete_cookie(QR_COOKIE, path=QR_COOKIE_PATH)
        return response
    if session is None or token is None:
        return page(request, "qr_login.html", None, state="waiting", poll_seconds=POLL_SECONDS)
    response = page(request, "qr_login.html", None, state="approved")
    set_session_cookie(response, request, token)
    response.delete_cookie(QR_COOKIE, path=QR_COOKIE_PATH)
    response.headers["HX-Redirect"] = "/desk"
    return response


# ---------------------------------------------------------------- certificates, phones


def _certificate_rows(db: DbSession, user_id: uuid.UUID) -> list[dict[str, Any]]:
    moment = now()
    rows = []
    for cert in service.user_certificates(db, user_id):
        if cert.revoked_at is not None:
            status = "revoked"
        elif cert.not_after <= moment:
            status = "expired"
        else:
            status = "valid"
        rows.append(
            {
                "serial": cert.serial,
                "serial_hex": format_serial(cert.serial),
                "not_before": cert.not_before,
                "not_after": cert.not_after,
                "status": status,
            }
        )
    return rows


@router.get("/account/certificates", response_class=HTMLResponse)
def certificate_panel(
    request: Request, actor: OptionalActor, db: DbSession, flash: str | None = None
) -> Response:
    """The certificate panel of the account page (loaded by htmx)."""
    from patentdesk.web.routes import flash_for

    if actor is None:
        return Response(status_code=401)
    return page(
        request,
        "certificate_list.html",
        actor,
        certificates=_certificate_rows(db, actor.user_id),
        devices=service.user_devices(db, actor.user_id),
        flash=flash_for(request, flash),
    )


@router.post("/account/devices/{device_id}/lost", response_class=HTMLResponse)
def report_lost(
    device_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    """挂失 from the web: the phone's certificates are revoked at once."""
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    check_csrf(request)
    try:
        service.report_lost(db, ctx, actor, device_id)
        flash = "device_lost"
    except PatentDeskError:
        db.rollback()
        flash = "device_lost_failed"
    return RedirectResponse(f"/account?flash={flash}", status_code=303)
