"""Portal pages for fees (缴费): the domain's fees, a case's fee sheet with which schedule
applies and why, payments and balance, the payment form (three methods), the domain's
authorised-deduction accounts; and the simulated bank's page (模拟网银).

Thin: parse the form, call :mod:`patentdesk.fees.payments`, render. Templates live in
``fees/templates/fees/``; strings in ``fees/locales`` over the portal's own catalogue.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.errors import PatentDeskError
from patentdesk.fees import authorizations, due, payments
from patentdesk.fees.amounts import MAX_TEXT_LENGTH, POSITIVE_PATTERN
from patentdesk.fees.errors import (
    PaymentNotFound,
    PaymentNotPayable,
    SheetInvalid,
    SheetMismatch,
)
from patentdesk.fees.gateway import SimulatedBank, gateway_for
from patentdesk.fees.models import FeePayment
from patentdesk.web.i18n import translate
from patentdesk.web.render import (
    add_template_dir,
    check_csrf,
    lang_of,
    page,
    page_router,
    posted,
)
from patentdesk.web.routes import NAV_ITEMS

HERE = Path(__file__).parent
router = page_router()

add_template_dir(HERE / "templates")


@cache
def _catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((HERE / "locales" / f"{lang}.json").read_text("utf-8"))
    return data


def _translator(request: Request) -> Any:
    lang = lang_of(request)

    def t(key: str, **fmt: object) -> str:
        text = _catalog(lang).get(key)
        if text is None:
            return translate(lang, key, **fmt)
        return text.format(**fmt) if fmt else text

    return t


def _render(
    request: Request, template: str, actor: Any, status_code: int = 200, **ctx: Any
) -> Response:
    return page(
        request,
        template,
        actor,
        status_code=status_code,
        t=_translator(request),
        nav_items=NAV_ITEMS,
        **ctx,
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _message(request: Request, exc: PatentDeskError) -> str:
    return exc.zh if lang_of(request) == "zh" else exc.en


# ---------------------------------------------------------------- the domain's fees


@router.get("/fees", response_class=HTMLResponse)
def fees_list(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    if actor is None:
        return _redirect("/login")
    if actor.is_office:
        return _redirect("/office")
    rows = due.deadline_rows(db, ctx, actor)
    return _render(
        request,
        "fees/list.html",
        actor,
        rows=rows,
        authorizations=[
            authorizations.authorization_out(a, ctx) for a in authorizations.list_for(db, actor)
        ],
    )


@router.post("/fees/authorizations", response_class=HTMLResponse)
def add_authorization(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    if actor is None:
        return _redirect("/login")
    check_csrf(request)
    form = posted(request)
    try:
        authorizations.create(
            db,
            ctx,
            actor,
            account_name=str(form.get("account_name") or ""),
            account_number=str(form.get("account_number") or ""),
            bank=str(form.get("bank") or ""),
        )
    except PatentDeskError as exc:
        db.rollback()
        return _render(
            request,
            "fees/list.html",
            actor,
            status_code=exc.status,
            error=_message(request, exc),
            rows=due.deadline_rows(db, ctx, actor),
            authorizations=[
                authorizations.authorization_out(a, ctx) for a in authorizations.list_for(db, actor)
            ],
        )
    return _redirect("/fees")


@router.post("/fees/authorizations/{authorization_id}/revoke")
def revoke_authorization(
    authorization_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if actor is None:
        return _redirect("/login")
    check_csrf(request)
    authorizations.revoke(db, ctx, actor, authorization_id)
    return _redirect("/fees")


# ---------------------------------------------------------------- one case


def _case_page(
    request: Request,
    actor: Any,
    db: DbSession,
    ctx: Ctx,
    case_id: uuid.UUID,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    fees = payments.case_fees(db, ctx, actor, case_id)
    data = payments.fees_out(db, ctx, fees)
    for row, payment in zip(data["payments"], reversed(fees.payments), strict=True):
        row["created_at"] = payment.created_at  # shown in Beijing time by the template
    return _render(
        request,
        "fees/case.html",
        actor,
        status_code=status_code,
        fees=data,
        amount_pattern=POSITIVE_PATTERN,
        amount_max_length=MAX_TEXT_LENGTH,
        **extra,
    )


@router.get("/cases/{case_id}/fees", response_class=HTMLResponse)
def case_fees(
    case_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if actor is None:
        return _redirect("/login")
    try:
        t = _translator(request)
        flash = (
            t("fees.paid.flash")
            if request.query_params.get("paid")
            else (t("fees.cancelled.flash") if request.query_params.get("cancelled") else None)
        )
        return _case_page(request, actor, db, ctx, case_id, flash=flash)
    except PatentDeskError as exc:
        return _render(
            request,
            "fees/list.html",
            actor,
            status_code=exc.status,
            error=_message(request, exc),
            rows=[],
            authorizations=[],
        )


@router.post("/cases/{case_id}/fees/pay", response_class=HTMLResponse)
def pay(
    case_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if actor is None:
        return _redirect("/login")
    check_csrf(request)
    form = {k: v for k, v in posted(request).items() if isinstance(v, str)}
    method = form.get("method", "")
    try:
        sheet: Any = None
        if method == payments.AUTHORIZED_DEDUCTION:
            text = form.get("sheet", "").strip()
            if not text:
                raise SheetInvalid(problems="请粘贴费用计算页 JSON / paste the fee sheet JSON")
            try:
                sheet = json.loads(text)
            except ValueError:
                raise SheetInvalid(problems="不是 JSON / not JSON") from None
        started = payments.pay(
            db,
            ctx,
            actor,
            case_id,
            method=method,
            amount=form.get("amount") or None,
            notice_serial=form.get("notice_serial") or None,
            sheet=sheet,
        )
    except PatentDeskError as exc:
        db.rollback()
        correct = exc.details.get("correct") if isinstance(exc, SheetMismatch) else None
        return _case_page(
            request,
            actor,
            db,
            ctx,
            case_id,
            status_code=exc.status,
            error=_message(request, exc),
            correct=correct,
            form=form,
        )
    if started.pay_url and method != payments.AUTHORIZED_DEDUCTION:
        return _redirect(started.pay_url)  # the payer pays at the bank; a deduction needs not
    return _redirect(f"/cases/{case_id}/fees?paid=1")


# ---------------------------------------------------------------- the simulated bank


def _bank(ctx: Ctx) -> SimulatedBank:
    try:
        gateway = gateway_for(ctx.settings)
    except PatentDeskError:
        raise PaymentNotFound() from None  # nothing is simulated unless configured
    if not isinstance(gateway, SimulatedBank):
        raise PaymentNotFound()  # a real bank serves its own pages
    return gateway


@router.get("/sim-bank/pay/{reference}", response_class=HTMLResponse)
def bank_page(reference: str, request: Request, db: DbSession, ctx: Ctx) -> Response:
    """模拟网银: the order the payer pays (the unguessable reference is the key to it)."""
    _bank(ctx)
    payment, case = payments.pending_by_reference(db, reference)
    return _render(
        request,
        "fees/bank.html",
        None,
        payment=payments.payment_out(payment),
        case=case,
        reference=reference,
    )


@router.post("/sim-bank/pay/{reference}")
def bank_pay(reference: str, request: Request, db: DbSession, ctx: Ctx) -> Response:
    """The payer pays (or cancels) at the bank; the bank then calls the server back with a
    signed message, verified like any bank's."""
    bank = _bank(ctx)
    form = posted(request)
    decision = str(form.get("decision") or request.query_params.get("decision") or "pay")
    payment, case = payments.pending_by_reference(db, reference)
    if payment.status == "cancelled":
        # A withdrawn order is closed at the bank too: it cannot be paid any more.
        raise PaymentNotPayable(status=payment.status)
    body, headers = bank.callback(
        reference, payment.amount_fen, "paid" if decision == "pay" else "failed"
    )
    settled = payments.bank_callback(db, ctx, bank.name, body, headers)
    if "application/json" in request.headers.get("accept", ""):
        assert isinstance(settled, FeePayment)
        return JSONResponse(payments.payment_out(settled))
    return _redirect(f"/cases/{case.id}/fees?paid=1")


@router.post("/cases/{case_id}/fees/payments/{payment_id}/cancel")
def cancel_payment(
    case_id: uuid.UUID,
    payment_id: uuid.UUID,
    request: Request,
    actor: OptionalActor,
    db: DbSession,
    ctx: Ctx,
) -> Response:
    if actor is None:
        return _redirect("/login")
    check_csrf(request)
    try:
        payments.cancel(db, ctx, actor, case_id, payment_id)
    except PatentDeskError as exc:
        db.rollback()
        return _case_page(
            request, actor, db, ctx, case_id, status_code=exc.status, error=_message(request, exc)
        )
    return _redirect(f"/cases/{case_id}/fees?cancelled=1")


@router.get("/sim-bank/authorize/{reference}", response_class=HTMLResponse)
def bank_authorize_page(reference: str, request: Request, db: DbSession, ctx: Ctx) -> Response:
    """模拟网银: the account holder confirms an authorised-deduction account with the bank."""
    _bank(ctx)
    row = authorizations.pending_by_reference(db, reference)
    return _render(
        request,
        "fees/bank_authorize.html",
        None,
        account=authorizations.authorization_out(row),
        reference=reference,
    )


@router.post("/sim-bank/authorize/{reference}")
def bank_authorize(reference: str, request: Request, db: DbSession, ctx: Ctx) -> Response:
    """The bank verifies (or rejects) the account, then calls the server back, signed."""
    bank = _bank(ctx)
    form = posted(request)
    decision = str(form.get("decision") or request.query_params.get("decision") or "verify")
    authorizations.pending_by_reference(db, reference)
    body, headers = bank.authorization_callback(
        reference, "verified" if decision == "verify" else "rejected"
    )
    settled = payments.bank_callback(db, ctx, bank.name, body, headers)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"authorization_id": str(settled.id), "status": settled.status})
    return _redirect("/fees")
