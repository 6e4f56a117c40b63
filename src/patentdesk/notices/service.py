"""Notices (通知书): issued by the office, delivered to a domain, confirmed (接收确认),
downloaded and downloaded again from the cloud at any time (云端二次下载), with response
deadlines computed from the delivery date and moved past Chinese non-working days."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize, can_see_domain, restrict
from patentdesk.blobs import BlobStore
from patentdesk.config import Settings
from patentdesk.errors import NotFound, ValidationFailed
from patentdesk.filing.allocation import next_serial
from patentdesk.filing.disclosure import may_read_case
from patentdesk.filing.models import Case
from patentdesk.identity.service import Context
from patentdesk.notices.deadlines import (
    DeadlineEntry,
    DeliveryMode,
    delivery_date,
    response_deadline,
    rule_for,
)
from patentdesk.notices.documents import NoticeData, render_notice_pdf
from patentdesk.notices.models import Notice
from patentdesk.notices.types import notice_type
from patentdesk.timeutil import beijing_date, iso, now

# What a notice does to its case's status.
STATUS_BY_CODE = {
    "200101": "accepted",
    "200102": "refused",
    "200022": "withdrawn",
    "200305": "rejected",
    "210407": "rejected",
    "210413": "granted",
    "220601": "granted",
    "230601": "granted",
    "200702": "terminated",
    "200905": "reexamination",
    "201003": "invalidation",
}


class NoticeNotFound(NotFound):
    code = "NOTICE_NOT_FOUND"
    message_zh = "通知书不存在"
    message_en = "No such notice"


def dispatch_serial(db: Db, day: dt.date) -> str:
    """发文序列号: dispatch date and a counter, unique across the office."""
    value = next_serial(db, f"NOTICE-{day:%Y%m%d}")
    return f"{day:%Y%m%d}{value:08d}"


def _applicant(case: Case | None) -> str:
    if case is None:
        return ""
    return "、".join(str(a.get("name")) for a in case.applicants if a.get("name"))


def issue(
    db: Db,
    ctx: Context,
    *,
    case: Case,
    code: str,
    text: str = "",
    domain_id: uuid.UUID | None = None,
    submission_id: uuid.UUID | None = None,
    issued_by: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    blobs: BlobStore,
    delivery: DeliveryMode | str = "electronic",
) -> Notice:
    """Issues a notice from its type's template; delivered at once to the domain's inbox
    (``electronic``), or sent on paper as well (``paper``: served by the 15-day
    presumption, and its deadline counts from then)."""
    kind = notice_type(code)
    if len(text) > 5000:
        raise ValidationFailed(
            "通知书正文过长（上限 5000 字）",
            "Notice text too long (5000 max)",
            details={"field": "text"},
        )
    recipient = domain_id or case.domain_id
    # A notice to another domain (a refused third-party change, a reexamination or an
    # invalidation request) names the case by its number only until it is published.
    public = may_read_case(case, recipient)
    dispatched = now()
    day = beijing_date(dispatched)
    rule = rule_for(ctx.settings.delivery_rule, delivery, day)
    deadline = response_deadline(code, day, rule, day)
    serial = dispatch_serial(db, day)
    pdf = _signed_pdf(
        ctx.settings,
        NoticeData(
            code=code,
            application_number=case.application_number,
            serial=serial,
            dispatched_on=day,
            environment_id=ctx.settings.environment,
            title=case.title if public else "",
            applicant=_applicant(case) if public else "",
            filing_date=case.filing_date if public else None,
            deadline=deadline,
            text=text,
        ),
    )
    notice = Notice(
        serial=serial,
        code=code,
        name=kind.name_zh,
        case_id=case.id,
        application_number=case.application_number,
        title=case.title if public else None,
        domain_id=recipient,
        dispatched_at=dispatched,
        dispatch_date=day,
        delivered_on=delivery_date(day, rule, day),
        delivery=delivery,
        deadline=deadline,
        text=text,
        data=data or {},
        pdf_sha256=blobs.put_bytes(pdf),
        source="office",
        submission_id=submission_id,
        issued_by_user_id=issued_by,
    )
    db.add(notice)
    new_status = STATUS_BY_CODE.get(code)
    if new_status and domain_id in (None, case.domain_id):
        case.status = new_status
        if new_status == "granted" and case.patent_number is None:
            case.patent_number = "ZL" + case.application_number
    db.flush()
    audit.record(
        db,
        "notice.issued",
        environment=ctx.settings.environment,
        actor_user_id=issued_by,
        actor_role="office",
        ip=ctx.ip,
        target=f"notice:{notice.id}",
        code=code,
        serial=serial,
        application=case.application_number,
    )
    # Queued with the notice (same transaction), sent later by the alerts sweep.
    from patentdesk.alerts.service import notice_issued

    notice_issued(db, ctx, notice)
    return notice


# ---------------------------------------------------------------- the user's side


@dataclass
class NoticeFilter:
    code: str | None = None
    application_number: str | None = None
    unconfirmed: bool = False
    source: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 200
    # Keyset paging: the id of the last notice of the previous page (newest first).
    before: uuid.UUID | str | None = None


def list_notices(db: Db, actor: Actor, f: NoticeFilter) -> list[Notice]:
    stmt = restrict(select(Notice), Notice.domain_id, actor, Permission.NOTICE_VIEW)
    if f.code:
        stmt = stmt.where(Notice.code == f.code)
    if f.application_number:
        stmt = stmt.where(Notice.application_number.startswith(f.application_number.strip()))
    if f.unconfirmed:
        stmt = stmt.where(Notice.confirmed_at.is_(None))
    if f.source:
        stmt = stmt.where(Notice.source == f.source)
    if f.since:
        stmt = stmt.where(Notice.dispatch_date >= f.since)
    if f.until:
        stmt = stmt.where(Notice.dispatch_date <= f.until)
    if f.before:
        anchor = get(db, actor, f.before)  # one the actor may see, or 404
        stmt = stmt.where(
            or_(
                Notice.dispatched_at < anchor.dispatched_at,
                and_(Notice.dispatched_at == anchor.dispatched_at, Notice.id < anchor.id),
            )
        )
    stmt = stmt.order_by(Notice.dispatched_at.desc(), Notice.id.desc())
    return list(db.scalars(stmt.limit(max(1, min(f.limit, 1000)))))


def get(
    db: Db,
    actor: Actor,
    notice_id: uuid.UUID | str,
    permission: Permission = Permission.NOTICE_VIEW,
) -> Notice:
    authorize(actor, permission)
    try:
        nid = notice_id if isinstance(notice_id, uuid.UUID) else uuid.UUID(str(notice_id))
    except ValueError as exc:
        raise NoticeNotFound() from exc
    notice = db.get(Notice, nid)
    if notice is None or not can_see_domain(actor, notice.domain_id, permission):
        raise NoticeNotFound()
    return notice


def confirm(db: Db, ctx: Context, actor: Actor, notice_id: uuid.UUID | str) -> Notice:
    """接收确认: the domain acknowledges receipt (once; later calls change nothing)."""
    notice = get(db, actor, notice_id, Permission.NOTICE_CONFIRM)
    if notice.confirmed_at is None:
        notice.confirmed_at = now()
        notice.confirmed_by_user_id = actor.user_id
        audit.record(
            db,
            "notice.confirmed",
            environment=ctx.settings.environment,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            ip=ctx.ip,
            target=f"notice:{notice.id}",
        )
    return notice


def download(
    db: Db, actor: Actor, notice_id: uuid.UUID | str, blobs: BlobStore
) -> tuple[Notice, bytes]:
    """The PDF, any number of times (云端二次下载); the first download is remembered."""
    notice = get(db, actor, notice_id, Permission.NOTICE_DOWNLOAD)
    data = blobs.read(notice.pdf_sha256)
    notice.first_downloaded_at = notice.first_downloaded_at or now()
    notice.download_count += 1
    return notice, data


def download_many(db: Db, actor: Actor, ids: list[str], blobs: BlobStore) -> bytes:
    """Bulk download: one ZIP of PDFs named by application number, code and serial."""
    if not ids or len(ids) > 500:
        raise ValidationFailed(
            "请选择 1 至 500 份通知书", "Choose 1 to 500 notices", details={"field": "ids"}
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for notice_id in ids:
            notice, data = download(db, actor, notice_id, blobs)
            name = (
                f"{notice.application_number.replace('/', '_')}-{notice.code}-{notice.serial}.pdf"
            )
            z.writestr(name, data)
    return buf.getvalue()


def deadlines(
    db: Db,
    actor: Actor,
    *,
    within_days: int | None = None,
    include_past: bool = False,
    after: tuple[dt.date, str] | None = None,
    limit: int = 5000,
) -> list[Notice]:
    """Notices with a response deadline, soonest first; ``after`` (deadline, serial) is the
    keyset cursor of the next page."""
    stmt = restrict(select(Notice), Notice.domain_id, actor, Permission.NOTICE_VIEW).where(
        Notice.deadline.isnot(None)
    )
    today = beijing_date()
    if not include_past:
        stmt = stmt.where(Notice.deadline >= today)
    if within_days is not None:
        stmt = stmt.where(Notice.deadline <= today + dt.timedelta(days=within_days))
    if after is not None:
        day, serial = after
        stmt = stmt.where(
            or_(Notice.deadline > day, and_(Notice.deadline == day, Notice.serial > serial))
        )
    return list(db.scalars(stmt.order_by(Notice.deadline, Notice.serial).limit(limit)))


def deadline_entries(rows: list[Notice]) -> list[DeadlineEntry]:
    return [
        DeadlineEntry(
            application_number=n.application_number,
            notice_code=n.code,
            serial=n.serial,
            due_on=n.deadline,
            dispatched_on=n.dispatch_date,
            title=n.title,
            notice_id=str(n.id),
        )
        for n in rows
        if n.deadline
    ]


def notice_out(n: Notice) -> dict[str, Any]:
    return {
        "id": str(n.id),
        "code": n.code,
        "name": n.name,
        "serial": n.serial,
        "application_number": n.application_number,
        "title": n.title,
        "dispatched_at": iso(n.dispatched_at),
        "dispatch_date": n.dispatch_date.isoformat(),
        "deadline": n.deadline.isoformat() if n.deadline else None,
        "delivery": n.delivery,
        "delivered_on": n.delivered_on.isoformat() if n.delivered_on else None,
        "confirmed_at": iso(n.confirmed_at),
        "first_downloaded_at": iso(n.first_downloaded_at),
        "source": n.source,
        "text": n.text,
    }


def _signed_pdf(settings: Settings, data: NoticeData) -> bytes:
    """The notice PDF with the office's PAdES signature inside: any PDF reader that
    trusts the environment's CA shows who issued it and that it is unchanged."""
    from patentdesk.pki.service import sign_office_pdf

    return sign_office_pdf(
        settings, render_notice_pdf(data), reason=f"通知书 Notice {data.code} {data.serial}"
    )
