"""PKI and QR API: CA certificate and CRL, phones and certificates, QR login, signing
requests and no-scan windows."""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from patentdesk import apischema
from patentdesk.deps import Ctx, CurrentActor, DbSession, OptionalActor, relaxed_commit
from patentdesk.errors import NotFound, ValidationFailed
from patentdesk.identity import qrlogin
from patentdesk.identity.service import Context
from patentdesk.pki import qr, service, signing
from patentdesk.pki.keys import format_serial
from patentdesk.pki.models import Certificate, Device
from patentdesk.timeutil import iso

router = APIRouter(prefix="/api/v1", tags=["pki"])

# Our certificates' serials fit a signed 64-bit integer (pki.keys.new_serial), as the
# database stores them: a larger number would overflow the column's type in the query.
MAX_SERIAL = 2**63 - 1
T = TypeVar("T")
MAX_WAIT = 25.0


def _b64(data: str, field: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            "{f} 应为 base64", "{f} must be base64", f=field, details={"field": field}
        ) from exc


def _cert_out(row: Certificate) -> dict[str, Any]:
    return {
        "serial": str(row.serial),
        "serial_hex": format_serial(row.serial),
        "purpose": row.purpose,
        "not_before": iso(row.not_before),
        "not_after": iso(row.not_after),
        "revoked_at": iso(row.revoked_at),
        "device_id": str(row.device_id) if row.device_id else None,
    }


# ---------------------------------------------------------------- public PKI


@router.get("/pki/ca.pem", response_class=Response)
def ca_certificate(request: Request) -> Response:
    """This environment's CA certificate: what verifies receipts and signatures offline."""
    pem = service.ca_for(request.app.state.settings).certificate_pem
    return Response(pem, media_type="application/x-pem-file")


@router.get("/pki/office.pem", response_class=Response)
def office_certificate(request: Request) -> Response:
    from patentdesk.pki.keys import certificate_pem

    cert = service.office_signer(request.app.state.settings).certificate
    return Response(certificate_pem(cert), media_type="application/x-pem-file")


@router.get("/pki/crl", response_class=Response)
def revocation_list(db: DbSession, request: Request, format: str = "der") -> Response:
    encoding = "pem" if format == "pem" else "der"
    data = service.crl(db, request.app.state.settings, encoding=encoding)
    return Response(data, media_type="application/pkix-crl")


# ---------------------------------------------------------------- devices, certificates


class DeviceIn(BaseModel):
    name: str = Field(max_length=100)
    device_public_key: str = Field(max_length=2000)
    signing_public_key: str = Field(max_length=2000)
    device_proof: str = Field(max_length=4000)
    signing_proof: str = Field(max_length=4000)


@router.post("/devices", status_code=status.HTTP_201_CREATED)
def register_device(body: DeviceIn, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    device, cert = service.register_device(
        db,
        ctx,
        actor,
        name=body.name,
        device_public_key=body.device_public_key,
        signing_public_key=body.signing_public_key,
        device_proof=body.device_proof,
        signing_proof=body.signing_proof,
    )
    return {
        "device_id": str(device.id),
        "certificate_serial": str(cert.serial),
        "certificate_pem": cert.pem,
        "ca_pem": service.ca_for(ctx.settings).certificate_pem,
    }


def _device_out(d: Device) -> dict[str, Any]:
    return {
        "device_id": str(d.id),
        "name": d.name,
        "created_at": iso(d.created_at),
        "last_used_at": iso(d.last_used_at),
        "revoked_at": iso(d.revoked_at),
    }


@router.get("/me/devices")
def my_devices(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    from sqlalchemy import select

    rows = db.scalars(
        select(Device).where(Device.user_id == actor.user_id).order_by(Device.created_at)
    )
    return [_device_out(d) for d in rows]


@router.post("/me/devices/{device_id}/lost")
def report_lost(
    device_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """挂失: the phone's certificates are revoked at once."""
    return _device_out(service.report_lost(db, ctx, actor, device_id))


class RenewIn(BaseModel):
    signing_public_key: str = Field(max_length=2000)
    signing_proof: str = Field(max_length=4000)


@router.post("/me/devices/{device_id}/renew")
def renew(
    device_id: uuid.UUID, body: RenewIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    row = service.renew_certificate(
        db,
        ctx,
        actor,
        device_id=device_id,
        signing_public_key=body.signing_public_key,
        signing_proof=body.signing_proof,
    )
    return {**_cert_out(row), "certificate_pem": row.pem}


@router.get("/me/certificates")
def my_certificates(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    return [_cert_out(c) for c in service.user_certificates(db, actor.user_id)]


@router.get("/me/certificates/{serial}", response_class=Response)
def download_certificate(
    serial: Annotated[int, Path(ge=1, le=MAX_SERIAL)], actor: CurrentActor, db: DbSession
) -> Response:
    """Download one's own certificate (PEM)."""
    row = service.user_certificate(db, actor, serial)
    return Response(
        row.pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="patentdesk-{row.serial}.pem"'},
    )


# ---------------------------------------------------------------- QR login


class QrLoginIn(BaseModel):
    client_kind: str = Field(default="desktop", pattern="^(web|desktop)$")
    device_name: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=80)


def _qr_out(request: Any, payload: str | None, secret: str | None) -> dict[str, Any]:
    return {
        "request_id": str(request.id),
        "payload": payload,
        "secret": secret,
        "short_code": request.short_code,
        "expires_at": iso(request.expires_at),
    }


@router.post("/auth/qr", status_code=status.HTTP_201_CREATED)
@relaxed_commit
def qr_login_start(body: QrLoginIn, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """A login QR code for this client; keep ``secret`` to collect the session."""
    request, payload, secret = qrlogin.create_login_request(
        db, ctx, client_kind=body.client_kind, device_name=body.device_name, role=body.role
    )
    return _qr_out(request, payload, secret)


@router.get("/qr/{request_id}")
def qr_describe(request_id: str, actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    """What the phone shows before approving: who asks, from where, when."""
    from patentdesk.pki.service import DeviceRequired

    if actor.client_kind != "app":
        raise DeviceRequired()
    try:
        request = qr.get(db, request_id, "login")
    except NotFound:
        request = qr.get(db, request_id, "sign")
    if (request.kind == "sign" or request.client_kind == "app") and (
        request.user_id != actor.user_id
    ):
        # Someone else's package digest, or a phone asking to join someone else's account.
        raise NotFound()
    return qr.requester_view(request)


@router.get("/qr/code/{short_code}")
def qr_by_code(short_code: str, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """The phone resolves a short text code (when the QR cannot be scanned, A12)."""
    from patentdesk.pki.service import DeviceRequired

    if actor.client_kind != "app":
        raise DeviceRequired()
    request = qr.by_short_code(db, short_code)
    qr.ensure_pending(request)
    return {"payload": qr.payload_for(ctx, request)}


class DecisionIn(BaseModel):
    approval: str = Field(max_length=4000)
    signature: str | None = Field(
        default=None, max_length=20000, json_schema_extra=apischema.BASE64
    )


@router.post("/auth/qr/{request_id}/decision")
@relaxed_commit
def qr_login_decide(
    request_id: str, body: DecisionIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    request = qrlogin.decide_login(db, ctx, actor, request_id, body.approval)
    return {"request": str(request.id), "status": request.status}


class PollIn(BaseModel):
    secret: str = Field(max_length=200)
    wait: float = Field(default=0, ge=0, le=MAX_WAIT)


async def _long_poll(
    request: Request,
    wait: float,
    step: Callable[[Context, Any], T],
    done: Callable[[T], bool],
    collect: Callable[[Context, Any], T] | None = None,
) -> T:
    """Polls in short transactions: holding one open while waiting would block the phone's
    approval (SQLite has one writer). With ``collect``, ``step`` only reads, and once it is
    ``done`` the collecting ``collect`` runs as a writer from the start: a reader that
    writes goes past the writers' queue (and, finding SQLite's lock taken, fails and runs
    again)."""
    db = request.app.state.db
    ctx = Context(
        settings=request.app.state.settings,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait

    def once() -> T:
        # A pending request is only read (no write lock); the collecting step writes, in a
        # commit a power cut may lose (the user scans again).
        if collect is None:
            return db.read_then_write(lambda s: step(ctx, s), durable=False)
        with db.unit_of_work(write=False) as s:
            seen = step(ctx, s)
        if not done(seen):
            return seen
        with db.unit_of_work(durable=False) as s:
            return collect(ctx, s)

    while True:
        result = await run_in_threadpool(once)
        if done(result) or loop.time() >= deadline:
            return result
        await asyncio.sleep(0.25)
        if await request.is_disconnected():  # the client gave up: stop working for it
            return result


@router.post("/auth/qr/{request_id}/poll")
async def qr_login_poll(request_id: str, body: PollIn, request: Request) -> dict[str, Any]:
    """The creating client collects its session (once). ``status: pending`` until then."""

    def status(_ctx: Context, s: Any) -> dict[str, Any]:
        return {"status": qrlogin.login_status(s, request_id, body.secret)[0]}

    def collect(ctx: Context, s: Any) -> dict[str, Any]:
        state, _req, session, token = qrlogin.poll_login(s, ctx, request_id, body.secret)
        if session is None:
            return {"status": state}
        from patentdesk.identity.models import User
        from patentdesk.orgs.service import actor_for_session

        user = s.get(User, session.user_id)
        actor = actor_for_session(s, user, session)
        assert actor is not None  # the session was made for this user a moment ago
        from patentdesk.identity.routes import actor_out

        out = actor_out(actor, ctx, token=token, expires_at=iso(session.expires_at))
        return {"status": "approved", **out.model_dump(mode="json")}

    return await _long_poll(
        request, body.wait, status, lambda r: r["status"] != "pending", collect=collect
    )


class ClientKeyIn(BaseModel):
    public_key: str = Field(max_length=2000)
    proof: str = Field(max_length=4000)


@router.post("/me/client-key")
def client_key(body: ClientKeyIn, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """The desktop client's session key, certified only inside a no-scan window."""
    signing.register_client_key(db, ctx, actor, body.public_key, body.proof)
    return {"session_id": str(actor.session_id), "registered": True}


# ---------------------------------------------------------------- signing


class SigningIn(BaseModel):
    digest: str = Field(
        max_length=64,
        description="SHA-256 (hex) of META-INF/manifest.json",
        json_schema_extra={"pattern": "^[0-9a-fA-F]{64}$"},
    )
    title: str | None = Field(default=None, max_length=200)
    business_type: str | None = Field(default=None, max_length=24)
    manifest: str | None = Field(
        default=None,
        max_length=2_000_000,
        description="META-INF/manifest.json, base64: the phone then shows package id and files",
        json_schema_extra=apischema.BASE64,
    )
    applicants: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=50
    )


@router.post("/signing-requests", status_code=status.HTTP_201_CREATED)
def start_signing(body: SigningIn, actor: OptionalActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """Scan on the phone, or — inside an open no-scan window — sign with the session key."""
    start = signing.start_signing(
        db,
        ctx,
        actor,
        digest=body.digest,
        title=body.title,
        business_type=body.business_type,
        manifest=_b64(body.manifest, "manifest") if body.manifest else None,
        applicants=body.applicants,
    )
    out = _qr_out(start.request, start.payload, start.secret)
    out["mode"] = start.mode
    if start.mode == "window":
        out["delegated_certificate_pem"] = start.delegated_certificate_pem
        out["window_expires_at"] = iso(start.window_expires_at)
    return out


@router.post("/signing-requests/{request_id}/decision")
def signing_decide(
    request_id: str, body: DecisionIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    signature = _b64(body.signature, "signature") if body.signature else None
    request = signing.approve_on_phone(
        db, ctx, actor, request_id, approval=body.approval, signature=signature
    )
    return {"request": str(request.id), "status": request.status}


@router.post("/signing-requests/{request_id}/poll")
async def signing_poll(request_id: str, body: PollIn, request: Request) -> dict[str, Any]:
    def step(ctx: Context, s: Any) -> dict[str, Any]:
        req = signing.collect(s, request_id, body.secret)
        if req.status == "pending":
            return {"status": "pending"}
        row = s.get(Certificate, req.certificate_serial)
        assert req.signature is not None  # approved requests carry the phone's signature
        return {
            "status": "approved",
            "signature": base64.b64encode(req.signature).decode(),
            "certificate_serial": str(req.certificate_serial),
            "certificate_pem": row.pem if row else None,
        }

    return await _long_poll(request, body.wait, step, lambda r: r["status"] != "pending")


class CompleteIn(BaseModel):
    secret: str = Field(max_length=200)
    signature: str = Field(max_length=20000, json_schema_extra=apischema.BASE64)


@router.post("/signing-requests/{request_id}/complete")
def signing_complete(
    request_id: str, body: CompleteIn, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    verified = signing.complete_in_window(
        db, ctx, actor, request_id, body.secret, _b64(body.signature, "signature")
    )
    return {"status": "signed", "certificate_serial": str(verified.serial)}


class VerifyIn(BaseModel):
    manifest: str = Field(
        max_length=8_000_000,
        description="META-INF/manifest.json, base64",
        json_schema_extra=apischema.BASE64,
    )
    signature: str = Field(
        max_length=20000,
        description="the detached CMS signature, base64",
        json_schema_extra=apischema.BASE64,
    )


@router.post("/signatures/verify")
def verify_signature(
    body: VerifyIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """Checks a package signature as submission will: this environment's CA, validity,
    revocation, and the role and domain the signer acted in."""
    from patentdesk.authz import Permission, authorize

    authorize(actor, Permission.CASE_VIEW)
    claim = signing.verify_package_signature(
        db, ctx, _b64(body.signature, "signature"), _b64(body.manifest, "manifest")
    )
    record = claim.record
    return {
        "valid": True,
        "signer": claim.verified.name,
        "user_id": str(record.user_id),
        "role": record.role,
        "domain": str(record.domain_id) if record.domain_id else None,
        "org_id": str(record.org_id) if record.org_id else None,
        "account_id": str(record.sub_account_id) if record.sub_account_id else None,
        "certificate_serial": str(record.certificate_serial),
        "method": record.method,
        "signed_at": iso(record.signed_at),
        "digest": record.digest,
    }


class WindowIn(BaseModel):
    # The bounds are published; the signing service checks them against the configured
    # maximum (sign_window_max_minutes, 1440 by default) and names it when refusing.
    minutes: int = Field(json_schema_extra={"minimum": 1, "maximum": 1440})
    approval: str = Field(max_length=4000)
    session_id: uuid.UUID | None = None


@router.post("/sign-windows", status_code=status.HTTP_201_CREATED)
def open_window(body: WindowIn, actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    window = signing.open_window(
        db, ctx, actor, minutes=body.minutes, approval=body.approval, session_id=body.session_id
    )
    return {
        "window_id": str(window.id),
        "session_id": str(window.session_id),
        "expires_at": iso(window.expires_at),
    }


@router.post("/sign-windows/close")
def close_windows(actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    return {"closed": signing.close_windows(db, ctx, actor)}


@router.post("/sign-windows/{window_id}/close")
def close_window(
    window_id: uuid.UUID, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """Closes one no-scan window (C6); the others stay open."""
    return {"closed": signing.close_windows(db, ctx, actor, window_id)}


@router.get("/me/sign-windows")
def my_windows(actor: CurrentActor, db: DbSession) -> list[dict[str, Any]]:
    return signing.window_status(db, actor)
