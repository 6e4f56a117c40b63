"""Authorised-deduction accounts (授权扣款账户): one or more per permission domain.

Every user of a domain has the same rights in it (seed A6): any of them may add or revoke
the domain's authorisation; nobody outside the domain sees it. Only the last four digits
of an account number ever leave the server.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize, restrict
from patentdesk.fees.errors import AuthorizationInvalid, AuthorizationNotFound
from patentdesk.fees.models import DeductionAuthorization
from patentdesk.identity.service import Context
from patentdesk.timeutil import iso, now

# Mainland bank account and card numbers: 8 to 30 digits (spaces and dashes are dropped).
ACCOUNT_NUMBER = re.compile(r"^\d{8,30}$")


def active_authorization(db: Db, domain_id: uuid.UUID | None) -> DeductionAuthorization | None:
    """The domain's newest authorisation not revoked, if any."""
    if domain_id is None:
        return None
    return db.scalar(
        select(DeductionAuthorization)
        .where(
            DeductionAuthorization.domain_id == domain_id,
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
    row = DeductionAuthorization(
        domain_id=actor.domain_id,
        account_name=account_name.strip()[:100],
        account_number=number,
        bank=bank.strip()[:100],
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


def authorization_out(row: DeductionAuthorization) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "account_name": row.account_name,
        "account_number": f"****{row.account_number[-4:]}",
        "bank": row.bank,
        "created_at": iso(row.created_at),
        "revoked_at": iso(row.revoked_at),
        "active": row.revoked_at is None,
    }
