"""Notice pages of the web portal: the inbox (接收确认, downloads single and bulk), cloud
re-download (云端二次下载, also notices migrated from the legacy channel), the deadlines
with their iCalendar export, and a My Desk panel.

Thin handlers over :mod:`patentdesk.notices.service`; errors are shown on the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor, Permission
from patentdesk.blobs import BlobStore, blobs_for
from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.errors import PatentDeskError, ValidationFailed
from patentdesk.notices import service
from patentdesk.notices.models import Notice
from patentdesk.notices.types import all_notice_types
from patentdesk.timeutil import beijing_date
from patentdesk.web.render import (
    check_csrf,
    error_text,
    lang_of,
    page,
    page_router,
    posted,
    settle,
)
from patentdesk.web.routes import DESK_PANELS, NAV_ITEMS

router = page_router()

DESK_WINDOW_DAYS = 30  # the My Desk panel shows deadlines due within this many days


def _blobs(request: Request) -> BlobStore:
    return blobs_for(request.app.state.settings)


def _login(actor: Actor | None) -> Response | None:
    return RedirectResponse("/login", status_code=303) if actor is None else None


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            "日期格式不正确：{value}（应为 YYYY-MM-DD）",
            "Invalid date: {value} (expected YYYY-MM-DD)",
            value=value,
            details={"field": field},
        ) from None


def days_left(notice: Notice, today: dt.date) -> int | None:
    """Days from today (Beijing) to the notice's deadline; negative once it has passed."""
    return None if notice.deadline is None else (notice.deadline - today).days


def _common() -> dict[str, Any]:
    return {"today": beijing_date(), "days_left": days_left, "notice_types": all_notice_types()}


def _filter(params: Mapping[str, str | None], **fixed: Any) -> service.NoticeFilter:
    return service.NoticeFilter(
        code=(params.get("code") or "").strip() or None,
        application_number=(params.get("application_number") or "").strip() or None,
        unconfirmed=(params.get("unconfirmed") or "") in ("1", "true", "on"),
        source=(params.get("source") or "").strip() or None,
        since=_date(params.get("since"), "since"),
        until=_date(params.get("until"), "until"),
        **fixed,
    )


def _list_page(
    request: Request,
    actor: Actor,
    db: Db,
    template: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    **extra: Any,
) -> Response:
    params = dict(request.query_params)
    rows: list[Notice] = []
    try:
        rows = service.list_notices(db, actor, _filter(params))
    except PatentDeskError as exc:
        status_code, error = exc.status, error_text(lang_of(request), exc)
    return page(
        request,
        template,
        actor,
        status_code=status_code,
        error=error,
        rows=rows,
        params=params,
        nav_items=NAV_ITEMS,
        **_common(),
        **extra,
    )


@router.get("/notices", response_class=HTMLResponse)
def inbox(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """The domain's notices with filters; 接收确认 and downloads."""
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    return _list_page(request, actor, db, "notices.html")


@router.get("/notices/cloud", response_class=HTMLResponse)
def cloud(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """云端二次下载: every notice of the domain can be downloaded again, also those first
    fetched through a legacy channel and migrated here (seed A11, C10)."""
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    return _list_page(request, actor, db, "notices_cloud.html")


@router.get("/notices/deadlines", response_class=HTMLResponse)
def deadlines(
    request: Request, actor: OptionalActor, db: DbSession, past: str | None = None
) -> Response:
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    include_past = past in ("1", "true", "on")
    try:
        rows = service.deadlines(db, actor, include_past=include_past)
    except PatentDeskError as exc:
        settle(db, exc)
        return page(
            request,
            "notices_deadlines.html",
            actor,
            status_code=exc.status,
            error=error_text(lang_of(request), exc),
            rows=[],
            include_past=include_past,
            nav_items=NAV_ITEMS,
            **_common(),
        )
    return page(
        request,
        "notices_deadlines.html",
        actor,
        rows=rows,
        include_past=include_past,
        nav_items=NAV_ITEMS,
        **_common(),
    )


def _back(value: str | None) -> str:
    """Where to return after an action: a notices page of this site, never elsewhere."""
    parts = urlsplit(value or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/notices"):
        return "/notices"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _form_ids(request: Request) -> tuple[list[str], str]:
    check_csrf(request)
    form = posted(request)
    ids = [v for v in form.getlist("ids") if isinstance(v, str) and v]
    back = form.get("back")
    return ids, _back(back if isinstance(back, str) else None)


def _action_failed(
    request: Request, actor: Actor, db: Db, exc: PatentDeskError, back: str
) -> Response:
    settle(db, exc)
    template = "notices_cloud.html" if back.startswith("/notices/cloud") else "notices.html"
    return _list_page(
        request,
        actor,
        db,
        template,
        status_code=exc.status,
        error=error_text(lang_of(request), exc),
    )


@router.post("/notices/{notice_id}/confirm", response_class=HTMLResponse)
def confirm_one(
    notice_id: str, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    _ids, back = _form_ids(request)
    try:
        service.confirm(db, ctx, actor, notice_id)
    except PatentDeskError as exc:
        return _action_failed(request, actor, db, exc, back)
    return RedirectResponse(back, status_code=303)


@router.post("/notices/confirm", response_class=HTMLResponse)
def confirm_selected(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    """接收确认 of every selected notice (all or nothing)."""
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    ids, back = _form_ids(request)
    try:
        if not ids:
            raise _nothing_selected()
        for notice_id in ids:
            service.confirm(db, ctx, actor, notice_id)
    except PatentDeskError as exc:
        return _action_failed(request, actor, db, exc, back)
    return RedirectResponse(back, status_code=303)


def _nothing_selected() -> ValidationFailed:
    return ValidationFailed(
        "请先勾选通知书", "Select one or more notices first", details={"field": "ids"}
    )


@router.post("/notices/download", response_class=HTMLResponse)
def download_selected(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """The selected notices as one ZIP of PDFs."""
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    ids, back = _form_ids(request)
    try:
        if not ids:
            raise _nothing_selected()
        data = service.download_many(db, actor, ids, _blobs(request))
    except PatentDeskError as exc:
        return _action_failed(request, actor, db, exc, back)
    stamp = beijing_date().strftime("%Y%m%d")
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="notices-{stamp}.zip"'},
    )


@router.get("/notices/{notice_id}/pdf", response_class=HTMLResponse)
def download_one(notice_id: str, request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """One notice's PDF, as often as needed (云端二次下载)."""
    if (r := _login(actor)) is not None:
        return r
    assert actor is not None
    try:
        notice, data = service.download(db, actor, notice_id, _blobs(request))
    except PatentDeskError as exc:
        return _action_failed(request, actor, db, exc, "/notices")
    name = f"{notice.application_number.replace('/', '_')}-{notice.code}-{notice.serial}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------- My Desk


def desk_panel(db: Db, actor: Actor) -> dict[str, Any] | None:
    """Unconfirmed notices and deadlines due within 30 days, on My Desk."""
    if actor.is_office or not actor.can(Permission.NOTICE_VIEW):
        return None
    return {
        "desk_unconfirmed": service.list_notices(
            db, actor, service.NoticeFilter(unconfirmed=True, limit=10)
        ),
        "desk_deadlines": service.deadlines(db, actor, within_days=DESK_WINDOW_DAYS)[:10],
        "desk_window_days": DESK_WINDOW_DAYS,
        "today": beijing_date(),
        "days_left": days_left,
    }


def _register() -> None:
    """Contribute the nav entry and the desk panel once, however often apps are made."""
    if not any(item["href"] == "/notices" for item in NAV_ITEMS):
        NAV_ITEMS.append({"href": "/notices", "key": "nav.notices"})
    if not any(template == "notices_panel.html" for template, _ in DESK_PANELS):
        DESK_PANELS.append(("notices_panel.html", desk_panel))


_register()
