"""Payments (缴费): online banking (网银), by a payment notice (按缴费通知书), and authorized
deduction (授权扣款) from a pre-authorised account; the case's fee account; fees due.

Only the case's own permission domain sees and pays its fees (``fee:pay``); any other domain
gets a 404, as for every hidden object.

* **Online banking** goes through the payment gateway: the payment waits (``pending``)
  until the bank's signed callback confirms what was paid. The amount defaults to what is
  outstanding; a different amount is taken as the payer chose it (over- and under-payment
  show in the balance).
* **By payment notice**: the amounts the notice states, found by its dispatch serial
  (发文序列号), which must be a 200701 of this case; then as online banking.
* **Authorized deduction**: the payer's own fee sheet is deducted from the domain's
  authorised account — one the bank verified — but only when its amounts are the correct
  ones (seed E1): a sheet made at other rates is refused with the correct amounts listed.
  The deduction waits (``pending``) until the bank's signed callback says it was made.

Nothing is ever marked paid but by a bank's signed callback (:func:`bank_callback`).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize, can_see_domain
from patentdesk.errors import PatentDeskError
from patentdesk.fees import authorizations, ledger
from patentdesk.fees.amounts import payment_fen
from patentdesk.fees.authorizations import active_authorization, authorization_out
from patentdesk.fees.calculator import explain
from patentdesk.fees.compare import check_sheet, parse_sheet
from patentdesk.fees.errors import (
    DeductionNotAuthorized,
    GatewayNotConfigured,
    IdempotencyKeyReused,
    NothingDue,
    PaymentAlreadySettled,
    PaymentExceedsOutstanding,
    PaymentMethodInvalid,
    PaymentNotCancellable,
    PaymentNotFound,
    PaymentNoticeUnknown,
    PaymentNoticeWithoutAmounts,
    PaymentPending,
    SheetInvalid,
)
from patentdesk.fees.gateway import BankConfirmation, PaymentGateway, gateway_for
from patentdesk.fees.models import DeductionAuthorization, FeePayment
from patentdesk.fees.schemas import FeeSheet
from patentdesk.filing.errors import ApplicationNotFound
from patentdesk.filing.models import Case, Submission
from patentdesk.identity.service import Context
from patentdesk.notices.deadlines import served_on
from patentdesk.notices.models import Notice
from patentdesk.timeutil import beijing_date, iso, now

ONLINE_BANKING = "online-banking"
PAYMENT_NOTICE = "payment-notice"
AUTHORIZED_DEDUCTION = "authorized-deduction"
METHODS = (ONLINE_BANKING, PAYMENT_NOTICE, AUTHORIZED_DEDUCTION)


# ---------------------------------------------------------------- the case's account


def fee_case(db: Db, actor: Actor | None, case_id: uuid.UUID) -> Case:
    """The case, when the actor's domain may see and pay its fees; otherwise a 404."""
    actor = authorize(actor, Permission.FEE_PAY)
    case = db.get(Case, case_id)
    if case is None or not can_see_domain(actor, case.domain_id, Permission.FEE_PAY):
        raise ApplicationNotFound(number=str(case_id))
    return case


@dataclass
class CaseFees:
    case: Case
    account: ledger.Account
    payments: list[FeePayment]


def _filed(db: Db, cases: list[Case]) -> dict[uuid.UUID, list[ledger.FiledSheet]]:
    """Fee sheets of business each case's own domain filed (a third party's invalidation
    request is the requester's business, not the owner's)."""
    owner = {c.id: c.domain_id for c in cases}
    result: dict[uuid.UUID, list[ledger.FiledSheet]] = {c.id: [] for c in cases}
    if not owner:
        return result
    # Only the columns the account needs: a submission's manifest and forms can be large.
    rows = db.execute(
        select(
            Submission.id,
            Submission.case_id,
            Submission.domain_id,
            Submission.business_type,
            Submission.received_at,
            Submission.fee_sheet,
        ).where(Submission.case_id.in_(list(owner)), Submission.status != "refused")
    )
    for sub in rows:
        if sub.domain_id != owner[sub.case_id] or not isinstance(sub.fee_sheet, dict):
            continue
        result[sub.case_id].append(
            ledger.FiledSheet(
                submission_id=sub.id,
                business_type=sub.business_type,
                filed_on=beijing_date(sub.received_at),
                received_at=sub.received_at,
                sheet=sub.fee_sheet,
            )
        )
    return result


def _notices(db: Db, ctx: Context, cases: list[Case]) -> dict[uuid.UUID, list[ledger.NoticeSheet]]:
    owner = {c.id: c.domain_id for c in cases}
    result: dict[uuid.UUID, list[ledger.NoticeSheet]] = {c.id: [] for c in cases}
    if not owner:
        return result
    rows = db.scalars(
        select(Notice).where(Notice.case_id.in_(list(owner)), Notice.code == ledger.PAYMENT_NOTICE)
    )
    for n in rows:
        sheet = (n.data or {}).get("fee_sheet")
        if n.case_id is None or n.domain_id != owner[n.case_id] or not isinstance(sheet, dict):
            continue
        target = n.submission_id or _uuid((n.data or {}).get("submission_id"))
        result[n.case_id].append(
            ledger.NoticeSheet(
                notice_id=n.id,
                serial=n.serial,
                dispatched_at=n.dispatched_at,
                delivered_on=served_on(
                    n.dispatch_date, n.delivered_on, n.delivery, ctx.settings.delivery_rule
                ),
                submission_id=target,
                sheet=sheet,
            )
        )
    return result


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _payments(db: Db, cases: list[Case]) -> dict[uuid.UUID, list[FeePayment]]:
    result: dict[uuid.UUID, list[FeePayment]] = {c.id: [] for c in cases}
    if cases:
        stmt = (
            select(FeePayment)
            .where(FeePayment.case_id.in_([c.id for c in cases]))
            .order_by(FeePayment.created_at)
        )
        for p in db.scalars(stmt):
            result[p.case_id].append(p)
    return result


def accounts(db: Db, ctx: Context, cases: list[Case]) -> dict[uuid.UUID, CaseFees]:
    """The fee accounts of several cases in a handful of queries (for the deadline list)."""
    filed, notices, payments = _filed(db, cases), _notices(db, ctx, cases), _payments(db, cases)
    result = {}
    for case in cases:
        rows = payments[case.id]
        account = ledger.Account(
            ledger.charges(filed[case.id], notices[case.id], case.kind),
            paid_fen=sum(p.paid_fen or 0 for p in rows if p.status == "confirmed"),
            pending_fen=sum(p.amount_fen for p in rows if p.status == "pending"),
        )
        result[case.id] = CaseFees(case, account, rows)
    return result


def case_fees(db: Db, ctx: Context, actor: Actor | None, case_id: uuid.UUID) -> CaseFees:
    case = fee_case(db, actor, case_id)
    return accounts(db, ctx, [case])[case.id]


# ---------------------------------------------------------------- paying


def _payment_notice(db: Db, actor: Actor, case: Case, serial: str | None) -> Notice:
    """A 缴费通知书 of this case delivered to the actor's domain, by its dispatch serial."""
    text = (serial or "").strip()
    notice = (
        db.scalar(select(Notice).where(Notice.serial == text, Notice.domain_id == actor.domain_id))
        if text
        else None
    )
    if notice is None or notice.code != ledger.PAYMENT_NOTICE or notice.case_id != case.id:
        raise PaymentNoticeUnknown(serial=text or "-", number=case.application_number)
    return notice


@dataclass
class Started:
    payment: FeePayment
    pay_url: str | None = None
    replay: bool = False


def pay(
    db: Db,
    ctx: Context,
    actor: Actor | None,
    case_id: uuid.UUID,
    *,
    method: str,
    amount: Any = None,
    notice_serial: str | None = None,
    sheet: Any = None,
    idempotency_key: str | None = None,
) -> Started:
    """Pays fees of a case by ``method``; see the module docstring for each method."""
    fees = case_fees(db, ctx, actor, case_id)
    assert actor is not None
    if method not in METHODS:
        raise PaymentMethodInvalid(method=method or "-")
    key = (idempotency_key or "").strip()[:128] or None
    previous = _replay(db, ctx, actor, fees.case, key)
    if previous is not None:
        return previous
    case, account = fees.case, fees.account
    pending = next((p for p in fees.payments if p.status == "pending"), None)
    if pending is not None:
        raise _pending_error(ctx, case, pending)
    if account.outstanding_fen <= 0:
        raise NothingDue(number=case.application_number)
    payment = FeePayment(
        case_id=case.id,
        domain_id=case.domain_id,
        method=method,
        status="pending",
        idempotency_key=key,
        created_by_user_id=actor.user_id,
    )
    authorization = None
    if method == AUTHORIZED_DEDUCTION:
        authorization = _deduct(db, actor, case, account, payment, sheet)
    elif method == PAYMENT_NOTICE:
        notice = _payment_notice(db, actor, case, notice_serial)
        stated = (notice.data or {}).get("fee_sheet")
        if not isinstance(stated, dict) or stated.get("total") is None:
            raise PaymentNoticeWithoutAmounts(serial=notice.serial)
        # What the notice states, but never more than is still owed.
        payment.amount_fen = min(ledger.sheet_total_fen(stated), account.outstanding_fen)
        payment.sheet = stated
        payment.notice_id = notice.id
        payment.notice_serial = notice.serial
    else:
        payment.amount_fen = payment_fen(amount) if amount is not None else account.outstanding_fen
        if payment.amount_fen > account.outstanding_fen:
            raise PaymentExceedsOutstanding(
                amount=ledger.yuan(payment.amount_fen),
                outstanding=ledger.yuan(account.outstanding_fen),
                number=case.application_number,
            )
    gateway = gateway_for(ctx.settings)
    payment.gateway = gateway.name
    payment.gateway_reference = gateway.new_reference()
    if authorization is not None:
        gateway.deduct(payment.gateway_reference, authorization.account_number, payment.amount_fen)
    try:
        with db.begin_nested():
            db.add(payment)
            db.flush()
    except IntegrityError:
        # The same idempotency key raced in from another request: its payment is ours; or
        # another payment of the case became pending meanwhile (one pending per case).
        raced = _replay(db, ctx, actor, case, key)
        if raced is not None:
            return raced
        other = db.scalar(
            select(FeePayment).where(FeePayment.case_id == case.id, FeePayment.status == "pending")
        )
        if other is None:
            raise
        raise _pending_error(ctx, case, other) from None
    audit.record(
        db,
        "fee.payment.created",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"payment:{payment.id}",
        application=case.application_number,
        method=method,
        amount_fen=payment.amount_fen,
        status=payment.status,
    )
    return Started(payment, _pay_url(ctx, payment))


def _pending_error(ctx: Context, case: Case, pending: FeePayment) -> PaymentPending:
    return PaymentPending(
        number=case.application_number,
        amount=ledger.yuan(pending.amount_fen),
        payment_id=str(pending.id),
        details={"pending": payment_out(pending, _pay_url(ctx, pending))},
    )


def cancel(
    db: Db, ctx: Context, actor: Actor | None, case_id: uuid.UUID, payment_id: uuid.UUID
) -> FeePayment:
    """Cancels a payment awaiting the bank (the payer gave up on it, or pays another way):
    its order can no longer be paid at the simulated bank. A bank that still reports it paid
    is believed — the money moved — and the surplus shows with the refund route."""
    case = fee_case(db, actor, case_id)
    assert actor is not None
    payment = db.scalar(
        select(FeePayment)
        .where(FeePayment.id == payment_id, FeePayment.case_id == case.id)
        .with_for_update()
    )
    if payment is None:
        raise PaymentNotFound()
    if payment.status != "pending":
        raise PaymentNotCancellable(status=payment.status)
    if payment.gateway_reference:
        with contextlib.suppress(GatewayNotConfigured):
            gateway = gateway_for(ctx.settings)
            if gateway.name == payment.gateway:
                gateway.cancel(payment.gateway_reference)
    payment.status = "cancelled"
    audit.record(
        db,
        "fee.payment.cancelled",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"payment:{payment.id}",
        application=case.application_number,
    )
    return payment


def _replay(db: Db, ctx: Context, actor: Actor, case: Case, key: str | None) -> Started | None:
    """The payment made earlier with this idempotency key (a retried request)."""
    if key is None:
        return None
    previous = db.scalar(
        select(FeePayment).where(
            FeePayment.domain_id == actor.domain_id, FeePayment.idempotency_key == key
        )
    )
    if previous is None:
        return None
    if previous.case_id != case.id:
        raise IdempotencyKeyReused()
    return Started(previous, _pay_url(ctx, previous), replay=True)


def _deduct(
    db: Db, actor: Actor, case: Case, account: ledger.Account, payment: FeePayment, sheet: Any
) -> DeductionAuthorization:
    """授权扣款: asked of the bank, and only by a sheet with the correct amounts (E1)."""
    authorization = active_authorization(db, actor.domain_id)
    if authorization is None:
        raise DeductionNotAuthorized()
    if sheet is None:
        raise SheetInvalid(
            problems="授权扣款须附费用计算页（--sheet）/ an authorized deduction needs the fee "
            "sheet (--sheet)"
        )
    submitted = parse_sheet(sheet)
    charge = account.next_due
    if charge is None:
        raise NothingDue(number=case.application_number)
    # The correct amounts: the charge's sheet, made by the schedule in force on the filing
    # date (or as the office's payment notice restated it).
    check_sheet(submitted, FeeSheet.model_validate(charge.sheet))
    # The sheet's amounts, less what was already paid towards this charge: never paid twice.
    payment.amount_fen = charge.outstanding_fen
    payment.sheet = sheet if isinstance(sheet, dict) else submitted.model_dump(mode="json")
    payment.authorization_id = authorization.id
    return authorization


def _pay_url(ctx: Context, payment: FeePayment) -> str | None:
    if payment.status != "pending" or not payment.gateway_reference:
        return None
    try:
        gateway = gateway_for(ctx.settings)
    except PatentDeskError:  # no bank now (or a refused one): nowhere to pay
        return None
    return gateway.pay_url(payment.gateway_reference) if gateway.name == payment.gateway else None


# ---------------------------------------------------------------- the bank's callback


def bank_callback(
    db: Db, ctx: Context, gateway_name: str, body: bytes, headers: dict[str, str]
) -> FeePayment | DeductionAuthorization:
    """Settles a pending payment or deduction, or verifies an authorised account, from a
    bank callback whose signature verifies.

    Delivering the same confirmation again changes nothing (banks retry); a different
    outcome for a settled payment is refused.
    """
    try:
        gateway: PaymentGateway = gateway_for(ctx.settings)
    except GatewayNotConfigured:
        raise PaymentNotFound() from None
    if gateway_name != gateway.name:
        raise PaymentNotFound()
    confirmation = gateway.verify_callback(body, headers)
    if confirmation.kind == "authorization":
        return authorizations.settle(db, ctx, confirmation, gateway.name)
    return settle(db, ctx, confirmation, gateway.name)


def settle(db: Db, ctx: Context, confirmation: BankConfirmation, gateway: str) -> FeePayment:
    payment = db.scalar(
        select(FeePayment)
        .where(
            FeePayment.gateway == gateway,
            FeePayment.gateway_reference == confirmation.reference,
        )
        .with_for_update()
    )
    if payment is None:
        raise PaymentNotFound()
    status = "confirmed" if confirmation.status == "paid" else "failed"
    if payment.status == "cancelled" and status == "failed":
        return payment  # the bank agrees nothing was paid
    # A cancelled order the bank reports paid: the money moved, so it counts (any surplus
    # is shown as over-paid, with the refund route).
    if payment.status not in ("pending", "cancelled"):
        if payment.status == status and payment.bank_serial == confirmation.bank_serial:
            return payment
        raise PaymentAlreadySettled(status=payment.status)
    payment.status = status
    payment.bank_serial = confirmation.bank_serial or None
    if status == "confirmed":
        payment.paid_fen = confirmation.amount_fen
        payment.confirmed_at = now()
    audit.record(
        db,
        "fee.payment.settled",
        environment=ctx.settings.environment,
        actor_role="bank",
        ip=ctx.ip,
        target=f"payment:{payment.id}",
        status=status,
        paid_fen=payment.paid_fen,
        bank_serial=payment.bank_serial,
    )
    from patentdesk.alerts.service import payment_settled

    case = db.get(Case, payment.case_id)
    payment_settled(db, ctx, payment, case.application_number if case else "")
    return payment


def pending_by_reference(db: Db, reference: str) -> tuple[FeePayment, Case]:
    """The order the simulated bank's page shows (the reference is the unguessable key)."""
    payment = db.scalar(select(FeePayment).where(FeePayment.gateway_reference == reference))
    case = db.get(Case, payment.case_id) if payment is not None else None
    if payment is None or case is None:
        raise PaymentNotFound()
    return payment, case


# ---------------------------------------------------------------- output


def payment_out(payment: FeePayment, pay_url: str | None = None) -> dict[str, Any]:
    return {
        "payment_id": str(payment.id),
        "case_id": str(payment.case_id),
        "method": payment.method,
        "status": payment.status,
        "amount": ledger.yuan(payment.amount_fen),
        "paid_amount": None if payment.paid_fen is None else ledger.yuan(payment.paid_fen),
        "notice_serial": payment.notice_serial,
        "bank_serial": payment.bank_serial,
        "created_at": iso(payment.created_at),
        "confirmed_at": iso(payment.confirmed_at),
        "pay_url": pay_url,
    }


def _explain(db: Db, sheet: dict[str, Any], ctx: Context) -> dict[str, str] | None:
    try:
        return explain(FeeSheet.model_validate(sheet), ctx.settings.data, db)
    except ValueError:  # a hand-made sheet in an old notice: shown, not explained
        return None


def charge_out(db: Db, charge: ledger.Charge, ctx: Context) -> dict[str, Any]:
    return {
        "key": str(charge.key),
        "business_type": charge.business_type,
        "sheet": charge.sheet,
        "schedule": charge.sheet.get("schedule"),
        "explanation": _explain(db, charge.sheet, ctx),
        "total": ledger.yuan(charge.total_fen),
        "paid": ledger.yuan(charge.paid_fen),
        "outstanding": ledger.yuan(charge.outstanding_fen),
        "raised_on": charge.raised_on.isoformat(),
        "due_on": charge.due_on.isoformat(),
        "overdue": charge.outstanding_fen > 0 and charge.due_on < beijing_date(),
        "notice_serial": charge.notice_serial,
        "filed_total": (
            ledger.yuan(ledger.sheet_total_fen(charge.filed_sheet))
            if charge.filed_sheet is not None
            else None
        ),
    }


def fees_out(db: Db, ctx: Context, fees: CaseFees) -> dict[str, Any]:
    """GET /api/v1/cases/{id}/fees: the sheet, which schedule applies and why, payments,
    the balance (paid − due: negative is owed, positive is over-paid)."""
    case, account = fees.case, fees.account
    main = account.charges[0] if account.charges else None
    nxt = account.next_due
    authorization = active_authorization(db, case.domain_id)
    return {
        "case": {
            "id": str(case.id),
            "application_number": case.application_number,
            "kind": case.kind,
            "title": case.title,
            "filing_date": case.filing_date.isoformat(),
        },
        "sheet": main.sheet if main else None,
        "schedule": main.sheet.get("schedule") if main else None,
        "explanation": _explain(db, main.sheet, ctx) if main else None,
        "charges": [charge_out(db, c, ctx) for c in account.charges],
        "payments": [payment_out(p, _pay_url(ctx, p)) for p in reversed(fees.payments)],
        "due": ledger.yuan(account.due_fen),
        "paid": ledger.yuan(account.paid_fen),
        "pending": ledger.yuan(account.pending_fen),
        "balance": ledger.yuan(account.balance_fen),
        "outstanding": ledger.yuan(account.outstanding_fen),
        "overpaid": ledger.yuan(account.overpaid_fen),
        "state": account.state,
        "due_on": nxt.due_on.isoformat() if nxt else None,
        "overdue": account.overdue,
        "methods": list(METHODS),
        "pending_payment": next(
            (payment_out(p, _pay_url(ctx, p)) for p in fees.payments if p.status == "pending"),
            None,
        ),
        "refund": refund_out(fees),
        "authorization": authorization_out(authorization, ctx) if authorization else None,
    }


# 专利法实施细则 (the refund rule): fees paid in excess, twice or by mistake are refunded on
# request made within three years of the payment.
REFUND_YEARS = 3


def refund_out(fees: CaseFees) -> dict[str, Any] | None:
    """An over-payment, flagged with what the payer should do to get it back."""
    account = fees.account
    if account.overpaid_fen <= 0:
        return None
    # The payment that took the case past what it owes starts the refund period.
    confirmed = sorted(
        (p for p in fees.payments if p.status == "confirmed" and p.confirmed_at is not None),
        key=lambda p: p.confirmed_at or p.created_at,
    )
    running, surplus_from = 0, None
    for p in confirmed:
        running += p.paid_fen or 0
        if running > account.due_fen:
            surplus_from = p
            break
    paid_on = beijing_date(surplus_from.confirmed_at) if surplus_from else beijing_date()
    by = (
        paid_on.replace(year=paid_on.year + REFUND_YEARS)
        if not (paid_on.month == 2 and paid_on.day == 29)
        else paid_on.replace(year=paid_on.year + REFUND_YEARS, day=28)
    )
    amount = ledger.yuan(account.overpaid_fen)
    return {
        "amount": amount,
        "paid_on": paid_on.isoformat(),
        "request_by": by.isoformat(),
        "zh": (
            f"多缴 {amount} 元。多缴、重缴、错缴的专利费用可以退还：请于 {by.isoformat()} 前"
            "（自缴费日起三年内）向国家知识产权局提交意见陈述书（关于费用），写明退款理由和"
            "收款账户，并附缴费凭证。"
        ),
        "en": (
            f"Over-paid CNY {amount}. Fees paid in excess, twice or by mistake are refunded on "
            f"request: by {by.isoformat()} (three years from the payment) file an observation "
            "on fees (意见陈述书（关于费用）) with CNIPA, stating the reason and the account to "
            "refund to, with the payment receipt."
        ),
    }
