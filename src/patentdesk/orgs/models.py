"""Organisations, permission domains, handlers and sub-accounts."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now


class OrgKind(enum.StrEnum):
    LEGAL = "legal"  # 法人
    AGENCY = "agency"  # 专利代理机构


class DomainKind(enum.StrEnum):
    PERSONAL = "personal"  # a natural person's own cases
    MAIN = "main"  # 主机构 the organisation's main institution
    BRANCH = "branch"  # 分支机构


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    agency_code: Mapped[str | None] = mapped_column(String(16), unique=True)  # 机构代码
    main_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Domain(Base):
    """A permission domain (权限): everyone in it has the same rights in it (A6, A9)."""

    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Handler(Base):
    """经办人: a natural person who acts for the organisation and manages it."""

    __tablename__ = "handlers"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    # Set when the person left the organisation themselves; only adding them again (which
    # tells them again) brings the membership back.
    left_at: Mapped[dt.datetime | None]


class SubAccount(Base):
    """子账户: one natural person (one phone, A3) working in one domain of an organisation."""

    __tablename__ = "sub_accounts"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    left_at: Mapped[dt.datetime | None]  # see Handler.left_at
