"""Fees API: a case's fees and payments, the bank's callback, authorised-deduction accounts."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from patentdesk import apischema
from patentdesk.deps import Ctx, CurrentActor, DbSession, client_ip
from patentdesk.fees import authorizations, payments
from patentdesk.fees.errors import CallbackInvalid
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
    amount: float | str | None = Field(
        default=None, description="online banking: CNY to pay; default: what is outstanding"
    )
    notice_serial: str | None = Field(
        default=None, max_length=40, description="payment-notice: the 缴费通知书's dispatch serial"
    )
    sheet: dict[str, Any] | None = Field(
        default=None, description="authorized-deduction: the fee sheet (as fees quote --json)"
    )
    idempotency_key: str | None = Field(default=None, max_length=128)


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
    """Pays fees of the case. Online banking and payment notices answer ``pending`` with the
    bank's ``pay_url``; an authorized deduction is ``confirmed`` at once, or refused
    (FEE_SHEET_MISMATCH) with the correct amounts when its sheet's amounts are wrong."""
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
        payment = payments.bank_callback(db, ctx, gateway, body, headers)
        return {"payment_id": str(payment.id), "status": payment.status}


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
def list_authorizations(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    """The domain's authorised-deduction accounts (授权扣款), newest first."""
    return [authorizations.authorization_out(a) for a in authorizations.list_for(db, actor)]


@router.post("/fees/authorizations", status_code=status.HTTP_201_CREATED)
def create_authorization(
    body: AuthorizationIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """Pre-authorises an account for deductions of the domain's fees."""
    row = authorizations.create(
        db,
        ctx,
        actor,
        account_name=body.account_name,
        account_number=body.account_number,
        bank=body.bank,
    )
    return authorizations.authorization_out(row)


@router.delete("/fees/authorizations/{authorization_id}")
def revoke_authorization(
    authorization_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    return authorizations.authorization_out(authorizations.revoke(db, ctx, actor, authorization_id))
