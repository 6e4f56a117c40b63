"""Fees due (应缴费用) in the domain's deadline list, and what a payment notice states.

A fee not fully paid is listed with the notices' response deadlines (``GET /api/v1/deadlines``)
until it is paid: a past response deadline drops out of the list, an unpaid fee past its
deadline stays, marked ``overdue`` — it still needs doing (late payment, restoration).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor, Permission
from patentdesk.fees import ledger, payments
from patentdesk.fees.errors import SheetInvalid
from patentdesk.fees.schemas import FeeSheet
from patentdesk.filing.models import Case, Submission
from patentdesk.identity.service import Context
from patentdesk.notices.models import Notice
from patentdesk.timeutil import beijing_date, iso


def _yuan_text(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}".rstrip("0").rstrip(".")


def deadline_rows(
    db: Db, ctx: Context, actor: Actor | None, *, within_days: int | None = None
) -> list[dict[str, Any]]:
    """One row per case of the actor's domain with fees outstanding, shaped as a notice's
    deadline row (``kind: "fee"``, ``code`` 200701 when a payment notice stated the fees)."""
    if actor is None or actor.domain_id is None or not actor.can(Permission.FEE_PAY):
        return []
    filed = select(Submission.case_id).where(
        Submission.domain_id == actor.domain_id, Submission.status != "refused"
    )
    noticed = select(Notice.case_id).where(
        Notice.domain_id == actor.domain_id, Notice.code == ledger.PAYMENT_NOTICE
    )
    cases = list(
        db.scalars(
            select(Case).where(
                Case.domain_id == actor.domain_id,
                or_(Case.id.in_(filed), Case.id.in_(noticed)),
            )
        )
    )
    today = beijing_date()
    rows = []
    for fees in payments.accounts(db, ctx, cases).values():
        charge = fees.account.next_due
        if charge is None:
            continue
        if within_days is not None and charge.due_on > today + dt.timedelta(days=within_days):
            continue
        rows.append(_row(fees, charge, today))
    return sorted(rows, key=lambda r: (r["deadline"], r["application_number"]))


def _row(fees: payments.CaseFees, charge: ledger.Charge, today: dt.date) -> dict[str, Any]:
    account, case = fees.account, fees.case
    owed = _yuan_text(account.outstanding_fen)
    return {
        "id": str(charge.notice_id or charge.key),
        "kind": "fee",
        "code": ledger.PAYMENT_NOTICE if charge.notice_id else "fee",
        "name": f"缴费期限：欠缴 {owed} 元",
        "name_en": f"Fees due: CNY {owed} outstanding",
        "serial": charge.notice_serial or "",
        "application_number": case.application_number,
        "title": case.title,
        "dispatched_at": iso(charge.raised_at),
        "dispatch_date": charge.raised_on.isoformat(),
        "deadline": charge.due_on.isoformat(),
        "confirmed_at": None,
        "first_downloaded_at": None,
        "source": "fees",
        "text": f"应缴 {_yuan_text(account.due_fen)} 元，已缴 {_yuan_text(account.paid_fen)} 元，"
        f"欠缴 {owed} 元",
        "case_id": str(case.id),
        "outstanding": ledger.yuan(account.outstanding_fen),
        "overdue": charge.due_on < today,
    }


# ---------------------------------------------------------------- the office's payment notice


def sheet_text(sheet: dict[str, Any]) -> str:
    lines = [f"{i.get('name')}：{i.get('amount')} 元" for i in sheet.get("items", [])]
    reduction = (sheet.get("reduction") or {}).get("amount")
    if reduction:
        lines.append(f"费用减缴：-{reduction} 元")
    return "应缴费用：\n" + "\n".join(lines) + f"\n合计：{sheet.get('total')} 元"


def payment_notice_data(
    db: Db, ctx: Context, case: Case, data: dict[str, Any] | None
) -> dict[str, Any]:
    """The data of a 缴费通知书 (200701) the office issues: the fee sheet it states.

    The office gives the sheet (``data.fee_sheet``, as ``patentdesk fees quote --json``
    prints it), or leaves it out to state the case's outstanding fees by the schedule in
    force on the filing date. ``data.submission_id`` names the business it restates.
    """
    data = dict(data or {})
    given = data.get("fee_sheet")
    if given is not None:
        try:
            data["fee_sheet"] = FeeSheet.model_validate(given).to_json()
        except ValidationError as exc:
            problems = "; ".join(
                f"fee_sheet.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise SheetInvalid(problems=problems) from None
        return data
    account = payments.accounts(db, ctx, [case])[case.id].account
    charge = account.next_due or (account.charges[0] if account.charges else None)
    if charge is None:
        raise SheetInvalid(
            problems="该申请没有费用计算页，请在 data.fee_sheet 中给出 / the case has no fee "
            "sheet: give data.fee_sheet"
        )
    data["fee_sheet"] = charge.sheet
    if charge.submission_id is not None:
        data.setdefault("submission_id", str(charge.submission_id))
    return data
