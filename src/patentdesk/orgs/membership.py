"""People in organisations, seen from the person's side: how a handler finds the person to
add without learning who is registered, how the person is told, and how they leave.

Adding someone (经办人 or 子账户) needs their phone and real name. Both failures — no such
phone, or another name — get one answer (:class:`PersonNotMatched`), and only a few per
handler and per address in an hour, so the form cannot confirm phone↔name pairs. The
person added is told by SMS and in their messages, and may leave the organisation
(:func:`leave_organisation`); the organisation can add them again (which tells them
again) but cannot switch a membership they ended back on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize
from patentdesk.errors import NotFound
from patentdesk.identity import throttle
from patentdesk.identity.models import User, UserKind, UserMessage
from patentdesk.identity.sms import gateway_for
from patentdesk.identity.values import Context, clean_name, clean_phone
from patentdesk.orgs.errors import PersonNotMatched
from patentdesk.orgs.models import Domain, DomainKind, Handler, Organisation, SubAccount
from patentdesk.timeutil import now


def find_person(db: Db, ctx: Context, actor: Actor, phone: str, name: str) -> User:
    """The registered natural person with this phone and this real name."""
    phone = clean_phone(phone)
    name = clean_name(name)
    keys = throttle.lookup_keys(ctx.ip, actor.user_id)
    throttle.refuse_if_probing(db, ctx.settings, ctx.ip, keys, "person")
    user = db.scalar(select(User).where(User.phone == phone, User.kind == UserKind.NATURAL))
    if user is None or user.name != name:
        throttle.record(db, keys)
        audit.record(
            db,
            "org.person_not_matched",
            environment=ctx.settings.environment,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            ip=ctx.ip,
            target=f"org:{actor.org_id}",
        )
        raise PersonNotMatched(details={"fields": ["phone", "name"]})
    return user


def tell_added(db: Db, ctx: Context, user: User, org: Organisation, what: str) -> None:
    """Tells the person by SMS and in their messages; ``what`` is 经办人 or 子账户（分支）."""
    text = (
        f"您已被「{org.name}」添加为{what}。如非本人同意，请登录 PatentDesk，"
        "在“我的账户 → 我所在的机构”中退出该机构。"
    )
    db.add(UserMessage(user_id=user.id, kind="membership", text=text))
    if user.phone:
        gateway_for(ctx.settings).send(user.phone, "【PatentDesk】" + text)


# ---------------------------------------------------------------- the person's side


@dataclass
class Membership:
    org_id: uuid.UUID
    org_name: str
    roles: list[str] = field(default_factory=list)  # handler, sub
    domain_name: str | None = None  # the sub-account's domain
    domain_is_main: bool = False  # 主机构 (named in the reader's language on pages)


def my_memberships(db: Db, actor: Actor) -> list[Membership]:
    """The organisations the person is in (left ones not), whatever role they act in now."""
    authorize(actor, Permission.ACCOUNT_VIEW)
    found: dict[uuid.UUID, Membership] = {}
    for _handler, org in db.execute(
        select(Handler, Organisation)
        .join(Organisation, Organisation.id == Handler.org_id)
        .where(Handler.user_id == actor.user_id, Handler.left_at.is_(None))
        .order_by(Handler.created_at)
    ):
        found.setdefault(org.id, Membership(org.id, org.name)).roles.append("handler")
    for _sub, org, domain in db.execute(
        select(SubAccount, Organisation, Domain)
        .join(Organisation, Organisation.id == SubAccount.org_id)
        .join(Domain, Domain.id == SubAccount.domain_id)
        .where(SubAccount.user_id == actor.user_id, SubAccount.left_at.is_(None))
        .order_by(SubAccount.created_at)
    ):
        membership = found.setdefault(org.id, Membership(org.id, org.name))
        membership.roles.append("sub")
        membership.domain_name = domain.name
        membership.domain_is_main = domain.kind == DomainKind.MAIN
    return list(found.values())


def leave_organisation(db: Db, ctx: Context, actor: Actor, org_id: uuid.UUID) -> list[str]:
    """退出机构: ends the person's handler and sub-account memberships in the organisation;
    their sessions in those roles stop working at once. Returns the roles left."""
    authorize(actor, Permission.ACCOUNT_VIEW)
    when = now()
    left: list[str] = []
    rows: list[tuple[str, Handler | SubAccount]] = [
        ("handler", h)
        for h in db.scalars(
            select(Handler).where(
                Handler.org_id == org_id,
                Handler.user_id == actor.user_id,
                Handler.left_at.is_(None),
            )
        )
    ] + [
        ("sub", s)
        for s in db.scalars(
            select(SubAccount).where(
                SubAccount.org_id == org_id,
                SubAccount.user_id == actor.user_id,
                SubAccount.left_at.is_(None),
            )
        )
    ]
    if not rows:
        raise NotFound(details={"org_id": str(org_id)})
    for role, row in rows:
        row.left_at = when
        row.disabled = True
        left.append(role)
    db.flush()
    audit.record(
        db,
        "org.member_left",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"org:{org_id}",
        roles=left,
    )
    return left
