"""Authorised-deduction accounts (授权扣款账户): one or more per permission domain.

Every user of a domain has the same rights in it (seed A6): any of them may add or revoke
the domain's authorisation; nobody outside the domain sees it. Only the last four digits
of an account number ever leave the server.

An account is usable only once the bank verified it: adding one opens a verification order
at the bank (``verify_url``, where the account holder confirms); the bank's signed callback
marks it ``verified`` or ``rejected``. Until then no deduction is made from it — a number
anyone types («00000000», «不存在的银行») marks nothing paid.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize, restrict
from patentdesk.errors import PatentDeskError
from patentdesk.fees.errors import (
    AuthorizationInvalid,
    AuthorizationNotFound,
    PaymentAlreadySettled,
)
from patentdesk.fees.gateway import BankConfirmation, gateway_for
from patentdesk.fees.models import DeductionAuthorization
from patentdesk.identity.service import Context
from patentdesk.timeutil import iso, now

# Mainland bank account and card numbers: 8 to 30 digits (spaces and dashes are dropped).
ACCOUNT_NUMBER = re.compile(r"^\d{8,30}$")
PENDING, VERIFIED, REJECTED = "pending", "verified", "rejected"


def active_authorization(db: Db, domain_id: uuid.UUID | None) -> DeductionAuthorization | None:
    """The domain's newest authorisation the bank verified and nobody revoked, if any."""
    if domain_id is None:
        return None
    return db.scalar(
        select(DeductionAuthorization)
        .where(
            DeductionAuthorization.domain_id == domain_id,
            DeductionAuthorization.status == VERIFIED,
            DeductionAuthorization.revoked_at.is_(None),
        )
        .order_by(DeductionAuthorization.created_at.desc())
        .limit(1)
    )


def create(
    db: Db,
    ctx: Context,
    actor: Actor | None,
    *,
    account_name: str,
    account_number: str,
    bank: str,
) -> DeductionAuthorization:
    actor = authorize(actor, Permission.FEE_PAY)
    number = re.sub(r"[\s-]", "", account_number or "")
    problems = []
    if not (account_name or "").strip():
        problems.append("account_name: 请填写账户名称 / required")
    if not ACCOUNT_NUMBER.match(number):
        problems.append("account_number: 应为 8–30 位数字 / 8 to 30 digits")
    if not (bank or "").strip():
        problems.append("bank: 请填写开户行 / required")
    if problems:
        raise AuthorizationInvalid(problems="; ".join(problems))
    if actor.domain_id is None:
        raise AuthorizationInvalid(problems="没有权限域 / no permission domain")
    gateway = gateway_for(ctx.settings)  # no bank configured: nothing to verify with
    row = DeductionAuthorization(
        domain_id=actor.domain_id,
        account_name=account_name.strip()[:100],
        account_number=number,
        bank=bank.strip()[:100],
        status=PENDING,
        gateway=gateway.name,
        gateway_reference=gateway.new_reference(),
        created_by_user_id=actor.user_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        "fee.authorization.created",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"fee_authorization:{row.id}",
        account=f"****{number[-4:]}",
    )
    return row


def settle(
    db: Db, ctx: Context, confirmation: BankConfirmation, gateway: str
) -> DeductionAuthorization:
    """The bank's verified word on an account: ``verified`` or ``rejected``, once."""
    row = db.scalar(
        select(DeductionAuthorization)
        .where(
            DeductionAuthorization.gateway == gateway,
            DeductionAuthorization.gateway_reference == confirmation.reference,
        )
        .with_for_update()
    )
    if row is None:
        raise AuthorizationNotFound()
    status = VERIFIED if confirmation.status == "verified" else REJECTED
    if row.status != PENDING:
        if row.status == status:
            return row  # the bank's retry
        raise PaymentAlreadySettled(status=row.status)
    row.status = status
    if status == VERIFIED:
        row.verified_at = now()
    audit.record(
        db,
        "fee.authorization.settled",
        environment=ctx.settings.environment,
        actor_role="bank",
        ip=ctx.ip,
        target=f"fee_authorization:{row.id}",
        status=status,
    )
    return row


def pending_by_reference(db: Db, reference: str) -> DeductionAuthorization:
    """The account the simulated bank's page asks to verify (the reference is the key)."""
    row = db.scalar(
        select(DeductionAuthorization).where(DeductionAuthorization.gateway_reference == reference)
    )
    if row is None:
        raise AuthorizationNotFound()
    return row


def verify_url(ctx: Context, row: DeductionAuthorization) -> str | None:
    """Where the account holder confirms the account with the bank, while it is pending."""
    if row.status != PENDING or row.revoked_at is not None or not row.gateway_reference:
        return None
    try:
        gateway = gateway_for(ctx.settings)
    except PatentDeskError:
        return None
    if gateway.name != row.gateway:
        return None
    return gateway.authorize_url(row.gateway_reference, row.account_number)


def list_for(db: Db, actor: Actor | None) -> list[DeductionAuthorization]:
    actor = authorize(actor, Permission.FEE_PAY)
    stmt = restrict(
        select(DeductionAuthorization), DeductionAuthorization.domain_id, actor, Permission.FEE_PAY
    )
    return list(db.scalars(stmt.order_by(DeductionAuthorization.created_at.desc())))


def revoke(
    db: Db, ctx: Context, actor: Actor | None, authorization_id: uuid.UUID
) -> DeductionAuthorization:
    actor = authorize(actor, Permission.FEE_PAY)
    row = db.get(DeductionAuthorization, authorization_id)
    if row is None or row.domain_id != actor.domain_id:
        raise AuthorizationNotFound()
    if row.revoked_at is None:
        row.revoked_at = now()
        row.revoked_by_user_id = actor.user_id
        audit.record(
            db,
            "fee.authorization.revoked",
            environment=ctx.settings.environment,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            ip=ctx.ip,
            target=f"fee_authorization:{row.id}",
        )
    return row


def authorization_out(row: DeductionAuthorization, ctx: Context | None = None) -> dict[str, Any]:
    """``active``: deductions may be made from it (verified by the bank, not revoked)."""
    return {
        "id": str(row.id),
        "account_name": row.account_name,
        "account_number": f"****{row.account_number[-4:]}",
        "bank": row.bank,
        "status": row.status,
        "created_at": iso(row.created_at),
        "verified_at": iso(row.verified_at),
        "revoked_at": iso(row.revoked_at),
        "active": row.revoked_at is None and row.status == VERIFIED,
        "verify_url": verify_url(ctx, row) if ctx is not None else None,
    }
