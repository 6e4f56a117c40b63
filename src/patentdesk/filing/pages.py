""" "My cases" in the web portal: the domain's cases, and per case its bibliographic record
(with the change history), its submissions with receipt downloads, and its notices."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patentdesk.authz import Permission
from patentdesk.deps import DbSession, OptionalActor
from patentdesk.errors import PatentDeskError
from patentdesk.filing import service
from patentdesk.filing.cases import (
    CASE_STATUSES,
    CaseFilter,
    business_label,
    case_submissions,
    list_cases,
)
from patentdesk.notices import service as notices
from patentdesk.timeutil import beijing_date
from patentdesk.web.render import (
    error_text,
    lang_of,
    page,
    page_router,
    settle,
    templates,
)
from patentdesk.web.routes import NAV_ITEMS

router = page_router()

# Keys of the bibliographic record shown in their own rows; the rest follow generically.
_SHOWN = ("applicants", "inventors", "agency", "efiling_user", "changes")


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    actor: OptionalActor,
    db: DbSession,
    q: str | None = None,
    status: str | None = None,
) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    status = status if status in CASE_STATUSES else None
    extra: dict[str, Any] = {}
    rows = []
    try:
        rows = list_cases(db, actor, CaseFilter(text=q, status=status))
    except PatentDeskError as exc:
        settle(db, exc)
        extra = {"status_code": exc.status, "error": error_text(lang_of(request), exc)}
    return page(
        request,
        "cases.html",
        actor,
        rows=rows,
        q=q or "",
        status=status or "",
        statuses=CASE_STATUSES,
        nav_items=NAV_ITEMS,
        **extra,
    )


def _changes(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The change history with its times as datetimes (stored as ISO text)."""
    out = []
    for change in record.get("changes") or []:
        entry = dict(change)
        try:
            entry["at"] = dt.datetime.fromisoformat(str(change.get("at")))
        except ValueError:
            entry["at"] = None
        out.append(entry)
    return out


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: str, request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    try:
        case = service.get_case(db, actor, _uuid(case_id))
    except PatentDeskError as exc:
        settle(db, exc)
        return page(
            request,
            "cases.html",
            actor,
            status_code=exc.status,
            error=error_text(lang_of(request), exc),
            rows=[],
            q="",
            status="",
            statuses=CASE_STATUSES,
            nav_items=NAV_ITEMS,
        )
    record = dict(case.bibliographic or {})
    case_notices = notices.list_notices(
        db,
        actor,
        notices.NoticeFilter(application_number=case.application_number, limit=1000),
    )
    return page(
        request,
        "cases_detail.html",
        actor,
        case=case,
        record=record,
        other_items={k: v for k, v in record.items() if k not in _SHOWN and v not in (None, "")},
        changes=_changes(record),
        submissions=case_submissions(db, actor, case),
        notices=[n for n in case_notices if n.application_number == case.application_number],
        can_download=actor.can(Permission.RECEIPT_DOWNLOAD),
        can_download_notices=actor.can(Permission.NOTICE_DOWNLOAD),
        today=beijing_date(),
        nav_items=NAV_ITEMS,
    )


def _uuid(value: str) -> uuid.UUID:
    from patentdesk.filing.errors import ApplicationNotFound

    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApplicationNotFound(number=value) from None


def _register() -> None:
    templates.env.globals.setdefault("business_label", business_label)
    if not any(item["href"] == "/cases" for item in NAV_ITEMS):
        NAV_ITEMS.insert(0, {"href": "/cases", "key": "nav.cases"})


_register()
