"""Organisations API: registration and account management (我的办公桌 → 账户管理)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from patentdesk.deps import Ctx, CurrentActor, DbSession
from patentdesk.identity.models import User
from patentdesk.orgs import membership, service
from patentdesk.orgs.models import Domain, SubAccount
from patentdesk.orgs.schemas import (
    BranchIn,
    BranchPatch,
    DomainOut,
    HandlerIn,
    MembershipOut,
    OrgRegisterIn,
    SubAccountIn,
    SubAccountOut,
    SubAccountPatch,
)
from patentdesk.timeutil import iso

router = APIRouter(prefix="/api/v1", tags=["organisations"])


def _domain_out(d: Domain) -> DomainOut:
    return DomainOut(id=d.id, kind=d.kind, name=d.name, disabled=d.disabled)


def _sub_out(s: SubAccount, u: User, d: Domain) -> SubAccountOut:
    return SubAccountOut(
        account_id=s.id,
        user_id=u.id,
        name=s.display_name,
        phone=u.phone,
        domain=d.id,
        domain_name=d.name,
        disabled=s.disabled,
        left_at=iso(s.left_at),
    )


@router.post("/orgs", status_code=status.HTTP_201_CREATED)
def register_org(
    body: OrgRegisterIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """A logged-in natural person registers a legal person or agency and becomes its handler.
    The answer carries the main account's login name and, when generated, its password once."""
    reg = service.register_organisation(
        db,
        ctx,
        actor,
        kind=body.kind,
        name=body.name,
        uscc=body.uscc,
        agency_code=body.agency_code,
        main_password=body.main_password,
    )
    out: dict[str, Any] = {
        "org_id": str(reg.org.id),
        "kind": reg.org.kind,
        "name": reg.org.name,
        "uscc": reg.org.uscc,
        "agency_code": reg.org.agency_code,
        "main_account": {"user_id": str(reg.main_user.id), "login": reg.main_user.login_name},
        "handler_role": f"handler:{reg.org.id}",
    }
    if reg.main_password:
        out["main_account"]["initial_password"] = reg.main_password
    return out


@router.get("/org")
def my_org(actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    org = service.get_organisation(db, actor)
    return {
        "org_id": str(org.id),
        "kind": org.kind,
        "name": org.name,
        "uscc": org.uscc,
        "agency_code": org.agency_code,
        "created_at": iso(org.created_at),
        "domains": [
            _domain_out(d).model_dump(mode="json") for d in service.list_domains(db, actor)
        ],
    }


@router.get("/org/branches")
def branches(actor: CurrentActor, db: DbSession) -> list[DomainOut]:
    return [_domain_out(d) for d in service.list_domains(db, actor) if d.kind == "branch"]


@router.post("/org/branches", status_code=status.HTTP_201_CREATED)
def add_branch(body: BranchIn, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    branch = service.add_branch(db, ctx, actor, name=body.name)
    return {"branch_id": str(branch.id), "name": branch.name}


@router.patch("/org/branches/{branch_id}")
def edit_branch(
    branch_id: uuid.UUID, body: BranchPatch, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> DomainOut:
    return _domain_out(
        service.edit_branch(db, ctx, actor, branch_id, name=body.name, disabled=body.disabled)
    )


@router.get("/org/subaccounts")
def sub_accounts(actor: CurrentActor, db: DbSession) -> list[SubAccountOut]:
    return [_sub_out(s, u, d) for s, u, d in service.list_sub_accounts(db, actor)]


@router.post("/org/subaccounts", status_code=status.HTTP_201_CREATED)
def add_sub_account(
    body: SubAccountIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    sub, domain = service.add_sub_account(
        db, ctx, actor, phone=body.phone, name=body.name, branch=body.branch
    )
    return {"account_id": str(sub.id), "domain": str(domain.id), "domain_name": domain.name}


@router.patch("/org/subaccounts/{account_id}")
def edit_sub_account(
    account_id: uuid.UUID, body: SubAccountPatch, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> SubAccountOut:
    to_main = body.branch in ("main", "主机构")
    sub = service.edit_sub_account(
        db,
        ctx,
        actor,
        account_id,
        branch=None if to_main else body.branch,
        move_to_main=to_main,
        disabled=body.disabled,
        display_name=body.display_name,
    )
    user = db.get(User, sub.user_id)
    domain = db.get(Domain, sub.domain_id)
    assert user is not None and domain is not None
    return _sub_out(sub, user, domain)


@router.get("/org/handlers")
def handlers(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    return [
        {
            "handler_id": str(h.id),
            "user_id": str(u.id),
            "name": u.name,
            "phone": u.phone,
            "disabled": h.disabled,
            "left_at": iso(h.left_at),
        }
        for h, u in service.list_handlers(db, actor)
    ]


@router.post("/org/handlers", status_code=status.HTTP_201_CREATED)
def add_handler(body: HandlerIn, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    handler = service.add_handler(db, ctx, actor, phone=body.phone, name=body.name)
    return {"handler_id": str(handler.id)}


@router.get("/me/organisations")
def my_organisations(actor: CurrentActor, db: DbSession) -> list[MembershipOut]:
    """The organisations the person is a handler or sub-account of (left ones not)."""
    return [
        MembershipOut(
            org_id=m.org_id, org_name=m.org_name, roles=m.roles, domain_name=m.domain_name
        )
        for m in membership.my_memberships(db, actor)
    ]


@router.post("/me/organisations/{org_id}/leave")
def leave_organisation(
    org_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """退出机构: the person ends their handler and sub-account memberships there; sessions
    in those roles stop working. The organisation may add them again (they are told)."""
    left = membership.leave_organisation(db, ctx, actor, org_id)
    return {"org_id": str(org_id), "left": left}
