"""Statistics (统计) over what an actor may see: cases by status, type and month, submissions
per sub-account, notices by type, deadlines due soon, fees paid; and their CSV export.

Every count goes through :func:`patentdesk.authz.restrict`, like the query: a domain's
figures never include another domain's rows; office users see the whole office.

Fees and payments are not built yet: :data:`FEES_PAID_PROVIDERS` is where the fees domain
plugs in its figures. Until one is registered the statistics say "not available" (``None``),
never a made-up zero.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, fields
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

    def label_in(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label


# The fees domain registers a function here: (db, actor) -> counts of fees paid (e.g. by fee
# code, with amounts in the label or key as it sees fit), restricted like everything here.
FeesPaidProvider = Callable[[Session, Actor], list[Count]]
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
    if not FEES_PAID_PROVIDERS:
        return None
    out: list[Count] = []
    for provider in FEES_PAID_PROVIDERS:
        out.extend(provider(db, actor))
    return out


def to_csv(stats: Stats, lang: str = "zh") -> str:
    """One table: section, key, label, count (a spreadsheet can pivot it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "key", "label", "count"])
    writer.writerow(["total_cases", "total", labels.text(lang, "stats.total"), stats.total_cases])
    for section in SECTIONS:
        counts: list[Count] | None = getattr(stats, section)
        if counts is None:
            continue  # not available: leave it out rather than print a zero
        for c in counts:
            writer.writerow([section, c.key, excel_safe(c.label_in(lang)), c.count])
    return buffer.getvalue()


def excel_safe(value: str) -> str:
    """Cells starting like a formula are quoted, so a spreadsheet does not run them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
