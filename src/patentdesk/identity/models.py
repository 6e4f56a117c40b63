"""Users, sessions, SMS codes and login throttling (统一身份认证)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now


class UserKind(enum.StrEnum):
    NATURAL = "natural"  # 自然人
    ORG_MAIN = "org_main"  # 主账户 the organisation's registration account
    OFFICE = "office"  # office-side user


class Role(enum.StrEnum):
    """The role a session acts in (seed C8)."""

    NATURAL = "natural"  # 自然人
    HANDLER = "handler"  # 经办人 of an organisation
    SUB = "sub"  # 子账户
    MAIN = "main"  # 主账户
    OFFICE = "office"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    # Natural persons and office users log in by phone; main accounts by their login name
    # (the organisation's unified social credit code).
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    login_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)


class Session(Base):
    """One login on one client. A user may hold many; each can be ended on its own (A7)."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_active", "user_id", "revoked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    sub_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sub_accounts.id"))
    domain_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("domains.id"))
    client_kind: Mapped[str] = mapped_column(String(16))  # web | desktop | app | cli
    login_method: Mapped[str] = mapped_column(String(16))  # password+sms | password | qr
    device_name: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    # The desktop client's own public key (PEM): a no-scan signing window delegates to it.
    client_public_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class SmsCode(Base):
    """A one-time code sent by SMS; only its hash is stored."""

    __tablename__ = "sms_codes"
    __table_args__ = (
        Index("ix_sms_codes_phone_purpose", "phone", "purpose"),
        Index("ix_sms_codes_ip_created_at", "ip", "created_at"),
        Index("ix_sms_codes_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))  # login | recover | complete
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]
    consumed_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # Who asked (the client address), for the per-source limit.
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginChallenge(Base):
    """The state between a correct password and the SMS second factor (web portal)."""

    __tablename__ = "login_challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    sms_code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sms_codes.id"))
    client_kind: Mapped[str] = mapped_column(String(16))
    requested_role: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]
    consumed_at: Mapped[dt.datetime | None]


class LoginFailure(Base):
    """Failed attempts, counted per key within a window (see ``identity/throttle.py``): an
    account, an address, an address against one account, a lookup of people by phone."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(default=now)


class UserMessage(Base):
    """A message to the user, e.g. «新设备登录» on each new login (seed A7)."""

    __tablename__ = "user_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)  # English pages (None: older rows)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    read_at: Mapped[dt.datetime | None]
