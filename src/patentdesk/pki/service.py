"""The environment's CA in service: devices, certificates, revocation and the CRL.

Library code (certificates, CMS, payloads) lives in the sibling modules; this module
persists what the server must remember and decides who may do what with it.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor
from patentdesk.config import Settings
from patentdesk.errors import NotFound, PatentDeskError, PermissionDenied
from patentdesk.identity import announce
from patentdesk.identity.models import Role, Session
from patentdesk.identity.service import Context
from patentdesk.pki import token
from patentdesk.pki.ca import (
    CertificateAuthority,
    FileKeyStore,
    KeyName,
    KeysAbsent,
    KeyStore,
    TokenKeyStore,
    load_or_create_office_signer,
)
from patentdesk.pki.cms import KeySigner
from patentdesk.pki.errors import EnvironmentKeysMismatch, EnvironmentKeysMissing
from patentdesk.pki.keys import certificate_pem, fingerprint, load_public_key, public_key_pem
from patentdesk.pki.models import Certificate, Device, EnvironmentKeys, SignWindow
from patentdesk.pki.payload import verify_payload
from patentdesk.pki.token import Token
from patentdesk.timeutil import now

PROOF_MAX_AGE = dt.timedelta(minutes=10)


class DeviceRequired(PatentDeskError):
    code = "DEVICE_REQUIRED"
    status = 403
    message_zh = "请在手机 App 上操作：此功能需要已绑定的手机"
    message_en = "Use the mobile app: this needs a bound phone"


class ProofInvalid(PatentDeskError):
    code = "KEY_PROOF_INVALID"
    status = 422
    message_zh = "密钥持有证明无效：{why}"
    message_en = "Proof of key possession is invalid: {why}"


def _store(where: Path | Token, environment: str) -> KeyStore:
    return FileKeyStore(where) if isinstance(where, Path) else TokenKeyStore(where, environment)


# Key files are made on first use (the embedded default: one server, its own folder); keys
# in a shared token only by bootstrap, under the cluster lock, so that two servers starting
# at once never make two CAs.
@lru_cache(maxsize=8)
def _ca(where: Path | Token, environment: str) -> CertificateAuthority:
    store = _store(where, environment)
    return CertificateAuthority.load_or_create(
        store, environment, create=isinstance(store, FileKeyStore)
    )


@lru_cache(maxsize=8)
def _office(where: Path | Token, environment: str) -> KeySigner:
    store = _store(where, environment)
    return load_or_create_office_signer(
        store, _ca(where, environment), create=isinstance(store, FileKeyStore)
    )


def _where(settings: Settings) -> Path | Token:
    if token.configured(settings):
        return token.token_for(settings)
    return settings.pki_dir.resolve()


def ca_for(settings: Settings) -> CertificateAuthority:
    try:
        return _ca(_where(settings), settings.environment)
    except KeysAbsent as exc:
        raise _missing(settings, [exc.name]) from exc


def office_signer(settings: Settings) -> KeySigner:
    """The office key: signs QR payloads, receipts and notices."""
    try:
        return _office(_where(settings), settings.environment)
    except KeysAbsent as exc:
        raise _missing(settings, [exc.name]) from exc


def key_store(settings: Settings) -> KeyStore:
    """Where this server keeps the environment's keys: the data folder or the token."""
    return _store(_where(settings), settings.environment)


def _missing(settings: Settings, names: list[KeyName]) -> EnvironmentKeysMissing:
    store = key_store(settings)
    where = (
        str(settings.pki_dir.resolve())
        if isinstance(store, FileKeyStore)
        else f"PKCS#11 {settings.pkcs11_token_label}"
    )
    needed = "; ".join(store.describe(name) for name in names)
    return EnvironmentKeysMissing(
        environment=settings.environment,
        needed=needed,
        where=where,
        details={"environment": settings.environment, "needed": [store.describe(n) for n in names]},
    )


def _already_in_use(db: Db) -> bool:
    """A database from before environments were recorded that has issued certificates."""
    return db.scalar(select(Certificate.serial).limit(1)) is not None


def sign_office_pdf(settings: Settings, pdf: bytes, *, reason: str) -> bytes:
    """``pdf`` with the office's PAdES signature and the certificate chain up to the CA."""
    from patentdesk.pki.pades import sign_pdf

    return sign_pdf(pdf, office_signer(settings), [ca_for(settings).certificate], reason=reason)


def bootstrap(settings: Settings) -> None:
    """Makes sure this server holds the keys of the environment its database belongs to.

    The first server on a new database creates the CA and office key (0600 files, or
    inside the shared token) and records the CA in the database. Every later server, on
    this or any machine, must bring those keys: a server that lacks them refuses to start
    (ENVIRONMENT_KEYS_MISSING, naming the keys) rather than make a CA of its own, and keys
    that are not the recorded ones are refused too (ENVIRONMENT_KEYS_MISMATCH).
    """
    from patentdesk.cluster import cluster_lock
    from patentdesk.db import Database

    db = Database(settings.sqlalchemy_url)
    try:
        with cluster_lock(settings.sqlalchemy_url, "pki-bootstrap"):
            with db.unit_of_work(write=False) as s:
                record = s.get(EnvironmentKeys, settings.environment)
                in_use = record is not None or _already_in_use(s)
            store = key_store(settings)
            if in_use:
                absent: list[KeyName] = [n for n in ("ca", "office") if store.load_key(n) is None]
                if absent:
                    raise _missing(settings, absent)
            # The token's keys are made here only, under the lock.
            load_or_create_office_signer(
                store, CertificateAuthority.load_or_create(store, settings.environment)
            )
            ca, signer = ca_for(settings), office_signer(settings)
            ca_print, office_print = fingerprint(ca.certificate), fingerprint(signer.certificate)
            if record is None:
                with db.unit_of_work() as s:
                    s.add(
                        EnvironmentKeys(
                            environment=settings.environment,
                            ca_key_fingerprint=ca_print,
                            ca_certificate_pem=ca.certificate_pem,
                            office_key_fingerprint=office_print,
                            key_storage=store.kind,
                        )
                    )
                return
            for which, which_en, expected, found in (
                ("证书机构", "CA", record.ca_key_fingerprint, ca_print),
                ("业务签名", "office signing", record.office_key_fingerprint, office_print),
            ):
                if expected != found:
                    raise EnvironmentKeysMismatch(
                        which=which,
                        which_en=which_en,
                        environment=settings.environment,
                        expected=expected[:16],
                        found=found[:16],
                    )
    finally:
        db.dispose()


# ---------------------------------------------------------------- revocation


def is_revoked(db: Db, serial: int) -> bool:
    row = db.get(Certificate, serial)
    if row is None:
        return False
    if row.revoked_at is not None:
        return True
    # A delegation dies with the certificate it came from (a lost phone).
    return row.delegated_from_serial is not None and is_revoked(db, row.delegated_from_serial)


def revoked_serials(db: Db) -> list[tuple[int, dt.datetime]]:
    rows = db.execute(
        select(Certificate.serial, Certificate.revoked_at).where(Certificate.revoked_at.isnot(None))
    )
    return [(serial, at) for serial, at in rows if at is not None]


def crl(db: Db, settings: Settings, encoding: str = "der") -> bytes:
    return ca_for(settings).crl(
        revoked_serials(db),
        next_update=now() + dt.timedelta(days=1),
        crl_number=int(time.time()),
        encoding=encoding,  # type: ignore[arg-type]
    )


def revoke_certificate(db: Db, cert: Certificate, reason: str) -> None:
    if cert.revoked_at is None:
        cert.revoked_at = now()
        cert.revocation_reason = reason


# ---------------------------------------------------------------- devices and certificates


def _check_proof(token: str, key_pem: str, user_id: uuid.UUID, kind: str) -> dict[str, Any]:
    """The phone proves it holds a key by signing a short statement naming the user."""
    claims = verify_payload(token, load_public_key(key_pem))
    if claims.get("t") != kind or claims.get("uid") != str(user_id):
        raise ProofInvalid(why="wrong statement")
    issued = claims.get("iat")
    if not isinstance(issued, int | float):
        raise ProofInvalid(why="no time")
    age = abs(now().timestamp() - float(issued))
    if age > PROOF_MAX_AGE.total_seconds():
        raise ProofInvalid(why="stale")
    return claims


def store_certificate(
    db: Db,
    cert: Any,
    *,
    user_id: uuid.UUID | None,
    purpose: str,
    device_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    delegated_from: int | None = None,
) -> Certificate:
    row = Certificate(
        serial=cert.serial_number,
        user_id=user_id,
        device_id=device_id,
        purpose=purpose,
        pem=certificate_pem(cert),
        key_fingerprint=fingerprint(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        delegated_from_serial=delegated_from,
        session_id=session_id,
    )
    db.add(row)
    db.flush()
    return row


class DeviceRevoked(PatentDeskError):
    code = "DEVICE_REVOKED"
    status = 409
    message_zh = "该手机已挂失，其密钥不能再使用：请在 App 中重新生成密钥后再登录"
    message_en = (
        "This phone was reported lost and its keys cannot be used again: reset the app's keys"
    )


def _require_app(actor: Actor) -> None:
    """Keys are bound and renewed only from the phone's own app session: a stolen web or
    desktop session token must not be able to certify an attacker's key."""
    if actor.client_kind != "app":
        raise DeviceRequired()


def register_device(
    db: Db,
    ctx: Context,
    actor: Actor,
    *,
    name: str,
    device_public_key: str,
    signing_public_key: str,
    device_proof: str,
    signing_proof: str,
) -> tuple[Device, Certificate]:
    """Binds a phone: its device key (approvals) and the user's signing key, both made on
    the phone; the CA certifies the signing key. Only the public keys ever arrive here.

    A phone that is already bound (the app logs in again, e.g. after its session expired)
    is re-bound to the new app session and keeps its certificate."""
    if actor.role == Role.OFFICE or actor.role == Role.MAIN:
        raise PermissionDenied(details={"why": "devices belong to natural persons"})
    _require_app(actor)
    _check_proof(device_proof, device_public_key, actor.user_id, "device")
    _check_proof(signing_proof, signing_public_key, actor.user_id, "signing")
    device_key = load_public_key(device_public_key)
    signing_key = load_public_key(signing_public_key)
    device = db.scalar(select(Device).where(Device.fingerprint == fingerprint(device_key)))
    if device is not None:
        known = set(
            db.scalars(select(Certificate.serial).where(Certificate.device_id == device.id))
        )
        row = _rebind(db, ctx, actor, device, signing_key)
        event = "device.rebound"
        if row.serial not in known:
            announce.new_certificate(db, ctx, actor.user_id, name or device.name, row.serial)
    else:
        device = Device(
            user_id=actor.user_id,
            name=(name or "phone")[:100],
            public_key_pem=public_key_pem(device_key),
            fingerprint=fingerprint(device_key),
            app_session_id=actor.session_id,
        )
        db.add(device)
        db.flush()
        row = _issue_signing(db, ctx, actor, device, signing_key)
        event = "device.registered"
        announce.new_device(db, ctx, actor.user_id, device.name, row.serial)
    device.name = (name or device.name)[:100]
    # One app session, one phone: a phone that made new keys leaves its old device behind.
    db.execute(
        update(Device)
        .where(Device.app_session_id == actor.session_id, Device.id != device.id)
        .values(app_session_id=None)
    )
    if actor.session_id is not None:
        session = db.get(Session, actor.session_id)
        if session is not None:
            session.device_name = device.name
    audit.record(
        db,
        event,
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"device:{device.id}",
        certificate=str(row.serial),
    )
    return device, row


def _issue_signing(db: Db, ctx: Context, actor: Actor, device: Device, key: Any) -> Certificate:
    cert = ca_for(ctx.settings).issue_user_certificate(
        key, str(actor.user_id), actor.name, purpose="signing"
    )
    return store_certificate(
        db, cert, user_id=actor.user_id, purpose="signing", device_id=device.id
    )


def _rebind(db: Db, ctx: Context, actor: Actor, device: Device, signing_key: Any) -> Certificate:
    if device.user_id != actor.user_id:
        raise ProofInvalid(why="device key belongs to another account")
    if device.revoked_at is not None:
        raise DeviceRevoked()
    previous = device.app_session_id
    if previous is not None and previous != actor.session_id:
        # The phone holds one app session at a time: the one it replaces ends here.
        old = db.get(Session, previous)
        if old is not None and old.revoked_at is None:
            old.revoked_at = now()
    device.app_session_id = actor.session_id
    wanted = fingerprint(signing_key)
    for cert in db.scalars(
        select(Certificate)
        .where(Certificate.device_id == device.id, Certificate.purpose == "signing")
        .order_by(Certificate.created_at.desc())
    ):
        usable = cert.revoked_at is None and cert.not_after > now()
        if usable and cert.key_fingerprint == wanted:
            return cert
    for old_cert in db.scalars(
        select(Certificate).where(
            Certificate.device_id == device.id, Certificate.purpose == "signing"
        )
    ):
        revoke_certificate(db, old_cert, "superseded")
    return _issue_signing(db, ctx, actor, device, signing_key)


def renew_certificate(
    db: Db,
    ctx: Context,
    actor: Actor,
    *,
    device_id: uuid.UUID,
    signing_public_key: str,
    signing_proof: str,
) -> Certificate:
    _require_app(actor)
    device = own_device(db, actor, device_id)
    if device.revoked_at is not None:
        raise DeviceRevoked()
    if device.app_session_id != actor.session_id:
        raise DeviceRequired()
    _check_proof(signing_proof, signing_public_key, actor.user_id, "signing")
    cert = ca_for(ctx.settings).issue_user_certificate(
        load_public_key(signing_public_key), str(actor.user_id), actor.name, purpose="signing"
    )
    for old in db.scalars(
        select(Certificate).where(
            Certificate.device_id == device.id, Certificate.purpose == "signing"
        )
    ):
        revoke_certificate(db, old, "superseded")
    row = store_certificate(db, cert, user_id=actor.user_id, purpose="signing", device_id=device.id)
    announce.new_certificate(db, ctx, actor.user_id, device.name, row.serial)
    audit.record(
        db,
        "certificate.renewed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"certificate:{row.serial}",
    )
    return row


def own_device(db: Db, actor: Actor, device_id: uuid.UUID) -> Device:
    device = db.get(Device, device_id)
    if device is None or device.user_id != actor.user_id:
        raise NotFound(details={"device_id": str(device_id)})
    return device


def report_lost(db: Db, ctx: Context, actor: Actor, device_id: uuid.UUID) -> Device:
    """挂失: the phone's certificates are revoked at once, the no-scan windows it opened
    close, and its app session ends."""
    device = own_device(db, actor, device_id)
    device.revoked_at = device.revoked_at or now()
    serials = []
    for cert in db.scalars(select(Certificate).where(Certificate.device_id == device.id)):
        revoke_certificate(db, cert, "key_compromise")
        serials.append(cert.serial)
    if serials:
        for window_cert in db.scalars(
            select(Certificate).where(Certificate.delegated_from_serial.in_(serials))
        ):
            revoke_certificate(db, window_cert, "key_compromise")
            db.execute(
                update(SignWindow)
                .where(
                    SignWindow.certificate_serial == window_cert.serial,
                    SignWindow.closed_at.is_(None),
                )
                .values(closed_at=now())
            )
    if device.app_session_id is not None:
        db.execute(
            update(Session)
            .where(Session.id == device.app_session_id, Session.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    audit.record(
        db,
        "device.lost",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"device:{device.id}",
    )
    return device


def device_of_session(db: Db, actor: Actor) -> Device:
    """The phone behind an app session: its key is the one that must sign approvals."""
    _require_app(actor)
    device = db.scalar(
        select(Device).where(
            Device.app_session_id == actor.session_id,
            Device.user_id == actor.user_id,
            Device.revoked_at.is_(None),
        )
    )
    if device is None:
        raise DeviceRequired()
    return device


def user_devices(db: Db, user_id: uuid.UUID) -> list[Device]:
    return list(
        db.scalars(select(Device).where(Device.user_id == user_id).order_by(Device.created_at))
    )


def user_certificates(db: Db, user_id: uuid.UUID) -> list[Certificate]:
    return list(
        db.scalars(
            select(Certificate)
            .where(
                Certificate.user_id == user_id,
                Certificate.purpose == "signing",
            )
            .order_by(Certificate.created_at.desc())
        )
    )


def current_signing_certificate(db: Db, user_id: uuid.UUID) -> Certificate:
    for cert in user_certificates(db, user_id):
        if cert.revoked_at is None and cert.not_after > now():
            return cert
    raise DeviceRequired(
        "尚无有效的签名证书：请在手机 App 上注册或更新证书",
        "No valid signing certificate: register or renew it in the mobile app",
    )


def user_certificate(db: Db, actor: Actor, serial: int) -> Certificate:
    row = db.get(Certificate, serial)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(details={"serial": serial})
    return row


def open_windows(db: Db, session_id: uuid.UUID) -> list[SignWindow]:
    return list(
        db.scalars(
            select(SignWindow).where(
                SignWindow.session_id == session_id,
                SignWindow.closed_at.is_(None),
                SignWindow.expires_at > now(),
            )
        )
    )
