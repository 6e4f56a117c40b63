"""What the server remembers of keys: devices, certificates, QR requests (login and
signing), no-scan windows and the record of who signed what, in which role."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now

Serial = BigInteger().with_variant(Integer, "sqlite")


class Device(Base):
    """A phone bound to a user: its device key approves QR logins."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    # The app session this phone is logged in with: approvals made in that session are
    # checked against this device's key, and reporting the phone lost ends that session.
    app_session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_user_purpose", "user_id", "purpose"),)

    serial: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # signing | delegated | office
    pem: Mapped[str] = mapped_column(Text)
    key_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    delegated_from_serial: Mapped[int | None] = mapped_column(Serial)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id"))
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class QrRequest(Base):
    """A code shown as a QR: a login to approve or a package digest to sign."""

    __tablename__ = "qr_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8))  # login | sign
    nonce: Mapped[str] = mapped_column(String(64))
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]
    client_kind: Mapped[str] = mapped_column(String(16))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    device_name: Mapped[str | None] = mapped_column(String(200))
    requested_role: Mapped[str | None] = mapped_column(String(80))
    # login: the session created on approval; sign: the session asking for the signature
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id"))
    # login: who approved; sign: who must sign (the session's user)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    decided_at: Mapped[dt.datetime | None]
    consumed_at: Mapped[dt.datetime | None]
    digest: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200))
    business_type: Mapped[str | None] = mapped_column(String(24))
    # sign: what the phone shows besides the title — package id and number of files (read
    # by the server from the manifest whose digest is signed) and the declared applicants
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_serial: Mapped[int | None] = mapped_column(Serial)


class SignWindow(Base):
    """免扫码: a window in which one client session signs without a scan (C6)."""

    __tablename__ = "sign_windows"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), index=True)
    certificate_serial: Mapped[int] = mapped_column(Serial)
    opened_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    # The phone's approval that opened it (device + signed statement, hashed): used once.
    approval_digest: Mapped[str | None] = mapped_column(String(64), unique=True)


class SignatureRecord(Base):
    """Who signed a digest, in which role and domain: submission checks the claim here."""

    __tablename__ = "signature_records"
    __table_args__ = (UniqueConstraint("digest", "certificate_serial"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    digest: Mapped[str] = mapped_column(String(64))
    certificate_serial: Mapped[int] = mapped_column(Serial)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    domain_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("domains.id"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    sub_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sub_accounts.id"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id"))
    method: Mapped[str] = mapped_column(String(8))  # scan | window
    signed_at: Mapped[dt.datetime] = mapped_column(default=now)


class EnvironmentKeys(Base):
    """Which CA an environment's database belongs to: the first server to start records it,
    and every later server must bring that CA's key (a file or the shared token) instead of
    making a CA of its own, which would split the cluster into two environments."""

    __tablename__ = "environment_keys"

    environment: Mapped[str] = mapped_column(String(32), primary_key=True)
    ca_key_fingerprint: Mapped[str] = mapped_column(String(64))
    ca_certificate_pem: Mapped[str] = mapped_column(Text)
    office_key_fingerprint: Mapped[str] = mapped_column(String(64))
    key_storage: Mapped[str] = mapped_column(String(16))  # files | pkcs11
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
