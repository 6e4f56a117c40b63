"""What a case owes, what was paid, and by when (the case's fee account).

A case owes the fee sheets (费用计算页) of the business its own domain filed on it, each
computed at submission by the schedule in force on that day. The office's payment notices
(缴费通知书 200701) that carry a fee sheet restate one of those charges: the sheet of the
notice replaces the filed one (the office's statement of the amounts wins) and its payment
period runs from the notice's delivery, never ending before the original one. A notice that
names no submission restates the application's own fees (the E1 case: the office states the
correct PCT fees of the international application).

Confirmed payments are applied to the charges oldest first. Nothing here is stored: the
account is recomputed from submissions, notices and payments whenever it is read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from patentdesk.fees.schemas import money
from patentdesk.timeutil import beijing_date

APPLICATION_TYPES = ("invention", "utility", "design", "pct", "pct-national")
PAYMENT_NOTICE = "200701"
State = Literal["no-fees", "unpaid", "underpaid", "paid", "overpaid"]


# ---------------------------------------------------------------- amounts


def to_fen(value: Any) -> int:
    """Yuan (a JSON number, string or Decimal) to integer fen, rounded half up."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 100  # whole yuan, as sheets print them: the common case, made cheap
    return int(money(Decimal(str(value))) * 100)


def yuan(fen: int) -> int | float:
    """Fen to a JSON number of yuan: whole yuan stay integers (9620, not 9620.0)."""
    value = Decimal(fen) / 100
    return int(value) if value == value.to_integral_value() else float(value)


def sheet_total_fen(sheet: dict[str, Any] | None) -> int:
    if not sheet or sheet.get("total") is None:
        return 0
    return to_fen(sheet["total"])


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    months: int = 0
    days: int = 0

    def after(self, start: dt.date) -> dt.date:
        from patentdesk.notices.deadlines import add_months

        end = add_months(start, self.months) if self.months else start
        return end + dt.timedelta(days=self.days)


@cache
def _periods() -> dict[str, Any]:
    text = (
        resources.files("patentdesk.fees").joinpath("data/payment_periods.yaml").read_text("utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def period(basis: Literal["from_filing", "from_payment_notice"], business_type: str) -> Period:
    table = _periods()[basis]
    entry = table.get(business_type) or table["default"]
    return Period(months=int(entry.get("months", 0)), days=int(entry.get("days", 0)))


def due_date(start: dt.date, p: Period) -> dt.date:
    """The last day to pay: the period's end, moved past days off (as response deadlines)."""
    from patentdesk.notices.deadlines import next_working_day

    return next_working_day(p.after(start))


# ---------------------------------------------------------------- inputs (plain rows)


@dataclass(frozen=True)
class FiledSheet:
    """A submission's fee sheet, as the ledger needs it."""

    submission_id: uuid.UUID
    business_type: str
    filed_on: dt.date
    received_at: dt.datetime
    sheet: dict[str, Any]


@dataclass(frozen=True)
class NoticeSheet:
    """A payment notice (200701) carrying a fee sheet."""

    notice_id: uuid.UUID
    serial: str
    dispatched_at: dt.datetime
    delivered_on: dt.date
    submission_id: uuid.UUID | None
    sheet: dict[str, Any]


# ---------------------------------------------------------------- charges and the account


@dataclass
class Charge:
    """One sum owed: a business's fee sheet, possibly restated by a payment notice."""

    key: uuid.UUID  # the submission, or the notice when it restates nothing filed
    business_type: str
    sheet: dict[str, Any]
    raised_on: dt.date
    raised_at: dt.datetime
    due_on: dt.date
    submission_id: uuid.UUID | None = None
    notice_id: uuid.UUID | None = None
    notice_serial: str | None = None
    filed_sheet: dict[str, Any] | None = None  # the sheet at filing, when a notice restated it
    paid_fen: int = 0
    total_fen: int = field(init=False)

    def __post_init__(self) -> None:
        self.total_fen = sheet_total_fen(self.sheet)

    def restate(self, notice: NoticeSheet, due_on: dt.date) -> None:
        """The payment notice's sheet replaces this one; its period never shortens ours."""
        if self.filed_sheet is None and self.submission_id is not None:
            self.filed_sheet = self.sheet
        self.sheet = notice.sheet
        self.total_fen = sheet_total_fen(notice.sheet)
        self.notice_id = notice.notice_id
        self.notice_serial = notice.serial
        self.due_on = max(self.due_on, due_on)

    @property
    def outstanding_fen(self) -> int:
        return max(0, self.total_fen - self.paid_fen)


def charges(filed: Iterable[FiledSheet], notices: Iterable[NoticeSheet], kind: str) -> list[Charge]:
    """The charges of a case (of kind ``kind``), oldest first."""
    result: dict[uuid.UUID, Charge] = {}
    application: uuid.UUID | None = None
    for f in sorted(filed, key=lambda f: f.received_at):
        basis = "pct" if f.business_type == "pct" else f.business_type
        result[f.submission_id] = Charge(
            key=f.submission_id,
            business_type=f.business_type,
            sheet=f.sheet,
            raised_on=f.filed_on,
            raised_at=f.received_at,
            due_on=due_date(f.filed_on, period("from_filing", basis)),
            submission_id=f.submission_id,
        )
        if application is None and f.business_type in APPLICATION_TYPES:
            application = f.submission_id
    for n in sorted(notices, key=lambda n: n.dispatched_at):
        target = n.submission_id if n.submission_id in result else application
        charge = result.get(target) if target is not None else None
        if charge is None:
            business = "pct" if kind == "pct" else kind
            charge = result[n.notice_id] = Charge(
                key=n.notice_id,
                business_type=business,
                sheet=n.sheet,
                raised_on=n.delivered_on,
                raised_at=n.dispatched_at,
                due_on=n.delivered_on,
            )
        basis = "pct" if charge.business_type == "pct" else charge.business_type
        charge.restate(n, due_date(n.delivered_on, period("from_payment_notice", basis)))
    return sorted(result.values(), key=lambda c: c.raised_at)


def allocate(items: list[Charge], paid_fen: int) -> int:
    """Applies ``paid_fen`` to the charges oldest first; returns what is left over."""
    left = paid_fen
    for charge in items:
        charge.paid_fen = min(left, charge.total_fen)
        left -= charge.paid_fen
    return left


@dataclass
class Account:
    """A case's fees: charges, payments and the balance (paid − due; negative: owed)."""

    charges: list[Charge]
    paid_fen: int
    pending_fen: int = 0
    today: dt.date = field(default_factory=beijing_date)

    def __post_init__(self) -> None:
        self.surplus_fen = allocate(self.charges, self.paid_fen)

    @property
    def due_fen(self) -> int:
        return sum(c.total_fen for c in self.charges)

    @property
    def balance_fen(self) -> int:
        return self.paid_fen - self.due_fen

    @property
    def outstanding_fen(self) -> int:
        return max(0, -self.balance_fen)

    @property
    def overpaid_fen(self) -> int:
        return max(0, self.balance_fen)

    @property
    def state(self) -> State:
        if self.due_fen == 0 and self.paid_fen == 0:
            return "no-fees"
        if self.paid_fen == 0:
            return "unpaid"
        if self.balance_fen < 0:
            return "underpaid"
        return "paid" if self.balance_fen == 0 else "overpaid"

    @property
    def next_due(self) -> Charge | None:
        """Of the charges not fully paid, the one whose period runs out first."""
        open_ = [c for c in self.charges if c.outstanding_fen > 0]
        return min(open_, key=lambda c: (c.due_on, c.raised_at)) if open_ else None

    @property
    def overdue(self) -> bool:
        nxt = self.next_due
        return nxt is not None and nxt.due_on < self.today
