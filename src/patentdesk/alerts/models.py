"""A person's alert settings and the queue of alerts waiting to go out."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now


class AlertSettings(Base):
    """提醒设置: which alerts one person wants, where, and in which language."""

    __tablename__ = "alert_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # E-mail alerts go only to an address its owner proved by the link sent to it.
    email_verified_at: Mapped[dt.datetime | None]
    email_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_token_expires_at: Mapped[dt.datetime | None]
    on_notices: Mapped[bool] = mapped_column(default=True)
    on_deadlines: Mapped[bool] = mapped_column(default=True)
    on_payments: Mapped[bool] = mapped_column(default=True)
    by_email: Mapped[bool] = mapped_column(default=True)
    by_sms: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(2), default="zh")
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)


class Alert(Base):
    """One message to one person on one channel, queued in the same transaction as the event
    that caused it and sent later by the sweep (so SMTP being slow or down never blocks or
    loses it). ``dedupe_key`` is unique: the same alert is never queued twice, whichever
    server or run tries (a deadline alert's key names the notice and the threshold)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    kind: Mapped[str] = mapped_column(String(16))  # notice | deadline | payment | verify
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="zh")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=now)
    # A sender takes an alert by moving this forward (compare-and-set), so two servers
    # sweeping at once never both send it.
    claimed_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    sent_at: Mapped[dt.datetime | None]
