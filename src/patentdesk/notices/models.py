"""Notices (通知书) issued by the office and delivered to the case's domain."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_domain_dispatched", "domain_id", "dispatched_at"),
        Index("ix_notices_domain_deadline", "domain_id", "deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    serial: Mapped[str] = mapped_column(String(32), unique=True)  # 发文序列号
    code: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    application_number: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"))
    dispatched_at: Mapped[dt.datetime]
    dispatch_date: Mapped[dt.date]
    delivered_on: Mapped[dt.date | None]
    # 送达方式: electronic | paper; None on notices stored before the mode was recorded
    # (their stored delivery date and deadline stand as computed then).
    delivery: Mapped[str | None] = mapped_column(String(16))
    deadline: Mapped[dt.date | None]
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="office")  # office | legacy
    submission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("submissions.id"))
    issued_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    first_downloaded_at: Mapped[dt.datetime | None]
    download_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class NoticeSerialCounter(Base):
    """Dispatch serial numbers are allocated per dispatch date under a row lock."""

    __tablename__ = "notice_serial_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD
    next_value: Mapped[int]
