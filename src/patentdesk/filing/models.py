"""Cases (案件), submissions, receipts (回执) and the application-number counters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now


class Case(Base):
    """A patent application (or PCT international application) and its current record."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_domain_internal", "domain_id", "internal_number"),
        Index("ix_cases_domain_status", "domain_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    application_number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # invention|utility|design|pct|pct-national
    title: Mapped[str] = mapped_column(String(200))
    internal_number: Mapped[str | None] = mapped_column(String(64))  # 机构内部编号
    applicants: Mapped[list[Any]] = mapped_column(default=list)
    inventors: Mapped[list[Any]] = mapped_column(default=list)
    bibliographic: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(24), default="submitted")
    filing_date: Mapped[dt.date]
    filed_at: Mapped[dt.datetime]
    international_number: Mapped[str | None] = mapped_column(String(24), unique=True)
    patent_number: Mapped[str | None] = mapped_column(String(24))
    submitted_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submitted_by_sub_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sub_accounts.id")
    )
    environment: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)


class Submission(Base):
    """One business submitted on a case: the application itself or follow-up business."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("domain_id", "idempotency_key"),
        Index("ix_submissions_status_received", "status", "received_at"),
        Index("ix_submissions_domain_package", "domain_id", "package_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None: a third party's change on a number nobody holds, received like any other so that
    # filing tells nothing of which unpublished numbers exist; the office refuses it.
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"))
    business_type: Mapped[str] = mapped_column(String(24))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    package_sha256: Mapped[str] = mapped_column(String(64))
    package_id: Mapped[str | None] = mapped_column(String(36))  # the manifest's
    package_size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    forms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fee_sheet: Mapped[dict[str, Any] | None]
    signer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    signer_certificate_serial: Mapped[str] = mapped_column(String(64))
    signer_role: Mapped[str] = mapped_column(String(16))
    submitted_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submitted_by_sub_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sub_accounts.id")
    )
    status: Mapped[str] = mapped_column(String(16), default="received")  # received|accepted|refused
    status_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    related_notice_serial: Mapped[str | None] = mapped_column(String(32))


class Receipt(Base):
    """电子申请回执 (200105): a JSON record and a PDF, both signed by the office key."""

    __tablename__ = "receipts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id"), unique=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"), index=True)
    record_json: Mapped[str] = mapped_column(Text)
    record_signature_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_signature_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class NumberCounter(Base):
    """The next serial per (year, type digit); its row lock serialises allocation."""

    __tablename__ = "number_counters"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)  # e.g. "2026-1", "PCT-2026"
    next_serial: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
