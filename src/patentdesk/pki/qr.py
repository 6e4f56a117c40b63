"""QR requests shared by login and signing: payloads the server signs, short codes, the
client's secret, and the single-use state machine.

A payload carries 128 bits of randomness (the nonce) and names the server, the request
and its expiry; it is a JWS signed by the office key, so the phone refuses codes the
server did not make. Only the client that created the request holds the secret that
collects the result, so a QR code relayed to someone else gives them nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm.attributes import set_committed_value

from patentdesk.db import rowcount
from patentdesk.errors import Conflict, NotFound, PatentDeskError
from patentdesk.identity.service import Context
from patentdesk.pki.models import QrRequest
from patentdesk.pki.payload import sign_payload
from patentdesk.pki.service import office_signer
from patentdesk.timeutil import now

SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud safely


class QrExpired(PatentDeskError):
    code = "QR_EXPIRED"
    status = 410
    message_zh = "二维码已过期，请刷新后重新扫码"
    message_en = "The QR code has expired; refresh it and scan again"


class QrAlreadyUsed(Conflict):
    code = "QR_ALREADY_USED"
    message_zh = "二维码已被使用，不能重复确认"
    message_en = "This QR code has already been used"


class QrDenied(PatentDeskError):
    code = "QR_DENIED"
    status = 403
    message_zh = "已在手机上拒绝"
    message_en = "Refused on the phone"


class QrSecretInvalid(PatentDeskError):
    code = "QR_SECRET_INVALID"
    status = 403
    message_zh = "只有发起该二维码的客户端才能取得结果"
    message_en = "Only the client that created this QR code can collect its result"


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(10))


def create(db: Db, ctx: Context, kind: str, **fields: Any) -> tuple[QrRequest, str, str]:
    """A pending request; returns it, the signed payload and the client's secret."""
    secret = secrets.token_urlsafe(32)
    request = QrRequest(
        kind=kind,
        nonce=secrets.token_urlsafe(16),  # 128 bits
        short_code=new_short_code(),
        secret_hash=_secret_hash(secret),
        expires_at=now() + dt.timedelta(seconds=ctx.settings.qr_ttl_seconds),
        client_ip=ctx.ip,
        **fields,
    )
    db.add(request)
    db.flush()
    return request, payload_for(ctx, request), secret


def payload_for(ctx: Context, request: QrRequest) -> str:
    claims: dict[str, Any] = {
        "v": 1,
        "t": request.kind,
        "srv": ctx.settings.base_url.rstrip("/"),
        "env": ctx.settings.environment,
        "id": str(request.id),
        "n": request.nonce,
        "exp": int(request.expires_at.timestamp()),
    }
    if request.kind == "sign" and request.digest:
        # The digest under the office's signature: the phone checks that what the server
        # shows it is what the desktop asked to sign.
        claims["dg"] = request.digest
    return sign_payload(claims, office_signer(ctx.settings).private_key, kid="office")


def get(db: Db, request_id: uuid.UUID | str, kind: str) -> QrRequest:
    try:
        rid = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
    except ValueError as exc:
        raise NotFound() from exc
    request = db.get(QrRequest, rid)
    if request is None or request.kind != kind:
        raise NotFound()
    return request


def by_short_code(db: Db, code: str) -> QrRequest:
    from sqlalchemy import select

    request = db.scalar(select(QrRequest).where(QrRequest.short_code == code.strip().upper()))
    if request is None:
        raise NotFound()
    return request


def ensure_pending(request: QrRequest) -> None:
    if request.expires_at <= now():
        raise QrExpired()
    if request.status != "pending":
        raise QrAlreadyUsed()


def check_nonce(request: QrRequest, nonce: object) -> None:
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, request.nonce):
        raise QrAlreadyUsed("二维码内容不匹配", "The QR code does not match this request")


def decide(db: Db, request: QrRequest, status: str, **fields: Any) -> None:
    """Moves pending → approved/denied exactly once: of two racing approvals one wins, the
    other gets 409 (the conditional UPDATE is the arbiter, on SQLite and PostgreSQL)."""
    ensure_pending(request)
    values = {"status": status, "decided_at": now(), **fields}
    result = db.execute(
        update(QrRequest)
        .where(QrRequest.id == request.id, QrRequest.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise QrAlreadyUsed()
    for name, value in values.items():  # what the UPDATE wrote, without reading it back
        set_committed_value(request, name, value)


def check_secret(request: QrRequest, secret: str) -> None:
    if not hmac.compare_digest(request.secret_hash, _secret_hash(secret or "")):
        raise QrSecretInvalid()


def consume(db: Db, request: QrRequest) -> None:
    """The result is handed out once."""
    result = db.execute(
        update(QrRequest)
        .where(QrRequest.id == request.id, QrRequest.consumed_at.is_(None))
        .values(consumed_at=now(), status="consumed")
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise QrAlreadyUsed()


def requester_view(request: QrRequest) -> dict[str, Any]:
    """What the phone shows before the user approves: who asks, from where, when."""
    from patentdesk.timeutil import iso

    return {
        "request": str(request.id),
        "kind": request.kind,
        "client_kind": request.client_kind,
        "device_name": request.device_name,
        "ip": request.client_ip,
        "requested_role": request.requested_role,
        "created_at": iso(request.created_at),
        "expires_at": iso(request.expires_at),
        "status": request.status,
        "title": request.title,
        "business_type": request.business_type,
        "digest": request.digest,
        "package_id": (request.summary or {}).get("package_id"),
        "file_count": (request.summary or {}).get("file_count"),
        "applicants": (request.summary or {}).get("applicants") or [],
    }


def purge_expired(db: Db, cutoff: dt.datetime) -> int:
    """Deletes codes that expired before ``cutoff``. A replayed payload of a deleted code is
    refused as unknown, just as it was refused as expired before."""
    return rowcount(db.execute(delete(QrRequest).where(QrRequest.expires_at < cutoff)))
