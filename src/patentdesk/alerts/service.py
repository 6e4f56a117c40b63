"""Alerts (提醒): who gets which alert, the person's settings, and queueing.

An event (a notice issued, a payment settled) queues its alerts in the transaction that
records it, so an alert exists exactly when the event does; nothing is sent there. The
sweep (:mod:`patentdesk.alerts.sweep`) sends the queue and queues deadline alerts. Each
alert has a unique ``dedupe_key``; queueing one that exists does nothing, so a second
housekeeping run, or a second server, never sends a deadline alert twice.

Only people who may see the domain (by :func:`patentdesk.authz.can_see_domain`, in a role
they can log in as now) are alerted; office users, who see every domain, are not domain
members and get none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.alerts import texts
from patentdesk.alerts.errors import (
    AlertEmailInvalid,
    AlertEmailNotSet,
    AlertLanguageInvalid,
    AlertLinkInvalid,
    AlertSmsNeedsPhone,
)
from patentdesk.alerts.models import Alert, AlertSettings
from patentdesk.authz import Actor, Permission, authorize, can_see_domain
from patentdesk.identity.models import User
from patentdesk.identity.service import Context
from patentdesk.orgs.models import Domain, DomainKind, Handler, Organisation, SubAccount
from patentdesk.orgs.service import available_roles
from patentdesk.timeutil import now

LANGUAGES = ("zh", "en")
KINDS = ("notices", "deadlines", "payments")
VERIFY_HOURS = 48


# ---------------------------------------------------------------- settings


def settings_for(db: Db, user_id: uuid.UUID) -> AlertSettings:
    """The person's settings (the defaults, not stored, when they never saved any)."""
    found = db.get(AlertSettings, user_id)
    if found is not None:
        return found
    return AlertSettings(
        user_id=user_id,
        on_notices=True,
        on_deadlines=True,
        on_payments=True,
        by_email=True,
        by_sms=False,
        language="zh",
    )


def my_settings(db: Db, actor: Actor) -> AlertSettings:
    authorize(actor, Permission.ACCOUNT_VIEW)
    return settings_for(db, actor.user_id)


def clean_email(value: str) -> str:
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AlertEmailInvalid(
            "邮箱地址不正确：{value}",
            "The e-mail address is not valid: {value} ({why})",
            value=value.strip()[:100],
            why=str(exc),
            details={"field": "email"},
        ) from None
    return str(result.normalized)


@dataclass
class SettingsIn:
    email: str | None
    on_notices: bool
    on_deadlines: bool
    on_payments: bool
    by_email: bool
    by_sms: bool
    language: str


def save_settings(db: Db, ctx: Context, actor: Actor, new: SettingsIn) -> AlertSettings:
    """Saves the person's settings; a new address is sent a verification link and gets no
    alerts until it is opened."""
    authorize(actor, Permission.ACCOUNT_VIEW)
    if new.language not in LANGUAGES:
        raise AlertLanguageInvalid(details={"field": "language"})
    email = clean_email(new.email) if new.email and new.email.strip() else None
    user = db.get(User, actor.user_id)
    assert user is not None
    if new.by_sms and not user.phone:
        raise AlertSmsNeedsPhone(details={"field": "by_sms"})
    row = db.get(AlertSettings, actor.user_id)
    if row is None:
        row = AlertSettings(user_id=actor.user_id)
        db.add(row)
    changed_address = email != row.email
    row.email = email
    row.on_notices = new.on_notices
    row.on_deadlines = new.on_deadlines
    row.on_payments = new.on_payments
    row.by_email = new.by_email
    row.by_sms = new.by_sms
    row.language = new.language
    if changed_address:
        row.email_verified_at = None
        row.email_token_hash = None
        row.email_token_expires_at = None
    db.flush()
    if changed_address and email:
        send_verification(db, ctx, actor)
    audit.record(
        db,
        "alerts.settings_saved",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"user:{actor.user_id}",
        email_changed=changed_address,
        kinds=[k for k in KINDS if getattr(row, f"on_{k}")],
        sms=new.by_sms,
    )
    return row


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def send_verification(db: Db, ctx: Context, actor: Actor) -> AlertSettings:
    """(Re)sends the verification link to the person's address; only the newest link works."""
    authorize(actor, Permission.ACCOUNT_VIEW)
    row = db.get(AlertSettings, actor.user_id)
    if row is None or not row.email:
        raise AlertEmailNotSet(details={"field": "email"})
    token = secrets.token_urlsafe(32)
    row.email_token_hash = _hash(token)
    row.email_token_expires_at = now() + dt.timedelta(hours=VERIFY_HOURS)
    link = f"{ctx.settings.base_url.rstrip('/')}/account/alerts/verify?token={token}"
    text = texts.verify_email(row.language, link=link, hours=VERIFY_HOURS)
    _queue(
        db,
        user_id=actor.user_id,
        channel="email",
        kind="verify",
        key=f"verify:{actor.user_id}:{row.email_token_hash[:32]}",
        recipient=row.email,
        subject=text.subject,
        body=text.body,
        language=row.language,
    )
    db.flush()
    return row


def verify_email(db: Db, ctx: Context, token: str) -> AlertSettings:
    """Opens a verification link: the address it was sent to now receives alerts."""
    token = (token or "").strip()
    row = (
        db.scalar(select(AlertSettings).where(AlertSettings.email_token_hash == _hash(token)))
        if 20 <= len(token) <= 100
        else None
    )
    expires = row.email_token_expires_at if row is not None else None
    if row is None or expires is None or expires < now():
        raise AlertLinkInvalid()
    row.email_verified_at = now()
    row.email_token_hash = None
    row.email_token_expires_at = None
    db.flush()
    audit.record(
        db,
        "alerts.email_verified",
        environment=ctx.settings.environment,
        actor_user_id=row.user_id,
        ip=ctx.ip,
        target=f"user:{row.user_id}",
    )
    return row


def settings_out(row: AlertSettings, user: User | None = None) -> dict[str, Any]:
    return {
        "email": row.email,
        "email_verified": row.email_verified_at is not None,
        "on_notices": bool(row.on_notices),
        "on_deadlines": bool(row.on_deadlines),
        "on_payments": bool(row.on_payments),
        "by_email": bool(row.by_email),
        "by_sms": bool(row.by_sms),
        "sms_phone": user.phone if user is not None else None,
        "language": row.language,
    }


# ---------------------------------------------------------------- who is alerted


@dataclass(frozen=True)
class Recipient:
    user: User
    prefs: AlertSettings


def _members(db: Db, domain: Domain) -> set[uuid.UUID]:
    """Everyone who could act in the domain: its owner, the organisation's main account and
    handlers (main institution) and its sub-accounts. Roles are checked afterwards."""
    users: set[uuid.UUID] = set()
    if domain.owner_user_id is not None:
        users.add(domain.owner_user_id)
    if domain.org_id is not None:
        org = db.get(Organisation, domain.org_id)
        if org is not None:
            users.add(org.main_user_id)
        if domain.kind == DomainKind.MAIN:
            users.update(
                db.scalars(
                    select(Handler.user_id).where(
                        Handler.org_id == domain.org_id, Handler.disabled.is_(False)
                    )
                )
            )
        users.update(
            db.scalars(
                select(SubAccount.user_id).where(
                    SubAccount.domain_id == domain.id, SubAccount.disabled.is_(False)
                )
            )
        )
    return users


def _may_see(db: Db, user: User, domain_id: uuid.UUID, permission: Permission) -> bool:
    for role in available_roles(db, user):
        actor = Actor(
            user_id=user.id,
            name=user.name,
            role=role.role,
            domain_id=role.domain_id,
            org_id=role.org_id,
            sub_account_id=role.sub_account_id,
        )
        if not actor.is_office and can_see_domain(actor, domain_id, permission):
            return True
    return False


def recipients(db: Db, domain_id: uuid.UUID, permission: Permission, kind: str) -> list[Recipient]:
    """The people who may see the domain and want alerts of ``kind`` (notices, deadlines,
    payments), with their settings."""
    domain = db.get(Domain, domain_id)
    if domain is None or domain.disabled:
        return []
    members = _members(db, domain)
    if not members:
        return []
    # Only people with a channel to reach them (people who never saved settings have none)
    # are looked at further: issuing a notice stays cheap in a domain of many members.
    reachable = db.scalars(
        select(AlertSettings).where(
            AlertSettings.user_id.in_(members),
            or_(
                AlertSettings.by_sms.is_(True),
                AlertSettings.by_email.is_(True) & AlertSettings.email_verified_at.isnot(None),
            ),
        )
    ).all()
    found = []
    for prefs in sorted(reachable, key=lambda p: str(p.user_id)):
        if not getattr(prefs, f"on_{kind}"):
            continue
        user = db.get(User, prefs.user_id)
        if user is None or user.status != "active":
            continue
        if _may_see(db, user, domain_id, permission):
            found.append(Recipient(user, prefs))
    return found


# ---------------------------------------------------------------- queueing


def _queue(
    db: Db,
    *,
    user_id: uuid.UUID,
    channel: str,
    kind: str,
    key: str,
    recipient: str,
    subject: str,
    body: str,
    language: str,
) -> None:
    """Queues one alert unless one with the same key exists (INSERT … ON CONFLICT DO
    NOTHING: two servers racing to queue the same alert leave one row, and neither fails)."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(Alert)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(Alert)
    at = now()
    db.execute(
        stmt.values(
            id=uuid.uuid4(),
            user_id=user_id,
            channel=channel,
            kind=kind,
            dedupe_key=key[:200],
            recipient=recipient,
            subject=subject[:300],
            body=body,
            language=language,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


def queue_for(db: Db, people: Iterable[Recipient], kind: str, key: str, text_for: Any) -> int:
    """Queues ``text_for(language)`` for each person on each channel they chose; returns how
    many alerts were asked for (existing ones are left as they are)."""
    count = 0
    for person in people:
        prefs = person.prefs
        lang = prefs.language if prefs.language in LANGUAGES else "zh"
        text: texts.Text = text_for(lang)
        if prefs.by_email and prefs.email and prefs.email_verified_at is not None:
            _queue(
                db,
                user_id=person.user.id,
                channel="email",
                kind=kind,
                key=f"{key}:{person.user.id}:email",
                recipient=prefs.email,
                subject=text.subject,
                body=text.body,
                language=lang,
            )
            count += 1
        if prefs.by_sms and person.user.phone:
            _queue(
                db,
                user_id=person.user.id,
                channel="sms",
                kind=kind,
                key=f"{key}:{person.user.id}:sms",
                recipient=person.user.phone,
                subject=text.subject,
                body=text.sms,
                language=lang,
            )
            count += 1
    return count


def notice_issued(db: Db, ctx: Context, notice: Any) -> int:
    """Queues «新通知书» alerts for a notice just issued to its domain."""
    base = ctx.settings.base_url.rstrip("/")
    from patentdesk.notices.labels import notice_name

    def text(lang: str) -> texts.Text:
        return texts.notice_issued(
            lang,
            name=notice_name(notice, lang),
            serial=notice.serial,
            application_number=notice.application_number,
            title=notice.title,
            dispatched_on=notice.dispatch_date,
            deadline=notice.deadline,
            base_url=base,
        )

    people = recipients(db, notice.domain_id, Permission.NOTICE_VIEW, "notices")
    return queue_for(db, people, "notice", f"notice:{notice.id}", text)


def payment_settled(db: Db, ctx: Context, payment: Any, application_number: str) -> int:
    """Queues «缴费成功 / 缴费失败» alerts for a payment the bank settled."""
    from patentdesk.fees.ledger import yuan

    if payment.status not in ("confirmed", "failed"):
        return 0
    confirmed = payment.status == "confirmed"
    fen = payment.paid_fen if confirmed and payment.paid_fen is not None else payment.amount_fen
    amount = f"{yuan(fen):,}"
    base = ctx.settings.base_url.rstrip("/")

    def text(lang: str) -> texts.Text:
        return texts.payment_settled(
            lang,
            confirmed=confirmed,
            application_number=application_number,
            amount=amount,
            bank_serial=payment.bank_serial,
            base_url=base,
        )

    people = recipients(db, payment.domain_id, Permission.CASE_VIEW, "payments")
    return queue_for(db, people, "payment", f"payment:{payment.id}:{payment.status}", text)


THRESHOLDS = (1, 7, 30)  # days ahead of a deadline, nearest first


def threshold_for(days_left: int) -> int | None:
    """The threshold a deadline ``days_left`` away has reached (the nearest one: a sweep
    that missed the 30-day mark while the server was down sends the 7-day alert only)."""
    if days_left < 0:
        return None
    return next((t for t in THRESHOLDS if days_left <= t), None)


def queue_deadline_alerts(db: Db, ctx: Context, today: dt.date) -> int:
    """Queues the deadline alerts due today: one per (notice, threshold, person, channel)."""
    from patentdesk.notices.labels import notice_name
    from patentdesk.notices.models import Notice

    horizon = today + dt.timedelta(days=max(THRESHOLDS))
    rows = db.scalars(
        select(Notice)
        .where(Notice.deadline.isnot(None), Notice.deadline >= today, Notice.deadline <= horizon)
        .order_by(Notice.deadline, Notice.serial)
    ).all()
    base = ctx.settings.base_url.rstrip("/")
    people_of: dict[uuid.UUID, list[Recipient]] = {}
    count = 0
    for notice in rows:
        assert notice.deadline is not None
        days_left = (notice.deadline - today).days
        threshold = threshold_for(days_left)
        if threshold is None:
            continue
        if notice.domain_id not in people_of:
            people_of[notice.domain_id] = recipients(
                db, notice.domain_id, Permission.NOTICE_VIEW, "deadlines"
            )

        def text(lang: str, n: Any = notice, d: int = days_left) -> texts.Text:
            return texts.deadline_near(
                lang,
                days_left=d,
                name=notice_name(n, lang),
                serial=n.serial,
                application_number=n.application_number,
                deadline=n.deadline,
                base_url=base,
            )

        count += queue_for(
            db, people_of[notice.domain_id], "deadline", f"deadline:{notice.id}:{threshold}", text
        )
    return count


# ---------------------------------------------------------------- the operator's view


def queue_summary(db: Db) -> dict[str, int]:
    from sqlalchemy import func

    rows = db.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
    summary = {"pending": 0, "sent": 0, "failed": 0}
    summary.update({str(status): int(n) for status, n in rows})
    return summary


def list_alerts(db: Db, status: str | None = None, limit: int = 100) -> list[Alert]:
    stmt = select(Alert)
    if status:
        stmt = stmt.where(Alert.status == status)
    return list(db.scalars(stmt.order_by(Alert.created_at.desc()).limit(limit)))


def alert_out(a: Alert) -> dict[str, Any]:
    from patentdesk.timeutil import iso

    return {
        "id": str(a.id),
        "kind": a.kind,
        "channel": a.channel,
        "recipient": a.recipient,
        "subject": a.subject,
        "status": a.status,
        "attempts": a.attempts,
        "next_attempt_at": iso(a.next_attempt_at),
        "last_error": a.last_error,
        "created_at": iso(a.created_at),
        "sent_at": iso(a.sent_at),
    }
