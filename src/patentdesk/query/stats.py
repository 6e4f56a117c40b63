"""Statistics (统计) over what an actor may see: cases by status, type and month, submissions
per sub-account, notices by type, deadlines due soon, fees paid; and their CSV export.

Every count goes through :func:`patentdesk.authz.restrict`, like the query: a domain's
figures never include another domain's rows; office users see the whole office.

The fees paid come from the fees domain through :data:`FEES_PAID_PROVIDERS` (registered by
:mod:`patentdesk.query.providers`). Where no provider answers for the actor (none registered,
or an office user, who does not see a domain's fees) they are "not available" (``None``),
never a made-up zero.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from patentdesk.authz import Actor, Permission, authorize, restrict
from patentdesk.filing.models import Case, Submission
from patentdesk.identity.models import User
from patentdesk.notices.models import Notice
from patentdesk.notices.types import is_known_notice_code, notice_type
from patentdesk.orgs.models import SubAccount
from patentdesk.query import labels
from patentdesk.timeutil import beijing_date

DEADLINE_WINDOWS = (7, 30)


@dataclass(frozen=True)
class Count:
    key: str
    label: str  # Chinese
    label_en: str
    count: int
    amount: Decimal | None = None  # yuan (CNY), for money figures (fees paid)

    def label_in(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label

    def amount_text(self, grouped: bool = True) -> str:
        """``12,345.60`` (``12345.60`` ungrouped, for machines); empty for a plain count."""
        if self.amount is None:
            return ""
        return f"{self.amount:,.2f}" if grouped else f"{self.amount:.2f}"


# The fees domain registers a function here: (db, actor) -> the fees paid (count = confirmed
# payments, amount = yuan paid), restricted like everything here; None when the actor may
# not see fees at all.
FeesPaidProvider = Callable[[Session, Actor], list[Count] | None]
FEES_PAID_PROVIDERS: list[FeesPaidProvider] = []


@dataclass(frozen=True)
class Stats:
    as_of: dt.date
    total_cases: int
    by_status: list[Count]
    by_kind: list[Count]
    by_month: list[Count]
    submissions_by_sub_account: list[Count]
    notices_by_type: list[Count]
    deadlines_due: list[Count]
    fees_paid: list[Count] | None


SECTIONS = tuple(f.name for f in fields(Stats) if f.name not in ("as_of", "total_cases"))


def _cases(actor: Actor, *columns: Any) -> sa.Select[Any]:
    # select_from: an office user's count has no WHERE that would name the table.
    return restrict(sa.select(*columns).select_from(Case), Case.domain_id, actor, Permission.QUERY)


def _grouped(db: Session, stmt: sa.Select[Any]) -> list[tuple[object, int]]:
    return [(key, int(n)) for key, n in db.execute(stmt).all()]


def compute(db: Session, actor: Actor, *, today: dt.date | None = None) -> Stats:
    authorize(actor, Permission.QUERY)
    today = today or beijing_date()
    n = sa.func.count()

    total = int(db.execute(_cases(actor, n)).scalar_one())
    by_status = [
        Count(str(k), labels.status_label(str(k)), labels.status_label(str(k), "en"), c)
        for k, c in _grouped(db, _cases(actor, Case.status, n).group_by(Case.status))
    ]
    by_kind = [
        Count(str(k), labels.kind_label(str(k)), labels.kind_label(str(k), "en"), c)
        for k, c in _grouped(db, _cases(actor, Case.kind, n).group_by(Case.kind))
    ]
    year = sa.extract("year", Case.filing_date)
    month = sa.extract("month", Case.filing_date)
    months = db.execute(_cases(actor, year, month, n).group_by(year, month)).all()
    by_month = [
        Count(
            f"{int(y):04d}-{int(m):02d}", f"{int(y)}年{int(m)}月", f"{int(y):04d}-{int(m):02d}", c
        )
        for y, m, c in sorted(months, key=lambda r: (int(r[0]), int(r[1])))
    ]
    return Stats(
        as_of=today,
        total_cases=total,
        by_status=sorted(by_status, key=lambda c: -c.count),
        by_kind=sorted(by_kind, key=lambda c: -c.count),
        by_month=by_month,
        submissions_by_sub_account=_submissions_by_sub_account(db, actor),
        notices_by_type=_notices_by_type(db, actor),
        deadlines_due=_deadlines_due(db, actor, today),
        fees_paid=_fees_paid(db, actor),
    )


def _submissions_by_sub_account(db: Session, actor: Actor) -> list[Count]:
    sub_id, user_id = Submission.submitted_by_sub_account_id, Submission.submitted_by_user_id
    grouped = cast(sa.Select[Any], sa.select(sub_id, user_id, sa.func.count()))
    stmt = restrict(grouped, Submission.domain_id, actor, Permission.QUERY).group_by(
        sub_id, user_id
    )
    rows = db.execute(stmt).all()
    sub_names = dict(
        db.execute(
            sa.select(SubAccount.id, SubAccount.display_name).where(
                SubAccount.id.in_({r[0] for r in rows if r[0] is not None})
            )
        ).all()
    )
    user_names = dict(
        db.execute(
            sa.select(User.id, User.name).where(User.id.in_({r[1] for r in rows if r[0] is None}))
        ).all()
    )
    totals: dict[str, Count] = {}
    for sub, user, count in rows:
        if sub is not None:
            key, zh = str(sub), str(sub_names.get(sub, sub))
            en = zh
        else:
            name = str(user_names.get(user) or user)
            key = f"user:{user}"
            zh = labels.text("zh", "stats.no_sub_account", name=name)
            en = labels.text("en", "stats.no_sub_account", name=name)
        before = totals.get(key)
        totals[key] = Count(key, zh, en, int(count) + (before.count if before else 0))
    return sorted(totals.values(), key=lambda c: (-c.count, c.label))


def _notices_by_type(db: Session, actor: Actor) -> list[Count]:
    grouped = cast(
        sa.Select[Any], sa.select(Notice.code, sa.func.max(Notice.name), sa.func.count())
    )
    stmt = restrict(grouped, Notice.domain_id, actor, Permission.NOTICE_VIEW).group_by(Notice.code)
    out = []
    for code, name, count in db.execute(stmt).all():
        en = notice_type(code).name_en if is_known_notice_code(code) else name
        out.append(Count(code, f"{code} {name}", f"{code} {en}", int(count)))
    return sorted(out, key=lambda c: (-c.count, c.key))


def _deadlines_due(db: Session, actor: Actor, today: dt.date) -> list[Count]:
    out = []
    for days in DEADLINE_WINDOWS:
        stmt = restrict(
            sa.select(sa.func.count()).select_from(Notice),
            Notice.domain_id,
            actor,
            Permission.NOTICE_VIEW,
        ).where(Notice.deadline >= today, Notice.deadline <= today + dt.timedelta(days=days))
        out.append(
            Count(
                f"within_{days}",
                labels.text("zh", f"stats.within_{days}"),
                labels.text("en", f"stats.within_{days}"),
                int(db.execute(stmt).scalar_one()),
            )
        )
    return out


def _fees_paid(db: Session, actor: Actor) -> list[Count] | None:
    answers = [provider(db, actor) for provider in FEES_PAID_PROVIDERS]
    available = [counts for counts in answers if counts is not None]
    if not available:
        return None
    return [c for counts in available for c in counts]


def to_csv(stats: Stats, lang: str = "zh") -> str:
    """One table: section, key, label, count, amount_cny (a spreadsheet can pivot it).

    ``amount_cny`` is filled for money figures only (fees paid: yuan, two decimals)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "key", "label", "count", "amount_cny"])
    total = labels.text(lang, "stats.total")
    writer.writerow(["total_cases", "total", total, stats.total_cases, ""])
    for section in SECTIONS:
        counts: list[Count] | None = getattr(stats, section)
        if counts is None:
            continue  # not available: leave it out rather than print a zero
        for c in counts:
            label = excel_safe(c.label_in(lang))
            writer.writerow([section, c.key, label, c.count, c.amount_text(grouped=False)])
    return buffer.getvalue()


def excel_safe(value: str) -> str:
    """Cells starting like a formula are quoted, so a spreadsheet does not run them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
