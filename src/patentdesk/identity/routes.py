"""Identity API: registration, 补录, password login (+SMS), recovery, sessions, roles."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from patentdesk.authz import Actor
from patentdesk.deps import Ctx, CurrentActor, DbSession
from patentdesk.identity import service
from patentdesk.identity.models import Session, User
from patentdesk.identity.schemas import (
    ChallengeVerifyIn,
    CompleteProfileIn,
    PasswordChangeIn,
    PasswordLoginIn,
    PasswordResetIn,
    RegisterIn,
    RegisterOut,
    RoleIn,
    SessionOut,
    SmsCodeIn,
    SmsCodeSent,
)
from patentdesk.orgs.service import available_roles
from patentdesk.timeutil import iso

router = APIRouter(prefix="/api/v1", tags=["identity"])


def session_out(db: DbSession, ctx: Ctx, session: Session, token: str | None = None) -> SessionOut:
    user = db.get(User, session.user_id)
    assert user is not None
    from patentdesk.orgs.service import actor_for_session

    actor = actor_for_session(db, user, session)
    assert actor is not None
    return actor_out(actor, ctx, token=token, expires_at=iso(session.expires_at))


def actor_out(
    actor: Actor, ctx: Ctx, token: str | None = None, expires_at: str | None = None
) -> SessionOut:
    assert actor.session_id is not None
    return SessionOut(
        token=token,
        session_id=actor.session_id,
        user_id=actor.user_id,
        name=actor.name,
        role=actor.role,
        domain=actor.domain_id,
        domain_name=actor.domain_name,
        org_id=actor.org_id,
        org_kind=actor.org_kind,
        org_name=actor.org_name,
        account_id=actor.sub_account_id,
        environment=ctx.settings.environment,
        expires_at=expires_at,
    )


@router.post(
    "/identity/register",
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": SmsCodeSent, "description": "checked; a code was sent"}},
)
def register(
    body: RegisterIn, db: DbSession, ctx: Ctx, response: Response
) -> RegisterOut | SmsCodeSent:
    """自然人注册 with a mainland mobile number, real name and resident ID number, the number
    proved by an SMS code: without ``sms_code`` everything is checked and a code is sent
    (202); the same body with the code creates the account (201)."""
    fields = {
        "phone": body.phone,
        "name": body.name,
        "id_number": body.id_number,
        "password": body.password,
    }
    if body.sms_code is None:
        sms = service.request_registration_code(db, ctx, **fields)
        response.status_code = status.HTTP_202_ACCEPTED
        return SmsCodeSent(
            phone=service.mask_phone(sms.phone),
            expires_at=iso(sms.expires_at) or "",
            ttl_seconds=ctx.settings.sms_code_ttl_seconds,
        )
    user = service.register_with_sms_code(db, ctx, **fields, sms_code=body.sms_code)
    if body.client_kind != "app":
        return RegisterOut(user_id=user.id)
    token, session = service.start_session(
        db,
        ctx,
        user,
        role_spec="natural",
        client_kind="app",
        method="password+sms",
        device_name=body.device_name,
    )
    return RegisterOut(user_id=user.id, session=session_out(db, ctx, session, token))


@router.post("/identity/sms-codes", status_code=status.HTTP_202_ACCEPTED)
def send_code(body: SmsCodeIn, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """Sends a code for password recovery or profile completion. The answer is the same
    whether or not the phone is registered."""
    service.send_sms_code(db, ctx, body.phone, body.purpose)
    return {"sent": True, "ttl_seconds": ctx.settings.sms_code_ttl_seconds}


@router.post("/identity/password-reset")
def reset_password(body: PasswordResetIn, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """找回密码 (seed A1, A4): web and app alike."""
    user = service.reset_password(
        db, ctx, phone=body.phone, code=body.code, new_password=body.new_password
    )
    return {"user_id": str(user.id), "reset": True}


@router.post("/identity/complete-profile")
def complete_profile(body: CompleteProfileIn, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """补录 (seed A1)."""
    user = service.complete_profile(
        db,
        ctx,
        account=body.account,
        password=body.password,
        name=body.name,
        id_number=body.id_number,
        phone=body.phone,
        sms_code=body.sms_code,
    )
    return {"user_id": str(user.id), "complete": not service.profile_missing(user)}


@router.post("/auth/password-login")
def password_login(body: PasswordLoginIn, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """Office users and main accounts: a session. Natural persons on the web: an SMS
    challenge, answered at ``/auth/password-login/verify``."""
    result = service.password_login(
        db,
        ctx,
        account=body.account,
        password=body.password,
        client_kind=body.client_kind,
        role=body.role,
        device_name=body.device_name,
        sms_code=body.sms_code,
    )
    if result.challenge is not None:
        return {
            "second_factor": "sms",
            "challenge_id": str(result.challenge.id),
            "phone": result.masked_phone,
            "expires_at": iso(result.challenge.expires_at),
        }
    assert result.session is not None
    return session_out(db, ctx, result.session, result.token).model_dump(mode="json")


@router.post("/auth/password-login/verify")
def verify_challenge(body: ChallengeVerifyIn, db: DbSession, ctx: Ctx) -> SessionOut:
    token, session = service.verify_login_challenge(
        db, ctx, challenge_id=body.challenge_id, code=body.code, role=body.role
    )
    return session_out(db, ctx, session, token)


@router.post("/auth/logout")
def logout(actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    assert actor.session_id is not None
    service.end_session(db, ctx, actor, actor.session_id)
    return {"ended": str(actor.session_id)}


@router.get("/me")
def me(actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    user = db.get(User, actor.user_id)
    assert user is not None
    out = actor_out(actor, ctx).model_dump(mode="json")
    out["phone"] = user.phone
    out["kind"] = user.kind
    out["roles"] = [
        {"role": r.role, "spec": r.spec, "label": r.label} for r in available_roles(db, user)
    ]
    return out


@router.post("/me/password")
def change_password(
    body: PasswordChangeIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """修改密码: the current password, then the new one; other sessions end by default."""
    ended = service.change_password(
        db,
        ctx,
        actor,
        current_password=body.current_password,
        new_password=body.new_password,
        end_other_sessions=body.end_other_sessions,
    )
    return {"changed": True, "ended_sessions": ended}


@router.post("/me/role")
def switch_role(body: RoleIn, actor: CurrentActor, db: DbSession, ctx: Ctx) -> SessionOut:
    """Acts in another of the user's roles in this session (C8)."""
    session = service.change_role(db, ctx, actor, body.role)
    return session_out(db, ctx, session)


@router.get("/me/sessions")
def my_sessions(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    """Every open login of this user: client, address, time (A7)."""
    return [
        {
            "id": str(s.id),
            "client_kind": s.client_kind,
            "device_name": s.device_name,
            "ip": s.ip,
            "role": s.role,
            "login_method": s.login_method,
            "created_at": iso(s.created_at),
            "last_seen_at": iso(s.last_seen_at),
            "current": s.id == actor.session_id,
            "has_session_key": s.client_public_key is not None,
        }
        for s in service.list_sessions(db, actor)
    ]


@router.delete("/me/sessions/{session_id}")
def end_session(
    session_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    service.end_session(db, ctx, actor, session_id)
    return {"ended": str(session_id)}


@router.get("/me/messages")
def my_messages(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    return [
        {"id": str(m.id), "kind": m.kind, "text": m.text, "created_at": iso(m.created_at)}
        for m in service.messages(db, actor)
    ]
