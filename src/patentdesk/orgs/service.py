"""Organisations (法人, 代理机构), their permission domains (主机构, 分支机构), handlers (经办人)
and sub-accounts (子账户); role resolution at login (C8)."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize
from patentdesk.db import unique_or
from patentdesk.errors import NotFound, ValidationFailed
from patentdesk.identity.errors import RoleUnavailable
from patentdesk.identity.models import Role, Session, User, UserKind
from patentdesk.identity.passwords import hash_password
from patentdesk.identity.values import Context, check_characters, clean_name
from patentdesk.orgs import membership
from patentdesk.orgs.errors import (
    AgencyCodeTaken,
    AlreadyMember,
    BranchNameInvalid,
    BranchNameTaken,
    InvalidAgencyCode,
    InvalidUscc,
    MemberLeft,
    NoOrganisation,
    OrgNameInvalid,
    UsccTaken,
)
from patentdesk.orgs.models import Domain, DomainKind, Handler, Organisation, OrgKind, SubAccount
from patentdesk.packages.idnumbers import is_valid_uscc

MAIN_DOMAIN_NAME = "主机构"


def domain_member_ids(db: Db, domain_id: uuid.UUID) -> list[uuid.UUID]:
    """Who acts in a domain: its owner (a person's own), or the organisation's handlers (for
    its main institution) and the sub-accounts placed in it; disabled ones left out."""
    domain = db.get(Domain, domain_id)
    if domain is None:
        return []
    if domain.owner_user_id is not None:
        return [domain.owner_user_id]
    ids = list(
        db.scalars(
            select(SubAccount.user_id).where(
                SubAccount.domain_id == domain.id, SubAccount.disabled.is_(False)
            )
        )
    )
    if domain.kind == DomainKind.MAIN and domain.org_id is not None:
        ids += db.scalars(
            select(Handler.user_id).where(
                Handler.org_id == domain.org_id, Handler.disabled.is_(False)
            )
        )
    return list(dict.fromkeys(ids))


def create_personal_domain(db: Db, user: User) -> Domain:
    domain = Domain(kind=DomainKind.PERSONAL, owner_user_id=user.id, name=user.name)
    db.add(domain)
    db.flush()
    return domain


def personal_domain(db: Db, user_id: uuid.UUID) -> Domain:
    domain = db.scalar(select(Domain).where(Domain.owner_user_id == user_id))
    if domain is None:
        raise NotFound()
    return domain


def main_domain(db: Db, org_id: uuid.UUID) -> Domain:
    domain = db.scalar(
        select(Domain).where(Domain.org_id == org_id, Domain.kind == DomainKind.MAIN)
    )
    assert domain is not None, "every organisation has its main institution domain"
    return domain


# ---------------------------------------------------------------- roles


@dataclass
class ResolvedRole:
    role: Role
    domain_id: uuid.UUID | None
    org_id: uuid.UUID | None = None
    sub_account_id: uuid.UUID | None = None
    label: str = ""
    spec: str = ""


def available_roles(db: Db, user: User) -> list[ResolvedRole]:
    """Every role this user can log in as: what the login page offers (C8)."""
    if user.kind == UserKind.OFFICE:
        return [ResolvedRole(Role.OFFICE, None, label="审查员 office", spec="office")]
    if user.kind == UserKind.ORG_MAIN:
        org = db.scalar(select(Organisation).where(Organisation.main_user_id == user.id))
        if org is None or org.status != "active":
            return []
        return [
            ResolvedRole(
                Role.MAIN,
                main_domain(db, org.id).id,
                org.id,
                label=f"主账户 {org.name}",
                spec=f"main:{org.id}",
            )
        ]
    roles = [
        ResolvedRole(
            Role.NATURAL,
            personal_domain(db, user.id).id,
            label=f"自然人 {user.name}",
            spec="natural",
        )
    ]
    for _handler, org in db.execute(
        select(Handler, Organisation)
        .join(Organisation, Organisation.id == Handler.org_id)
        .where(
            Handler.user_id == user.id, Handler.disabled.is_(False), Organisation.status == "active"
        )
    ):
        roles.append(
            ResolvedRole(
                Role.HANDLER,
                main_domain(db, org.id).id,
                org.id,
                label=f"经办人 {org.name}",
                spec=f"handler:{org.id}",
            )
        )
    for sub, org, domain in db.execute(
        select(SubAccount, Organisation, Domain)
        .join(Organisation, Organisation.id == SubAccount.org_id)
        .join(Domain, Domain.id == SubAccount.domain_id)
        .where(
            SubAccount.user_id == user.id,
            SubAccount.disabled.is_(False),
            Organisation.status == "active",
            Domain.disabled.is_(False),
        )
    ):
        roles.append(
            ResolvedRole(
                Role.SUB,
                domain.id,
                org.id,
                sub.id,
                label=f"子账户 {org.name}/{domain.name}",
                spec=f"sub:{sub.id}",
            )
        )
    return roles


def resolve_role(db: Db, user: User, spec: str | None) -> ResolvedRole:
    """``natural``, ``handler[:ORG]`` or ``sub[:ACCOUNT]``; ORG may be the organisation id,
    its USCC or its name; ACCOUNT the sub-account id. Without an argument the only
    candidate is taken."""
    options = available_roles(db, user)
    if not options:
        raise RoleUnavailable(role=spec or "-")
    if not spec:
        return options[0]
    kind, _, ref = spec.strip().partition(":")
    candidates = [o for o in options if o.role == kind]
    if ref:
        matching = []
        for option in candidates:
            if option.spec.endswith(f":{ref}"):
                matching.append(option)
                continue
            if option.org_id is not None and option.role in (Role.HANDLER, Role.MAIN):
                org = db.get(Organisation, option.org_id)
                if org is not None and ref in (org.uscc, org.name, org.agency_code):
                    matching.append(option)
        candidates = matching
    if len(candidates) != 1:
        raise RoleUnavailable(role=spec, details={"available": [o.spec for o in options]})
    return candidates[0]


@dataclass(frozen=True)
class LoadedSession:
    session: Session
    user: User
    # Held while the actor is built: the identity map keeps only weak references, and
    # these are what its lookups by primary key must find there.
    preloaded: tuple[object, ...]


def session_by_token_hash(db: Db, token_hash: str) -> LoadedSession | None:
    """A session and its user, with what :func:`actor_for_session` looks up by primary key
    about them — organisation, sub-account, domain — in one statement (every request
    authenticates: three or four round trips to the database became one). The rows land in
    the unit of work's identity map, where those lookups then find them."""
    row = db.execute(
        select(Session, User, Organisation, SubAccount, Domain)
        .join(User, User.id == Session.user_id)
        .outerjoin(Organisation, Organisation.id == Session.org_id)
        .outerjoin(SubAccount, SubAccount.id == Session.sub_account_id)
        .outerjoin(Domain, Domain.id == func.coalesce(SubAccount.domain_id, Session.domain_id))
        .where(Session.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    session, user, *preloaded = row
    return LoadedSession(session, user, tuple(preloaded))


def actor_for_session(db: Db, user: User, session: Session) -> Actor | None:
    """Rebuilds the actor from a session, checking that the role still holds: a disabled
    or moved sub-account takes its access with it at once."""
    role = Role(session.role)
    org = db.get(Organisation, session.org_id) if session.org_id else None
    domain_id = session.domain_id
    if role == Role.SUB:
        sub = db.get(SubAccount, session.sub_account_id)
        if sub is None or sub.disabled or sub.user_id != user.id:
            return None
        domain_id = sub.domain_id  # moving a sub-account moves its access (A9)
    elif role == Role.HANDLER:
        handler = db.scalar(
            select(Handler).where(Handler.org_id == session.org_id, Handler.user_id == user.id)
        )
        if handler is None or handler.disabled:
            return None
    if org is not None and org.status != "active":
        return None
    domain = db.get(Domain, domain_id) if domain_id else None
    if domain is not None and domain.disabled:
        return None
    return Actor(
        user_id=user.id,
        name=user.name,
        role=role,
        domain_id=domain_id,
        org_id=org.id if org else None,
        org_kind=org.kind if org else None,
        org_name=org.name if org else None,
        sub_account_id=session.sub_account_id,
        session_id=session.id,
        domain_name=domain.name if domain else None,
        client_kind=session.client_kind,
        ip=session.ip,
    )


# ---------------------------------------------------------------- organisations


def clean_uscc(value: str) -> str:
    value = value.strip().upper()
    if not is_valid_uscc(value):
        raise InvalidUscc(details={"field": "uscc"})
    return value


def clean_agency_code(value: str | None, kind: str) -> str | None:
    if kind != OrgKind.AGENCY:
        if value:
            raise ValidationFailed(
                "只有代理机构有机构代码",
                "Only agencies have an agency code",
                details={"field": "agency_code"},
            )
        return None
    value = (value or "").strip()
    if not re.fullmatch(r"\d{5}", value):
        raise InvalidAgencyCode(details={"field": "agency_code"})
    return value


@dataclass
class RegisteredOrg:
    org: Organisation
    main_user: User
    main_password: str | None  # only when generated: shown once


def register_organisation(
    db: Db,
    ctx: Context,
    actor: Actor,
    *,
    kind: str,
    name: str,
    uscc: str,
    agency_code: str | None = None,
    main_password: str | None = None,
) -> RegisteredOrg:
    """A natural person registers a legal person or agency and becomes its handler; the
    registration creates the main account (主账户), whose login name is the USCC."""
    authorize(actor, Permission.ORG_REGISTER)
    if actor.role != Role.NATURAL:
        raise RoleUnavailable(role=str(actor.role))
    if kind not in (OrgKind.LEGAL, OrgKind.AGENCY):
        raise ValidationFailed(
            "机构类型应为 legal（法人）或 agency（代理机构）",
            "kind must be legal or agency",
            details={"field": "kind"},
        )
    name = " ".join(name.split())
    check_characters(name, "name")
    if not (2 <= len(name) <= 100):
        raise OrgNameInvalid(details={"field": "name"})
    uscc = clean_uscc(uscc)
    agency_code = clean_agency_code(agency_code, kind)
    generated = None
    if not main_password:
        generated = main_password = secrets.token_urlsafe(12) + "9a"
    password_hash = hash_password(main_password)
    if db.scalar(select(Organisation.id).where(Organisation.uscc == uscc)):
        raise UsccTaken(details={"field": "uscc"})
    if db.scalar(select(User.id).where(User.login_name == uscc)):
        raise UsccTaken(details={"field": "uscc"})
    if agency_code and db.scalar(
        select(Organisation.id).where(Organisation.agency_code == agency_code)
    ):
        raise AgencyCodeTaken(details={"field": "agency_code"})
    main_user = User(
        kind=UserKind.ORG_MAIN, login_name=uscc, name=name, password_hash=password_hash
    )
    db.add(main_user)
    with unique_or(UsccTaken(details={"field": "uscc"})):
        db.flush()  # the main account's login name is the USCC
    org = Organisation(
        kind=kind, name=name, uscc=uscc, agency_code=agency_code, main_user_id=main_user.id
    )
    db.add(org)
    # The USCC raced in was caught above; here only the agency code can collide.
    with unique_or(AgencyCodeTaken(details={"field": "agency_code"})):
        db.flush()
    db.add(Domain(kind=DomainKind.MAIN, org_id=org.id, name=MAIN_DOMAIN_NAME))
    db.add(Handler(org_id=org.id, user_id=actor.user_id))
    db.flush()
    audit.record(
        db,
        "org.register",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"org:{org.id}",
        kind=kind,
        uscc=uscc,
    )
    return RegisteredOrg(org, main_user, generated)


def _managed_org(db: Db, actor: Actor) -> Organisation:
    authorize(actor, Permission.ORG_MANAGE)
    if actor.org_id is None:
        raise NoOrganisation()
    org = db.get(Organisation, actor.org_id)
    if org is None:
        raise NoOrganisation()
    return org


def get_organisation(db: Db, actor: Actor) -> Organisation:
    authorize(actor, Permission.ORG_VIEW)
    if actor.org_id is None:
        raise NoOrganisation()
    org = db.get(Organisation, actor.org_id)
    if org is None:
        raise NoOrganisation()
    return org


def list_domains(db: Db, actor: Actor) -> list[Domain]:
    org = get_organisation(db, actor)
    return list(
        db.scalars(
            select(Domain).where(Domain.org_id == org.id).order_by(Domain.kind.desc(), Domain.name)
        )
    )


def _branch(db: Db, org: Organisation, branch_id: uuid.UUID) -> Domain:
    domain = db.get(Domain, branch_id)
    if domain is None or domain.org_id != org.id or domain.kind != DomainKind.BRANCH:
        raise NotFound(details={"branch_id": str(branch_id)})
    return domain


def _clean_branch_name(name: str) -> str:
    name = " ".join(name.split())
    check_characters(name, "name")
    if not (1 <= len(name) <= 50) or name == MAIN_DOMAIN_NAME:
        raise BranchNameInvalid(details={"field": "name"})
    return name


def add_branch(db: Db, ctx: Context, actor: Actor, *, name: str) -> Domain:
    org = _managed_org(db, actor)
    name = _clean_branch_name(name)
    if db.scalar(select(Domain.id).where(Domain.org_id == org.id, Domain.name == name)):
        raise BranchNameTaken(details={"field": "name"})
    branch = Domain(kind=DomainKind.BRANCH, org_id=org.id, name=name)
    db.add(branch)
    db.flush()
    audit.record(
        db,
        "org.branch_added",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"domain:{branch.id}",
        name=name,
    )
    return branch


def edit_branch(
    db: Db,
    ctx: Context,
    actor: Actor,
    branch_id: uuid.UUID,
    *,
    name: str | None = None,
    disabled: bool | None = None,
) -> Domain:
    org = _managed_org(db, actor)
    branch = _branch(db, org, branch_id)
    if name is not None:
        name = _clean_branch_name(name)
        clash = db.scalar(
            select(Domain.id).where(
                Domain.org_id == org.id, Domain.name == name, Domain.id != branch.id
            )
        )
        if clash:
            raise BranchNameTaken(details={"field": "name"})
        branch.name = name
    if disabled is not None:
        branch.disabled = disabled
    db.flush()
    audit.record(
        db,
        "org.branch_changed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"domain:{branch.id}",
        name=branch.name,
        disabled=branch.disabled,
    )
    return branch


def _resolve_domain(db: Db, org: Organisation, branch: str | None) -> Domain:
    """A branch by id or name; none means the main institution."""
    if not branch:
        return main_domain(db, org.id)
    try:
        return _branch(db, org, uuid.UUID(branch))
    except ValueError:
        pass
    domain = db.scalar(select(Domain).where(Domain.org_id == org.id, Domain.name == branch))
    if domain is None:
        raise NotFound(
            "分支机构不存在：{b}", "No such branch: {b}", b=branch, details={"field": "branch"}
        )
    return domain


def add_sub_account(
    db: Db, ctx: Context, actor: Actor, *, phone: str, name: str, branch: str | None = None
) -> tuple[SubAccount, Domain]:
    """子账户管理: one registered natural person per sub-account, unlimited in number (A3)."""
    org = _managed_org(db, actor)
    user = membership.find_person(db, ctx, actor, phone, name)
    domain = _resolve_domain(db, org, branch)
    sub = db.scalar(
        select(SubAccount).where(SubAccount.org_id == org.id, SubAccount.user_id == user.id)
    )
    if sub is not None and sub.left_at is None:
        raise AlreadyMember(what="子账户", what_en="sub-account")
    if sub is None:
        sub = SubAccount(
            org_id=org.id, user_id=user.id, domain_id=domain.id, display_name=user.name
        )
        db.add(sub)
    else:  # they left: added again, and told again
        sub.left_at, sub.disabled, sub.domain_id = None, False, domain.id
    db.flush()
    membership.tell_added(db, ctx, user, org, f"子账户（{domain.name}）")
    audit.record(
        db,
        "org.subaccount_added",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"subaccount:{sub.id}",
        user=str(user.id),
        domain=str(domain.id),
    )
    return sub, domain


def get_sub_account(db: Db, actor: Actor, sub_id: uuid.UUID) -> SubAccount:
    org = _managed_org(db, actor)
    sub = db.get(SubAccount, sub_id)
    if sub is None or sub.org_id != org.id:
        raise NotFound(details={"subaccount_id": str(sub_id)})
    return sub


def edit_sub_account(
    db: Db,
    ctx: Context,
    actor: Actor,
    sub_id: uuid.UUID,
    *,
    branch: str | None = None,
    move_to_main: bool = False,
    disabled: bool | None = None,
    display_name: str | None = None,
) -> SubAccount:
    """Edits, disables or moves a sub-account; a move moves its access with it (A9)."""
    org = _managed_org(db, actor)
    sub = get_sub_account(db, actor, sub_id)
    if branch is not None or move_to_main:
        sub.domain_id = _resolve_domain(db, org, None if move_to_main else branch).id
    if disabled is not None:
        if not disabled and sub.left_at is not None:
            raise MemberLeft()
        sub.disabled = disabled
    if display_name is not None:
        sub.display_name = clean_name(display_name, "display_name")
    db.flush()
    audit.record(
        db,
        "org.subaccount_changed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"subaccount:{sub.id}",
        domain=str(sub.domain_id),
        disabled=sub.disabled,
    )
    return sub


def list_sub_accounts(db: Db, actor: Actor) -> list[tuple[SubAccount, User, Domain]]:
    org = _managed_org(db, actor)
    rows = db.execute(
        select(SubAccount, User, Domain)
        .join(User, User.id == SubAccount.user_id)
        .join(Domain, Domain.id == SubAccount.domain_id)
        .where(SubAccount.org_id == org.id)
        .order_by(SubAccount.created_at)
    )
    return [(s, u, d) for s, u, d in rows]


def add_handler(db: Db, ctx: Context, actor: Actor, *, phone: str, name: str) -> Handler:
    org = _managed_org(db, actor)
    user = membership.find_person(db, ctx, actor, phone, name)
    handler = db.scalar(select(Handler).where(Handler.org_id == org.id, Handler.user_id == user.id))
    if handler is not None and handler.left_at is None:
        raise AlreadyMember(what="经办人", what_en="handler")
    if handler is None:
        handler = Handler(org_id=org.id, user_id=user.id)
        db.add(handler)
    else:  # they left: added again, and told again
        handler.left_at, handler.disabled = None, False
    db.flush()
    membership.tell_added(db, ctx, user, org, "经办人")
    audit.record(
        db,
        "org.handler_added",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"handler:{handler.id}",
        user=str(user.id),
    )
    return handler


def list_handlers(db: Db, actor: Actor) -> list[tuple[Handler, User]]:
    org = get_organisation(db, actor)
    rows = db.execute(
        select(Handler, User)
        .join(User, User.id == Handler.user_id)
        .where(Handler.org_id == org.id)
        .order_by(Handler.created_at)
    )
    return [(h, u) for h, u in rows]
