"""Cases (案件), submissions, receipts (回执) and the application-number counters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
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


LIVE_APPLICATION_FILING = (
    "business_type IN ('invention', 'utility', 'design', 'pct', 'pct-national') "
    "AND status <> 'refused'"
)

# One live reexamination request per rejection decision (it cites the decision's serial).
LIVE_REEXAMINATION = "business_type = 'reexam' AND status <> 'refused'"


class Submission(Base):
    """One business submitted on a case: the application itself or follow-up business."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("domain_id", "idempotency_key"),
        Index("ix_submissions_status_received", "status", "received_at"),
        Index("ix_submissions_domain_package", "domain_id", "package_id"),
        # One live filing per application package and domain: the database decides between
        # two submissions of the same package racing in from two workers (a refused one
        # may be filed again). The WHERE clause must match APPLICATION_TYPES in service.py.
        Index(
            "uq_submissions_live_package",
            "domain_id",
            "package_id",
            unique=True,
            sqlite_where=text(LIVE_APPLICATION_FILING),
            postgresql_where=text(LIVE_APPLICATION_FILING),
        ),
        # Two reexamination requests on one rejection decision racing in: the database
        # decides (a refused one may be filed again, within the period).
        Index(
            "uq_submissions_live_reexam",
            "related_notice_serial",
            unique=True,
            sqlite_where=text(LIVE_REEXAMINATION),
            postgresql_where=text(LIVE_REEXAMINATION),
        ),
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
    """电子申请回执 (200105): a JSON record and a PDF, both signed by the office key.

    The record and its signature live in the row (written in the filing's transaction);
    the PDF is rendered from the record on first download and stored once (receipts made
    before that kept their record signature as a blob: ``record_signature_sha256``)."""

    __tablename__ = "receipts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id"), unique=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"), index=True)
    record_json: Mapped[str] = mapped_column(Text)
    record_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    record_signature_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_signature_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class NumberCounter(Base):
    """The next serial per (year, type digit); its row lock serialises allocation."""

    __tablename__ = "number_counters"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)  # e.g. "2026-1", "PCT-2026"
    next_serial: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
