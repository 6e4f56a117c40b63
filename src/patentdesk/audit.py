"""Append-only, hash-chained audit log of security-relevant actions.

Each event's hash covers its content and the previous event's hash, so removing or editing
any event breaks the chain from that point on; ``verify_chain`` finds the first break. The
database refuses UPDATE and DELETE on the table (triggers in the migration). Appends take
the one-row ``audit_head`` lock so concurrent writers cannot fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from patentdesk.db import Base
from patentdesk.timeutil import iso, now

GENESIS = "0" * 64
# Session.info key of the head this transaction appended, (seq, count, hash): after the
# commit, audit_anchor signs a checkpoint of it outside the database.
HEAD_INFO_KEY = "audit_head"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[dt.datetime]
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the newest hash; locking it serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": iso(event.at),
        "action": event.action,
        "actor_user_id": event.actor_user_id,
        "actor_role": event.actor_role,
        "target": event.target,
        "ip": event.ip,
        "environment": event.environment,
        "details": event.details,
    }


def record(
    db: Session,
    action: str,
    *,
    environment: str,
    actor_user_id: uuid.UUID | str | None = None,
    actor_role: str | None = None,
    target: str | None = None,
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Appends an event in the caller's transaction (it commits or rolls back with it)."""
    head = db.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS, count=0)
        db.add(head)
    event = AuditEvent(
        at=now(),
        action=action,
        actor_user_id=str(actor_user_id) if actor_user_id else None,
        actor_role=actor_role,
        target=target,
        ip=ip,
        environment=environment,
        details=json.dumps(details, sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=head.last_hash,
    )
    event.hash = _digest(event.prev_hash, _fields(event))
    db.add(event)
    head.last_hash = event.hash
    head.count += 1
    db.flush()
    db.info[HEAD_INFO_KEY] = (event.seq, head.count, event.hash)
    return event


@dataclass
class ChainReport:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_chain(db: Session) -> ChainReport:
    prev = GENESIS
    count = 0
    for event in db.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        count += 1
        if event.prev_hash != prev:
            return ChainReport(False, count, event.seq, "previous hash does not match")
        if _digest(prev, _fields(event)) != event.hash:
            return ChainReport(False, count, event.seq, "content does not match its hash")
        prev = event.hash
    head = db.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.count != count):
        return ChainReport(False, count, None, "events missing at the end of the log")
    return ChainReport(True, count)
