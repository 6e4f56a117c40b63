"""My Desk (我的办公桌): what needs attention today in the actor's domain.

* unconfirmed notices (通知书未确认接收);
* response deadlines within :data:`DESK_DEADLINE_DAYS` days;
* drafts not submitted: a draft is a case package being prepared, either in the desktop
  client on the user's own computer (``patentdesk package``, invisible to the server) or in
  the portal's business collection (业务采集), which keeps its drafts per user and domain.
  The latter plugs in through :data:`DRAFTS_PROVIDERS`; without a provider the panel says
  where drafts live instead of showing a count it cannot know;
* payments due: the fees domain plugs in through :data:`PAYMENTS_DUE_PROVIDERS`.

Until a provider is registered the answer is ``None`` ("not connected"), never a made-up
zero.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from patentdesk.authz import Actor, Permission, restrict
from patentdesk.notices.models import Notice
from patentdesk.query import labels
from patentdesk.timeutil import beijing_date

DESK_DEADLINE_DAYS = 30
DESK_LIST_LIMIT = 5


@dataclass(frozen=True)
class NoticeItem:
    id: uuid.UUID
    code: str
    name: str
    serial: str
    application_number: str
    title: str | None
    dispatch_date: dt.date
    deadline: dt.date | None
    days_left: int | None


@dataclass(frozen=True)
class PaymentDue:
    """A fee to pay: what the fees domain's provider reports."""

    application_number: str
    fee_name: str
    amount: Decimal
    due: dt.date | None


PaymentsDueProvider = Callable[[Session, Actor, dt.date], list[PaymentDue]]
PAYMENTS_DUE_PROVIDERS: list[PaymentsDueProvider] = []


@dataclass(frozen=True)
class DraftItem:
    """A draft not yet submitted: what a drafts provider reports (newest first)."""

    title: str
    business_type: str
    updated: dt.datetime | None
    href: str  # where the user opens it, e.g. /drafts/<id>


DraftsProvider = Callable[[Session, Actor], list[DraftItem]]
DRAFTS_PROVIDERS: list[DraftsProvider] = []


@dataclass(frozen=True)
class Attention:
    as_of: dt.date
    unconfirmed_count: int
    unconfirmed: list[NoticeItem]
    deadlines_count: int
    deadlines: list[NoticeItem]
    drafts: list[DraftItem] | None
    payments_due: list[PaymentDue] | None


def _item(n: Notice, today: dt.date) -> NoticeItem:
    return NoticeItem(
        id=n.id,
        code=n.code,
        name=n.name,
        serial=n.serial,
        application_number=n.application_number,
        title=n.title,
        dispatch_date=n.dispatch_date,
        deadline=n.deadline,
        days_left=(n.deadline - today).days if n.deadline else None,
    )


def attention(
    db: Session, actor: Actor, *, today: dt.date | None = None, limit: int = DESK_LIST_LIMIT
) -> Attention:
    today = today or beijing_date()
    notices = restrict(sa.select(Notice), Notice.domain_id, actor, Permission.NOTICE_VIEW)
    unconfirmed = notices.where(Notice.confirmed_at.is_(None))
    soon = notices.where(
        Notice.deadline >= today,
        Notice.deadline <= today + dt.timedelta(days=DESK_DEADLINE_DAYS),
    )

    def count(stmt: sa.Select[Any]) -> int:
        return int(db.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one())

    payments: list[PaymentDue] | None = None
    if PAYMENTS_DUE_PROVIDERS:
        payments = [p for provider in PAYMENTS_DUE_PROVIDERS for p in provider(db, actor, today)]
    drafts: list[DraftItem] | None = None
    if DRAFTS_PROVIDERS:
        drafts = [d for provider in DRAFTS_PROVIDERS for d in provider(db, actor)]
    return Attention(
        as_of=today,
        unconfirmed_count=count(unconfirmed),
        unconfirmed=[
            _item(n, today)
            for n in db.execute(
                unconfirmed.order_by(Notice.dispatched_at.desc()).limit(limit)
            ).scalars()
        ],
        deadlines_count=count(soon),
        deadlines=[
            _item(n, today)
            for n in db.execute(
                soon.order_by(Notice.deadline, Notice.serial).limit(limit)
            ).scalars()
        ],
        drafts=drafts,
        payments_due=payments,
    )


def desk_panel(db: Session, actor: Actor) -> dict[str, Any] | None:
    """The My Desk panel's context (web.routes.DESK_PANELS); office users have their console."""
    if actor.is_office or not actor.can(Permission.NOTICE_VIEW):
        return None
    # The keys join the desk page's context next to other panels': all start with query_.
    return {
        "query_attention": attention(db, actor),
        "query_text": labels.text,
        "query_business_label": labels.business_label,
        "query_deadline_days": DESK_DEADLINE_DAYS,
    }
