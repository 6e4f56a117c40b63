"""Notices API for users: list, confirm (接收确认), download (also again from the cloud),
bulk download, deadlines (JSON and iCalendar)."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from patentdesk.blobs import BlobStore, blobs_for
from patentdesk.deps import Ctx, CurrentActor, DbSession
from patentdesk.errors import ValidationFailed
from patentdesk.notices import service
from patentdesk.notices.deadlines import DeadlineEntry
from patentdesk.notices.ical import DEFAULT_ALARM_DAYS, to_ical

router = APIRouter(prefix="/api/v1", tags=["notices"])

# The farthest ahead a deadline list looks (ten years, as the advanced query's
# ``deadline_within``): a larger number is refused, not turned into a date past year 9999.
MAX_DEADLINE_DAYS = 3660

# Dated obligations other domains list with the notices' deadlines: (module, function(db,
# ctx, actor, within_days=N) -> rows shaped as notices are, with their own "kind").
DEADLINE_SOURCES: list[tuple[str, str]] = [("patentdesk.fees.due", "deadline_rows")]


def _other_deadlines(db: Any, ctx: Any, actor: Any, days: int | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for module_name, func in DEADLINE_SOURCES:
        rows += getattr(importlib.import_module(module_name), func)(
            db, ctx, actor, within_days=days
        )
    return rows


def _blobs(request: Request) -> BlobStore:
    return blobs_for(request.app.state.settings)


@router.get("/notices")
def list_notices(
    actor: CurrentActor,
    db: DbSession,
    code: str | None = None,
    application_number: str | None = None,
    unconfirmed: bool = False,
    source: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The domain's notices, newest first, with filters; at most ``limit`` (1000) a page,
    the next page ``before`` the last id of this one."""
    rows = service.list_notices(
        db,
        actor,
        service.NoticeFilter(
            code=code,
            application_number=application_number,
            unconfirmed=unconfirmed,
            source=source,
            since=since,
            until=until,
            limit=limit,
            before=before,
        ),
    )
    return [service.notice_out(n) for n in rows]


@router.get("/notices/{notice_id}")
def get_notice(notice_id: uuid.UUID, actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    return service.notice_out(service.get(db, actor, notice_id))


@router.post("/notices/{notice_id}/confirm")
def confirm(notice_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    return service.notice_out(service.confirm(db, ctx, actor, notice_id))


@router.get("/notices/{notice_id}/pdf", response_class=Response)
def download(
    notice_id: uuid.UUID, actor: CurrentActor, db: DbSession, request: Request
) -> Response:
    """The notice's PDF; as often as needed (云端二次下载)."""
    notice, data = service.download(db, actor, notice_id, _blobs(request))
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{notice.code}-{notice.serial}.pdf"'
        },
    )


class BulkIn(BaseModel):
    ids: list[str] = Field(max_length=500, json_schema_extra={"minItems": 1})


@router.post("/notices/download", response_class=Response)
def download_many(body: BulkIn, actor: CurrentActor, db: DbSession, request: Request) -> Response:
    data = service.download_many(db, actor, body.ids, _blobs(request))
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="notices.zip"'},
    )


DEADLINE_PAGE = 500
_CURSOR = r"^\d{4}-\d{2}-\d{2}~[\x21-\x7e]{1,64}$"


@router.get("/deadlines")
def deadlines(
    actor: CurrentActor,
    db: DbSession,
    ctx: Ctx,
    response: Response,
    days: Annotated[
        int | None, Query(ge=0, le=MAX_DEADLINE_DAYS, description="due within this many days")
    ] = None,
    include_past: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000, description="rows per page")] = DEADLINE_PAGE,
    after: Annotated[
        str | None,
        Query(
            pattern=_CURSOR,
            description="the next page: ``deadline~serial`` of the last row seen "
            "(also sent as the ``X-Next-Cursor`` header of a full page)",
        ),
    ] = None,
) -> list[dict[str, Any]]:
    """Response deadlines of the domain, soonest first (``kind: "notice"``), with the fees
    due (``kind: "fee"``): an unpaid fee stays listed after its deadline, ``overdue``.
    Keyset-paged on (deadline, serial): a full page carries ``X-Next-Cursor``."""
    cursor = _cursor(after)
    rows = [
        service.notice_out(n) | {"kind": "notice"}
        for n in service.deadlines(
            db, actor, within_days=days, include_past=include_past, after=cursor, limit=limit
        )
    ]
    rows += [
        r
        for r in _other_deadlines(db, ctx, actor, days)
        if cursor is None or (r["deadline"], r["serial"]) > (cursor[0].isoformat(), cursor[1])
    ]
    page = sorted(rows, key=lambda r: (r["deadline"], r["serial"]))[:limit]
    if len(page) == limit:
        response.headers["X-Next-Cursor"] = f"{page[-1]['deadline']}~{page[-1]['serial']}"
    return page


def _cursor(after: str | None) -> tuple[dt.date, str] | None:
    if after is None:
        return None
    day, serial = after.split("~", 1)
    try:
        return dt.date.fromisoformat(day), serial
    except ValueError as exc:
        raise ValidationFailed(
            "after 应为上一页给出的“截止日~编号”，{day} 不是有效日期",
            "after must be the 'deadline~serial' the previous page gave; {day} is not a date",
            day=day[:10],
            details={"field": "after"},
        ) from exc


def _entry_of(row: dict[str, Any]) -> DeadlineEntry:
    """A deadline row of another domain (fees) as a calendar entry."""
    dispatched = row.get("dispatch_date")
    return DeadlineEntry(
        application_number=row["application_number"],
        notice_code=row["code"],
        serial=row["serial"],
        due_on=dt.date.fromisoformat(row["deadline"]),
        dispatched_on=dt.date.fromisoformat(dispatched) if dispatched else None,
        title=row.get("title"),
        notice_id=row["id"],
        summary=row["name"],
        note=row.get("text"),
    )


@router.get("/deadlines.ics", response_class=Response)
def deadlines_ical(
    actor: CurrentActor,
    db: DbSession,
    ctx: Ctx,
    request: Request,
    alarm_days: Annotated[
        int, Query(ge=0, le=90, description="the calendar reminds this many days before")
    ] = DEFAULT_ALARM_DAYS,
) -> Response:
    """The domain's deadlines as iCalendar, each with a reminder (7 days before by default)
    so that a calendar application warns before a deadline passes."""
    entries = service.deadline_entries(service.deadlines(db, actor, include_past=True))
    # Fees due are deadlines too (an unpaid annual fee lets a patent lapse); a payment
    # notice's own deadline is already an event.
    covered = {e.notice_id for e in entries}
    entries += [
        _entry_of(row) for row in _other_deadlines(db, ctx, actor, None) if row["id"] not in covered
    ]
    host = request.app.state.settings.base_url.split("//")[-1].split("/")[0].split(":")[0]
    data = to_ical(
        entries,
        uid_domain=host or "patentdesk",
        alarm_days_before=alarm_days,
    )
    return Response(
        data,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="deadlines.ics"'},
    )
