"""Signing case packages: a scan on the phone, or no scan inside an open window (C6).

Every signature passes through here and leaves a :class:`SignatureRecord` naming the
signer's role and permission domain at signing time; submission checks the claim there.
The main account can never sign (A10); signing without a login is refused (C2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, UserIdLookupFailed, authorize
from patentdesk.db import unique_or
from patentdesk.errors import NotFound, PatentDeskError, ValidationFailed
from patentdesk.identity.models import Session, User
from patentdesk.identity.service import Context
from patentdesk.pki import qr
from patentdesk.pki.cms import (
    VerifiedSignature,
    parse_signature,
    verify_detached,
    verify_digest,
)
from patentdesk.pki.keys import load_public_key
from patentdesk.pki.models import Certificate, QrRequest, SignatureRecord, SignWindow
from patentdesk.pki.payload import canonical_json, verify_payload
from patentdesk.pki.profiles import Purpose
from patentdesk.pki.service import (
    DeviceRequired,
    ProofInvalid,
    ca_for,
    current_signing_certificate,
    device_of_session,
    is_revoked,
    open_windows,
    revoke_certificate,
    store_certificate,
)
from patentdesk.timeutil import iso, now

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class SignerMismatch(PatentDeskError):
    code = "SIGNER_MISMATCH"
    status = 403
    message_zh = "签名人必须是发起签名的登录用户本人"
    message_en = "The signer must be the logged-in user who asked for the signature"


class WindowTooLong(ValidationFailed):
    code = "SIGN_WINDOW_TOO_LONG"
    message_zh = "免扫码时长应为 1 至 {max} 分钟"
    message_en = "The no-scan window must last 1 to {max} minutes"


class WindowClosed(PatentDeskError):
    code = "SIGN_WINDOW_CLOSED"
    status = 403
    message_zh = "免扫码时段已结束，请重新扫码签名"
    message_en = "The no-scan window has ended; scan to sign again"


class ApprovalAlreadyUsed(PatentDeskError):
    code = "APPROVAL_ALREADY_USED"
    status = 409
    message_zh = "该确认已使用过：请在手机上重新开启免扫码"
    message_en = "This approval has been used already: open the window again on the phone"


def approval_digest(device_id: uuid.UUID, claims: dict[str, Any]) -> str:
    """What makes an approval the same approval: the phone and the statement it signed.
    Not the token's bytes — an ECDSA signature has a twin, (r, n−s), that verifies too."""
    return hashlib.sha256(device_id.bytes + canonical_json(claims)).hexdigest()


class NoClientKey(PatentDeskError):
    code = "NO_CLIENT_KEY"
    status = 409
    message_zh = "该客户端会话没有会话密钥，无法开启免扫码：请在客户端重新扫码登录"
    message_en = "This client session has no session key, so no window can open: log in again"


def _clean_digest(digest: str) -> str:
    value = digest.strip().lower()
    if not _HEX64.fullmatch(value):
        raise ValidationFailed(
            "摘要应为 64 位十六进制 SHA-256",
            "digest must be a hex SHA-256",
            details={"field": "digest"},
        )
    return value


def _summary(digest: str, manifest: bytes | None, applicants: list[str] | None) -> dict[str, Any]:
    """What the phone shows about the package besides its digest (see start_signing)."""
    import json

    summary: dict[str, Any] = {}
    if applicants:
        summary["applicants"] = [str(a).strip()[:200] for a in applicants if str(a).strip()][:50]
    if manifest is None:
        return summary
    if hashlib.sha256(manifest).hexdigest() != digest:
        raise ValidationFailed(
            "清单与摘要不符",
            "The manifest does not match the digest",
            details={"field": "manifest"},
        )
    try:
        data = json.loads(manifest)
        files = data["files"]
        summary["package_id"] = str(data["package_id"])[:36]
        summary["file_count"] = len(files) if isinstance(files, list) else None
        summary["business_type"] = str(data.get("business_type") or "")[:24] or None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed(
            "清单不是有效的案卷包清单",
            "The manifest is not a case package manifest",
            details={"field": "manifest"},
        ) from exc
    return summary


def _session_of(db: Db, actor: Actor) -> Session:
    assert actor.session_id is not None
    session = db.get(Session, actor.session_id)
    assert session is not None
    return session


@dataclass
class SigningStart:
    mode: str  # scan | window
    request: QrRequest
    payload: str | None = None
    secret: str | None = None
    delegated_certificate_pem: str | None = None
    window_expires_at: dt.datetime | None = None


def start_signing(
    db: Db,
    ctx: Context,
    actor: Actor | None,
    *,
    digest: str,
    title: str | None,
    business_type: str | None,
    manifest: bytes | None = None,
    applicants: list[str] | None = None,
) -> SigningStart:
    """Asks for a signature over a package digest; the main account is refused (A10).

    With the manifest itself (whose SHA-256 must be ``digest``) the phone also shows the
    package id and the number of files, read here rather than taken on the client's word.
    """
    actor = authorize(actor, Permission.CASE_SIGN)
    digest = _clean_digest(digest)
    summary = _summary(digest, manifest, applicants)
    business_type = business_type or summary.pop("business_type", None)
    summary.pop("business_type", None)
    current_signing_certificate(db, actor.user_id)  # a clear error before any scan
    session = _session_of(db, actor)
    windows = open_windows(db, session.id)
    fields: dict[str, Any] = dict(
        client_kind=session.client_kind,
        device_name=session.device_name,
        session_id=session.id,
        user_id=actor.user_id,
        digest=digest,
        title=(title or "")[:200] or None,
        business_type=(business_type or "")[:24] or None,
        requested_role=actor.role,
        summary=summary or None,
    )
    if windows:
        window = windows[0]
        cert = db.get(Certificate, window.certificate_serial)
        assert cert is not None
        request, _payload, secret = qr.create(db, ctx, "sign", **fields)
        request.status = "window"
        return SigningStart(
            "window",
            request,
            secret=secret,
            delegated_certificate_pem=cert.pem,
            window_expires_at=window.expires_at,
        )
    request, payload, secret = qr.create(db, ctx, "sign", **fields)
    return SigningStart("scan", request, payload=payload, secret=secret)


def _verify(
    db: Db, ctx: Context, signature: bytes, digest: str, purposes: set[Purpose]
) -> VerifiedSignature:
    return verify_digest(
        signature,
        bytes.fromhex(digest),
        ca_certificate=ca_for(ctx.settings).certificate,
        revoked_serials=lambda serial: is_revoked(db, serial),
        at=now(),
        purposes=purposes,
    )


def _record(
    db: Db, request: QrRequest, verified: VerifiedSignature, method: str
) -> SignatureRecord:
    session = db.get(Session, request.session_id)
    assert session is not None
    existing = db.scalar(
        select(SignatureRecord).where(
            SignatureRecord.digest == request.digest,
            SignatureRecord.certificate_serial == verified.serial,
        )
    )
    if existing is not None:
        return existing
    from patentdesk.orgs.service import actor_for_session

    # The domain the signer acts in now: a sub-account moved to a branch since it logged in
    # signs for the branch, not for the domain stored on its session (A9).
    user = db.get(User, session.user_id)
    actor = actor_for_session(db, user, session) if user is not None else None
    if actor is None:
        raise UserIdLookupFailed(
            "查询用户 ID 失败：登录身份已不再有效（账户已停用或被移除），请重新扫码登录",
            "User ID lookup failed: the login's role no longer holds (disabled or removed); "
            "log in again by scanning",
        )
    record = SignatureRecord(
        digest=request.digest,
        certificate_serial=verified.serial,
        user_id=session.user_id,
        role=session.role,
        domain_id=actor.domain_id,
        org_id=session.org_id,
        sub_account_id=session.sub_account_id,
        session_id=session.id,
        method=method,
    )
    db.add(record)
    db.flush()
    return record


def approve_on_phone(
    db: Db, ctx: Context, actor: Actor, request_id: str, *, approval: str, signature: bytes | None
) -> QrRequest:
    """The phone signed the digest with the user's signing key (or refused)."""
    from patentdesk.identity.qrlogin import verify_device_approval

    request = qr.get(db, request_id, "sign")
    qr.ensure_pending(request)
    device_id, claims = verify_device_approval(db, actor, request, approval)
    if actor.user_id != request.user_id:
        raise SignerMismatch()
    if claims.get("d") == "deny":
        qr.decide(db, request, "denied", device_id=device_id)
        return request
    if signature is None:
        raise ValidationFailed(
            "缺少签名", "The signature is missing", details={"field": "signature"}
        )
    assert request.digest is not None
    verified = _verify(db, ctx, signature, request.digest, {"signing"})
    if verified.user_id != str(actor.user_id):
        raise SignerMismatch()
    qr.decide(
        db,
        request,
        "approved",
        device_id=device_id,
        signature=signature,
        certificate_serial=verified.serial,
    )
    _record(db, request, verified, "scan")
    audit.record(
        db,
        "package.signed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=request.requested_role,
        ip=ctx.ip,
        target=f"digest:{request.digest}",
        method="scan",
        certificate=str(verified.serial),
    )
    return request


def collect(db: Db, request_id: str, secret: str) -> QrRequest:
    """The desktop collects the phone's signature (only the creator, only once)."""
    request = qr.get(db, request_id, "sign")
    qr.check_secret(request, secret)
    if request.status == "pending":
        if request.expires_at <= now():
            raise qr.QrExpired()
        return request
    if request.status == "denied":
        raise qr.QrDenied()
    if request.status != "approved":
        raise qr.QrAlreadyUsed()
    qr.consume(db, request)
    request.status = "approved"  # what the caller reports; the row says consumed
    return request


def complete_in_window(
    db: Db, ctx: Context, actor: Actor | None, request_id: str, secret: str, signature: bytes
) -> VerifiedSignature:
    """Inside an open window the client signed with its delegated session key."""
    actor = authorize(actor, Permission.CASE_SIGN)
    request = qr.get(db, request_id, "sign")
    qr.check_secret(request, secret)
    if request.status != "window" or request.session_id != actor.session_id:
        raise qr.QrAlreadyUsed()
    assert request.digest is not None
    verified = _verify(db, ctx, signature, request.digest, {"delegated"})
    assert request.session_id is not None  # a window request names its session
    if verified.session_id != str(actor.session_id) or not open_windows(db, request.session_id):
        raise WindowClosed()
    if request.expires_at <= now():  # the window is open, but this request is stale
        raise qr.QrExpired()
    request.status = "consumed"
    request.consumed_at = now()
    request.signature = signature
    request.certificate_serial = verified.serial
    _record(db, request, verified, "window")
    audit.record(
        db,
        "package.signed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"digest:{request.digest}",
        method="window",
        certificate=str(verified.serial),
    )
    return verified


# ---------------------------------------------------------------- no-scan windows


def open_window(
    db: Db,
    ctx: Context,
    actor: Actor,
    *,
    minutes: int,
    approval: str,
    session_id: uuid.UUID | None = None,
) -> SignWindow:
    """From the phone: a window of ``minutes`` for one of the user's client sessions; the
    CA certifies that session's key until the window ends."""
    limit = ctx.settings.sign_window_max_minutes
    if not (1 <= minutes <= limit):
        raise WindowTooLong(max=limit, details={"field": "minutes", "max": limit})
    device = device_of_session(db, actor)
    claims = verify_payload(approval, load_public_key(device.public_key_pem))
    if claims.get("t") != "sign-window" or claims.get("m") != minutes:
        raise ProofInvalid(why="approval does not match the request")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or abs(now().timestamp() - issued) > 300:
        raise ProofInvalid(why="stale approval")  # a captured approval cannot reopen a window
    # Single use: within its 5 minutes a captured approval must not reopen a window either
    # (one the user has just closed). The unique column settles concurrent replays.
    digest = approval_digest(device.id, claims)
    if db.scalar(select(SignWindow.id).where(SignWindow.approval_digest == digest)) is not None:
        raise ApprovalAlreadyUsed()
    target = _client_session(db, actor, session_id)
    if not target.client_public_key:
        raise NoClientKey()
    if claims.get("s") != str(target.id):
        raise ProofInvalid(why="approval names another session")
    base = current_signing_certificate(db, actor.user_id)
    expires = now() + dt.timedelta(minutes=minutes)
    cert = ca_for(ctx.settings).issue_delegated_certificate(
        load_public_key(target.client_public_key),
        str(actor.user_id),
        actor.name,
        delegated_from_serial=base.serial,
        not_after=expires,
        session_id=str(target.id),
    )
    for window in open_windows(db, target.id):
        _close(db, window)
    # 24 hours without scanning must not end after the login's 12: the session the window is
    # for lives at least as long as the window (the phone approved exactly that).
    if target.expires_at < expires:
        target.expires_at = expires
    row = store_certificate(
        db,
        cert,
        user_id=actor.user_id,
        purpose="delegated",
        session_id=target.id,
        delegated_from=base.serial,
    )
    window = SignWindow(
        user_id=actor.user_id,
        session_id=target.id,
        certificate_serial=row.serial,
        expires_at=expires,
        approval_digest=digest,
    )
    db.add(window)
    with unique_or(ApprovalAlreadyUsed()):
        db.flush()
    audit.record(
        db,
        "sign_window.opened",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"session:{target.id}",
        minutes=minutes,
    )
    return window


def _client_session(db: Db, actor: Actor, session_id: uuid.UUID | None) -> Session:
    """The named session, or the user's most recent desktop/web login with a session key."""
    stmt = select(Session).where(
        Session.user_id == actor.user_id,
        Session.revoked_at.is_(None),
        Session.expires_at > now(),
        Session.client_kind != "app",
    )
    if session_id is not None:
        stmt = stmt.where(Session.id == session_id)
    else:
        stmt = stmt.where(Session.client_public_key.isnot(None))
    session = db.scalar(stmt.order_by(Session.created_at.desc()).limit(1))
    if session is None:
        raise NotFound("没有可开启免扫码的客户端登录会话", "No client session to open a window for")
    return session


def _close(db: Db, window: SignWindow) -> None:
    window.closed_at = now()
    cert = db.get(Certificate, window.certificate_serial)
    if cert is not None:
        revoke_certificate(db, cert, "cessation_of_operation")


def close_windows(db: Db, ctx: Context, actor: Actor, window_id: uuid.UUID | None = None) -> int:
    """Closes every open window of the user at once, or the one named (from the phone).
    Another user's window, or one already closed, is not found (404)."""
    if actor.client_kind != "app":
        raise DeviceRequired()
    query = select(SignWindow).where(
        SignWindow.user_id == actor.user_id,
        SignWindow.closed_at.is_(None),
        SignWindow.expires_at > now(),
    )
    if window_id is not None:
        query = query.where(SignWindow.id == window_id)
    windows = list(db.scalars(query))
    if window_id is not None and not windows:
        raise NotFound()
    for window in windows:
        _close(db, window)
    audit.record(
        db,
        "sign_window.closed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"user:{actor.user_id}",
        count=len(windows),
    )
    return len(windows)


def register_client_key(
    db: Db, ctx: Context, actor: Actor, public_key_pem: str, proof: str
) -> None:
    """The desktop client's session key (used only inside a no-scan window)."""
    key = load_public_key(public_key_pem)
    claims = verify_payload(proof, key)
    if claims.get("t") != "client-key" or claims.get("s") != str(actor.session_id):
        raise ProofInvalid(why="the proof names another session")
    session = _session_of(db, actor)
    from patentdesk.pki.keys import public_key_pem as pem

    session.client_public_key = pem(key)


def window_status(db: Db, actor: Actor) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(SignWindow).where(
            SignWindow.user_id == actor.user_id,
            SignWindow.closed_at.is_(None),
            SignWindow.expires_at > now(),
        )
    )
    return [
        {"window_id": str(w.id), "session_id": str(w.session_id), "expires_at": iso(w.expires_at)}
        for w in rows
    ]


# ---------------------------------------------------------------- at submission


class SignerOutsideDomain(PatentDeskError):
    code = "SIGNER_OUTSIDE_DOMAIN"
    status = 403
    message_zh = "签名人签名时不属于本权限域，不能代表本机构提交"
    message_en = "The signer did not act in this permission domain when signing"


@dataclass
class SignerClaim:
    verified: VerifiedSignature
    record: SignatureRecord


def verify_package_signature(
    db: Db,
    ctx: Context,
    signature: bytes,
    manifest: bytes,
    *,
    domain_id: uuid.UUID | None = None,
) -> SignerClaim:
    """For submission: the signature over the manifest chains to this environment's CA
    (another environment's is refused with the re-register message, A5) and was made
    through this server's signing flow, whose record says in which role and domain the
    signer acted. With ``domain_id``, the signer must have acted in that domain.

    Time and revocation are judged at the moment the server accepted the signature (the
    record): a package signed inside a no-scan window stays signed after the window ends,
    and one signed before the phone renewed its certificate stays signed. A certificate
    revoked because its key is compromised (a lost phone) invalidates every signature.
    """
    ca_certificate = ca_for(ctx.settings).certificate
    parsed = parse_signature(signature)
    record = db.scalar(
        select(SignatureRecord).where(
            SignatureRecord.digest == hashlib.sha256(manifest).hexdigest(),
            SignatureRecord.certificate_serial == parsed.certificate.serial_number,
        )
    )
    if record is None:
        # The full check first: a trial certificate or altered bytes get their own words.
        verify_detached(
            parsed,
            manifest,
            ca_certificate=ca_certificate,
            revoked_serials=lambda serial: is_revoked(db, serial),
            at=now(),
            purposes={"signing", "delegated"},
        )
        raise SignerMismatch(
            "签名不是通过本系统的签名流程产生的，请重新签名",
            "The signature was not made through this system's signing flow; sign again",
        )
    signed_at = record.signed_at
    verified = verify_detached(
        parsed,
        manifest,
        ca_certificate=ca_certificate,
        revoked_serials=lambda serial: revoked_for(db, serial, signed_at),
        at=signed_at,
        purposes={"signing", "delegated"},
    )
    if domain_id is not None and record.domain_id != domain_id:
        raise SignerOutsideDomain(details={"signer_domain": str(record.domain_id)})
    return SignerClaim(verified, record)


# Revocations that end a certificate's use without casting doubt on what it signed before.
_ORDERLY = {"superseded", "cessation_of_operation"}


def revoked_for(db: Db, serial: int, signed_at: dt.datetime) -> bool:
    """Whether a revocation counts against a signature the server accepted at ``signed_at``."""
    row = db.get(Certificate, serial)
    if row is None or row.revoked_at is None:
        return False
    return row.revocation_reason not in _ORDERLY or row.revoked_at <= signed_at
