"""The case's fee account: charges, restatement by payment notices, due dates, allocation,
over- and under-payment (hand-computed)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from patentdesk.fees import ledger
from patentdesk.timeutil import BEIJING

D = dt.date


def sheet(total: float, schedule: str = "s") -> dict[str, Any]:
    return {"schedule": {"id": schedule}, "items": [], "total": total}


def filed(business: str, on: D, total: float, sid: uuid.UUID | None = None) -> ledger.FiledSheet:
    return ledger.FiledSheet(
        submission_id=sid or uuid.uuid4(),
        business_type=business,
        filed_on=on,
        received_at=dt.datetime(on.year, on.month, on.day, 10, tzinfo=BEIJING),
        sheet=sheet(total),
    )


def notice(on: D, total: float, sid: uuid.UUID | None = None) -> ledger.NoticeSheet:
    return ledger.NoticeSheet(
        notice_id=uuid.uuid4(),
        serial=f"{on:%Y%m%d}00000001",
        dispatched_at=dt.datetime(on.year, on.month, on.day, 12, tzinfo=BEIJING),
        delivered_on=on,
        submission_id=sid,
        sheet=sheet(total, "restated"),
    )


@pytest.mark.parametrize(
    ("value", "fen", "back"),
    [(9620, 962000, 9620), ("0.01", 1, 0.01), (10770.005, 1077001, 10770.01), ("1,5", None, None)],
)
def test_amounts_in_fen(value: Any, fen: int | None, back: Any) -> None:
    if fen is None:
        with pytest.raises(ArithmeticError):
            ledger.to_fen(value)
        return
    assert ledger.to_fen(value) == fen and ledger.yuan(fen) == back


@pytest.mark.parametrize(
    ("business", "filed_on", "due_on"),
    [
        # PCT: one month from receipt of the international application.
        ("pct", D(2023, 1, 5), D(2023, 2, 6)),  # 2023-02-05 is a Sunday
        ("pct", D(2024, 1, 31), D(2024, 2, 29)),  # month end, leap year
        # Domestic application: two months from filing; moved past the National Day holiday.
        ("invention", D(2024, 8, 1), D(2024, 10, 8)),
        ("invalidation", D(2024, 3, 4), D(2024, 4, 7)),  # 04-04..06 Qingming, 04-07 a workday
    ],
)
def test_due_dates(business: str, filed_on: D, due_on: D) -> None:
    charge = ledger.charges([filed(business, filed_on, 100)], [], business)[0]
    assert charge.due_on == due_on


def test_a_payment_notice_restates_the_application_and_never_shortens_its_period() -> None:
    application = filed("pct", D(2023, 1, 5), 10770)
    # The office states the correct amounts on 2023-01-10: one more month from delivery.
    stated = notice(D(2023, 1, 10), 10770)
    [charge] = ledger.charges([application], [stated], "pct")
    assert charge.sheet["schedule"]["id"] == "restated"
    assert charge.notice_serial == stated.serial and charge.filed_sheet == application.sheet
    assert charge.due_on == D(2023, 2, 10)
    # An early notice leaves the longer filing period.
    [charge] = ledger.charges([application], [notice(D(2023, 1, 5), 10770)], "pct")
    assert charge.due_on == D(2023, 2, 6)


def test_a_notice_naming_a_submission_restates_that_one_only() -> None:
    application = filed("invention", D(2024, 3, 1), 3450)
    reexam_id = uuid.uuid4()
    reexam = filed("reexam", D(2024, 6, 3), 1000, reexam_id)
    charges = ledger.charges(
        [application, reexam], [notice(D(2024, 6, 5), 1200, reexam_id)], "invention"
    )
    assert [c.total_fen for c in charges] == [345000, 120000]
    # A notice on a case with no fee sheet of its own is a charge by itself.
    [only] = ledger.charges([], [notice(D(2024, 6, 5), 900)], "invention")
    assert only.total_fen == 90000 and only.due_on == D(2024, 6, 20)


@pytest.mark.parametrize(
    ("paid", "state", "balance", "outstanding", "overpaid"),
    [
        (0, "unpaid", -4450, 4450, 0),
        (1000, "underpaid", -3450, 3450, 0),
        (4450, "paid", 0, 0, 0),
        (5000, "overpaid", 550, 0, 550),
    ],
)
def test_balance_states(
    paid: int, state: str, balance: int, outstanding: int, overpaid: int
) -> None:
    charges = ledger.charges(
        [filed("invention", D(2024, 3, 1), 3450), filed("reexam", D(2024, 6, 3), 1000)],
        [],
        "invention",
    )
    account = ledger.Account(charges, paid_fen=paid * 100, today=D(2024, 4, 1))
    assert account.state == state
    assert (account.balance_fen, account.outstanding_fen, account.overpaid_fen) == (
        balance * 100,
        outstanding * 100,
        overpaid * 100,
    )


def test_payments_go_to_the_oldest_charge_first() -> None:
    first = filed("invention", D(2024, 3, 1), 3450)
    later = filed("reexam", D(2024, 6, 3), 1000)
    account = ledger.Account(
        ledger.charges([later, first], [], "invention"), paid_fen=400000, today=D(2024, 6, 4)
    )
    assert [c.paid_fen for c in account.charges] == [345000, 55000]
    assert account.next_due is account.charges[1] and not account.overdue
    assert ledger.Account([], paid_fen=0).state == "no-fees"
    late = ledger.Account(ledger.charges([first], [], "invention"), 0, today=D(2024, 5, 7))
    assert late.next_due is not None and late.next_due.due_on == D(2024, 5, 6) and late.overdue
