"""QR login (扫码登录) for the web portal and the desktop client (seed A3, A7, A12).

1. The client asks for a challenge and shows its payload as a QR code; it keeps a secret.
2. The phone (logged in with its own app session) scans, shows who asks, and approves by
   signing {request, nonce, decision} with its device key.
3. The client polls with its secret and receives its own new session, once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor
from patentdesk.errors import Conflict, PermissionDenied
from patentdesk.identity.errors import RoleRefusedForLogin, RoleUnavailable
from patentdesk.identity.models import Session, User
from patentdesk.identity.service import (
    Context,
    check_password_for_binding,
    ensure_can_log_in,
    start_session,
)
from patentdesk.pki import qr
from patentdesk.pki.keys import load_public_key
from patentdesk.pki.models import QrRequest
from patentdesk.pki.payload import verify_payload
from patentdesk.pki.service import device_of_session, user_devices
from patentdesk.timeutil import now

DEVICE_TOUCH_INTERVAL = dt.timedelta(seconds=60)


def create_login_request(
    db: Db, ctx: Context, *, client_kind: str, device_name: str | None, role: str | None
) -> tuple[QrRequest, str, str]:
    return qr.create(
        db,
        ctx,
        "login",
        client_kind=client_kind,
        device_name=(device_name or ctx.user_agent or "")[:200] or None,
        requested_role=role,
    )


class NoBoundPhone(Conflict):
    code = "NO_BOUND_PHONE"
    message_zh = "该账户还没有已绑定的手机：请用发送到注册手机号的短信验证码绑定"
    message_en = "This account has no bound phone yet: bind with the SMS code sent to its number"


class NotYourPhone(PermissionDenied):
    code = "BINDING_FOR_ANOTHER_ACCOUNT"
    message_zh = "这是另一个账户绑定手机的请求，本手机不能确认"
    message_en = "This request binds a phone to another account; this phone cannot approve it"


def start_binding_by_device(
    db: Db, ctx: Context, *, account: str, password: str, device_name: str | None
) -> tuple[QrRequest, str, str]:
    """Binding a new phone with the approval of one already bound (instead of the SMS
    code): after the password, a login code of client kind ``app`` that only this account's
    bound phones may approve; the new phone collects its app session with the secret."""
    user = check_password_for_binding(db, ctx, account=account, password=password)
    if not any(d.revoked_at is None for d in user_devices(db, user.id)):
        raise NoBoundPhone()
    return qr.create(
        db,
        ctx,
        "login",
        client_kind="app",
        device_name=(device_name or ctx.user_agent or "")[:200] or None,
        requested_role="natural",
        user_id=user.id,
    )


def verify_device_approval(
    db: Db, actor: Actor, request: QrRequest, approval: str
) -> tuple[uuid.UUID, dict[str, Any]]:
    """The phone's device key signed {id, n, d(ecision)}: proves the bound phone scanned."""
    device = device_of_session(db, actor)
    claims = verify_payload(approval, load_public_key(device.public_key_pem))
    if claims.get("id") != str(request.id):
        raise qr.QrAlreadyUsed("确认内容与二维码不符", "The approval is for another QR code")
    qr.check_nonce(request, claims.get("n"))
    if device.last_used_at is None or now() - device.last_used_at > DEVICE_TOUCH_INTERVAL:
        device.last_used_at = now()  # a minute's precision is what the device list shows
    return device.id, claims


def decide_login(db: Db, ctx: Context, actor: Actor, request_id: str, approval: str) -> QrRequest:
    request = qr.get(db, request_id, "login")
    qr.ensure_pending(request)
    if request.client_kind == "app" and request.user_id != actor.user_id:
        # A phone is bound to its own account only: a stranger's approval would hand the
        # account's signing to whoever showed the code.
        raise NotYourPhone()
    device_id, claims = verify_device_approval(db, actor, request, approval)
    decision = claims.get("d")
    if decision == "approve":
        user = db.get(User, actor.user_id)
        assert user is not None
        ensure_can_log_in(user, ctx.settings)
        if request.requested_role:  # fail now, on the phone, rather than on the desktop
            from patentdesk.orgs.service import resolve_role

            try:
                resolve_role(db, user, request.requested_role)
            except RoleUnavailable as exc:
                # The asking client learns it at once too, instead of waiting for the code
                # to expire; the phone gets the error itself.
                qr.decide(db, request, "role_refused", user_id=actor.user_id, device_id=device_id)
                _record_decision(db, ctx, actor, request)
                raise RoleRefusedForLogin(role=request.requested_role, details=exc.details) from exc
        qr.decide(db, request, "approved", user_id=actor.user_id, device_id=device_id)
    elif decision == "deny":
        qr.decide(db, request, "denied", user_id=actor.user_id, device_id=device_id)
    else:
        raise qr.QrAlreadyUsed("确认内容无效", "The approval names no decision")
    _record_decision(db, ctx, actor, request)
    return request


def _record_decision(db: Db, ctx: Context, actor: Actor, request: QrRequest) -> None:
    audit.record(
        db,
        f"qr_login.{request.status}",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"qr:{request.id}",
        client=request.client_kind,
        client_ip=request.client_ip,
    )


def login_status(db: Db, request_id: str, secret: str) -> tuple[str, QrRequest]:
    """``pending`` or ``approved`` (ready to collect), read only; refusals raise."""
    request = qr.get(db, request_id, "login")
    qr.check_secret(request, secret)
    if request.status == "pending":
        if request.expires_at <= now():
            raise qr.QrExpired()
        return "pending", request
    if request.status == "denied":
        raise qr.QrDenied()
    if request.status == "role_refused":
        raise RoleUnavailable(role=request.requested_role or "-")
    if request.status != "approved":
        raise qr.QrAlreadyUsed()
    if request.expires_at <= now():
        # Approved but not collected in time: the code's life bounds the whole exchange, so
        # a secret that leaks later (logs, a stolen disk) gives no session.
        raise qr.QrExpired()
    return "approved", request


def poll_login(
    db: Db, ctx: Context, request_id: str, secret: str
) -> tuple[str, QrRequest, Session | None, str | None]:
    """(status, request, session, token): the session only for the creator, only once."""
    state, request = login_status(db, request_id, secret)
    if state == "pending":
        return "pending", request, None, None
    qr.consume(db, request)
    user = db.get(User, request.user_id)
    assert user is not None
    token, session = start_session(
        db,
        ctx,
        user,
        role_spec=request.requested_role,
        client_kind=request.client_kind,
        method="qr",
        device_name=request.device_name,
    )
    request.session_id = session.id
    return "approved", request, session, token
