"""Fees API: a case's fees and payments, the bank's callback, authorised-deduction accounts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from patentdesk import apischema
from patentdesk.deps import Ctx, CurrentActor, DbSession, client_ip
from patentdesk.fees import authorizations, payments
from patentdesk.fees.amounts import AmountText, payment_fen
from patentdesk.fees.errors import CallbackInvalid
from patentdesk.fees.models import DeductionAuthorization
from patentdesk.identity.service import Context

router = APIRouter(prefix="/api/v1", tags=["fees"])


@router.get("/cases/{case_id}/fees")
def case_fees(case_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """The case's fee sheet, which schedule applies and why, payments and the balance
    (paid − due: negative is owed, positive is over-paid). Only the case's domain sees it."""
    return payments.fees_out(db, ctx, payments.case_fees(db, ctx, actor, case_id))


class PaymentIn(BaseModel):
    method: str = Field(
        max_length=32, description="online-banking | payment-notice | authorized-deduction"
    )
    amount: AmountText | Annotated[int, Field(ge=1, le=9_999_999)] | None = Field(
        default=None,
        description="online banking: CNY to pay (at most two decimals); default: what is "
        "outstanding",
    )
    notice_serial: str | None = Field(
        default=None, max_length=40, description="payment-notice: the 缴费通知书's dispatch serial"
    )
    sheet: dict[str, Any] | None = Field(
        default=None, description="authorized-deduction: the fee sheet (as fees quote --json)"
    )
    idempotency_key: str | None = Field(default=None, max_length=128)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        # The one bounded format, before anything else looks at the value: anything outside
        # it is FEE_PAYMENT_AMOUNT_INVALID naming the field (raised through Pydantic).
        if value is None:
            return None
        fen = payment_fen(value)
        return f"{fen // 100}.{fen % 100:02d}" if fen % 100 else str(fen // 100)


@router.post("/cases/{case_id}/payments", status_code=status.HTTP_201_CREATED)
def pay(
    case_id: uuid.UUID,
    body: PaymentIn,
    actor: CurrentActor,
    db: DbSession,
    ctx: Ctx,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Pays fees of the case. Every method answers ``pending`` until the bank's signed
    callback confirms it: online banking and payment notices with the bank's ``pay_url``; an
    authorized deduction from a bank-verified account, or refused (FEE_SHEET_MISMATCH) with
    the correct amounts when its sheet's amounts are wrong."""
    started = payments.pay(
        db,
        ctx,
        actor,
        case_id,
        method=body.method,
        amount=body.amount,
        notice_serial=body.notice_serial,
        sheet=body.sheet,
        idempotency_key=body.idempotency_key or request.headers.get("idempotency-key"),
    )
    if started.replay:
        response.status_code = status.HTTP_200_OK
    return payments.payment_out(started.payment, started.pay_url)


@router.post("/cases/{case_id}/payments/{payment_id}/cancel")
def cancel_payment(
    case_id: uuid.UUID, payment_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """Cancels a payment awaiting the bank (a case has at most one: FEE_PAYMENT_PENDING
    names it), so that the charge can be paid another way; a settled payment is
    FEE_PAYMENT_NOT_CANCELLABLE."""
    return payments.payment_out(payments.cancel(db, ctx, actor, case_id, payment_id))


@router.post("/payments/callbacks/{gateway}")
async def bank_callback(gateway: str, request: Request) -> dict[str, Any]:
    """The bank confirms a payment: the raw body, signed (simulated bank:
    ``X-Bank-Signature: t=<unix time>,v1=<HMAC-SHA256 hex>``). Nothing changes unless the
    signature verifies."""
    received = bytearray()
    async for chunk in request.stream():  # anyone may post here: stop at the limit
        received += chunk
        if len(received) > 64 * 1024:
            raise CallbackInvalid(reason_zh="消息过长", reason_en="the message is too long")
    body = bytes(received)
    return await run_in_threadpool(_settle, request, gateway, body, dict(request.headers))


def _settle(request: Request, gateway: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    ctx = Context(settings=request.app.state.settings, ip=client_ip(request))
    with request.app.state.db.unit_of_work() as db:
        settled = payments.bank_callback(db, ctx, gateway, body, headers)
        if isinstance(settled, DeductionAuthorization):
            return {"authorization_id": str(settled.id), "status": settled.status}
        return {"payment_id": str(settled.id), "status": settled.status}


class AuthorizationIn(BaseModel):
    account_name: str = Field(
        max_length=100, description="账户名称", json_schema_extra=apischema.text(100)
    )
    account_number: str = Field(
        max_length=60,
        description="账号: 8 to 30 digits (spaces and dashes are dropped)",
        json_schema_extra={"pattern": "^[0-9]{8,30}$"},
    )
    bank: str = Field(max_length=100, description="开户行", json_schema_extra=apischema.text(100))


@router.get("/fees/authorizations")
def list_authorizations(actor: CurrentActor, db: DbSession, ctx: Ctx) -> list[dict[str, Any]]:
    """The domain's authorised-deduction accounts (授权扣款), newest first; ``active`` once
    the bank verified one, ``verify_url`` where to confirm it while ``pending``."""
    return [authorizations.authorization_out(a, ctx) for a in authorizations.list_for(db, actor)]


@router.post("/fees/authorizations", status_code=status.HTTP_201_CREATED)
def create_authorization(
    body: AuthorizationIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """Pre-authorises an account for deductions of the domain's fees: ``pending`` until the
    account holder confirms it at the bank (``verify_url``) and the bank's signed callback
    verifies it; no deduction is made from it before."""
    row = authorizations.create(
        db,
        ctx,
        actor,
        account_name=body.account_name,
        account_number=body.account_number,
        bank=body.bank,
    )
    return authorizations.authorization_out(row, ctx)


@router.delete("/fees/authorizations/{authorization_id}")
def revoke_authorization(
    authorization_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    return authorizations.authorization_out(
        authorizations.revoke(db, ctx, actor, authorization_id), ctx
    )
