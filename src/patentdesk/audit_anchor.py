"""Signed checkpoints of the audit chain's head, kept outside the database.

The hash chain (:mod:`patentdesk.audit`) finds an edited or removed event, but someone who
can write the database (drop its append-only triggers, edit the SQLite file) can also
recompute every hash after the edit and the head: the chain verifies again. So after every
commit that appended events, the server appends a checkpoint — the head event's sequence
number, the number of events and its hash, signed with the office key — to a file outside
the database (``<data>/audit-checkpoints.jsonl`` by default, ``audit_checkpoint_file`` to put
it elsewhere, e.g. on a write-once mount). ``patentdesk admin audit verify`` checks every
checkpoint's signature and that the event it names still has the hash it signed: a chain
rewritten or truncated from any point before the newest checkpoint fails.

Known limits: whoever holds the office key file can sign checkpoints of a forged chain; the
events of a transaction whose checkpoint could not be written (full disk) are anchored only by
the next checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from patentdesk.audit import HEAD_INFO_KEY, AuditEvent
from patentdesk.config import Settings
from patentdesk.db import Database
from patentdesk.errors import PatentDeskError
from patentdesk.timeutil import iso, now

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "audit-checkpoints.jsonl"
_FIELDS = ("v", "environment", "seq", "count", "hash", "at")


def checkpoint_path(settings: Settings) -> Path:
    return settings.audit_checkpoint_file or settings.data / CHECKPOINT_FILE


def database(settings: Settings) -> Database:
    """A database whose commits anchor the audit chain (servers and operator tools)."""
    db = Database(settings.sqlalchemy_url)
    install(db, settings)
    return db


def install(db: Database, settings: Settings) -> None:
    """After each commit that appended audit events, a checkpoint of the new head."""
    if getattr(db, "_audit_anchored", False):
        return
    setattr(db, "_audit_anchored", True)  # noqa: B010  (once per database)

    def after_commit(session: Session) -> None:
        head = session.info.pop(HEAD_INFO_KEY, None)
        if head is not None:
            write_checkpoint(settings, *head)

    def after_rollback(session: Session) -> None:
        session.info.pop(HEAD_INFO_KEY, None)

    event.listen(db.sessionmaker, "after_commit", after_commit)
    event.listen(db.sessionmaker, "after_rollback", after_rollback)


def write_checkpoint(settings: Settings, seq: int, count: int, head_hash: str) -> bool:
    """Appends one signed checkpoint. The transaction has committed already: a file that
    cannot be written is logged, never an error for the user (the next one anchors it)."""
    from patentdesk.pki.payload import sign_payload
    from patentdesk.pki.service import office_signer

    fields: dict[str, Any] = {
        "v": 1,
        "environment": settings.environment,
        "seq": seq,
        "count": count,
        "hash": head_hash,
        "at": iso(now()),
    }
    path = checkpoint_path(settings)
    try:
        signature = sign_payload(fields, office_signer(settings).private_key, kid="office")
        line = json.dumps(fields | {"signature": signature}, ensure_ascii=False) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write() with O_APPEND: lines of concurrent workers never interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except Exception:  # after the commit nothing may fail the request
        log.exception("audit checkpoint %s (event %s) not written to %s", count, seq, path)
        return False
    return True


# ---------------------------------------------------------------- verification


class AnchorFailed(PatentDeskError):
    status = 500

    def __init__(self, zh: str, en: str, first_bad_seq: int | None = None) -> None:
        super().__init__(zh, en, details={"first_bad_seq": first_bad_seq})
        self.first_bad_seq = first_bad_seq


class NotAnchored(AnchorFailed):
    code = "AUDIT_NOT_ANCHORED"


class CheckpointInvalid(AnchorFailed):
    code = "AUDIT_CHECKPOINT_INVALID"


class CheckpointMismatch(AnchorFailed):
    code = "AUDIT_CHECKPOINT_MISMATCH"


@dataclass
class AnchorReport:
    checkpoints: int
    anchored_seq: int | None = None
    checkpoint_file: str = ""
    seen: dict[int, tuple[int, str]] = field(default_factory=dict, repr=False)


def _read(settings: Settings, path: Path) -> list[dict[str, Any]]:
    from patentdesk.pki.payload import verify_payload
    from patentdesk.pki.service import office_signer

    certificate = office_signer(settings).certificate
    checkpoints: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                entry = json.loads(line)
                signed = verify_payload(str(entry["signature"]), certificate)
                fields = {k: entry[k] for k in _FIELDS}
            except (ValueError, KeyError, TypeError, PatentDeskError):
                raise CheckpointInvalid(
                    f"审计检查点 {where} 的签名无效或格式错误：检查点文件被篡改",
                    f"Audit checkpoint {where} has no valid office signature: the checkpoint "
                    "file was tampered with",
                ) from None
            if signed != fields or fields["environment"] != settings.environment:
                raise CheckpointInvalid(
                    f"审计检查点 {where} 与其签名内容不符：检查点文件被篡改",
                    f"Audit checkpoint {where} differs from what the office signed: the "
                    "checkpoint file was tampered with",
                )
            checkpoints.append(fields)
    return checkpoints


def verify_anchors(db: Session, settings: Settings) -> AnchorReport:
    """Checks the database's chain against every signed checkpoint; raises the first
    failure (:class:`NotAnchored`, :class:`CheckpointInvalid`, :class:`CheckpointMismatch`)."""
    path = checkpoint_path(settings)
    checkpoints = _read(settings, path) if path.exists() else []
    wanted = {int(c["seq"]) for c in checkpoints}
    report = AnchorReport(len(checkpoints), checkpoint_file=str(path))
    ordinal = 0
    for seq, digest in db.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq)):
        ordinal += 1
        if seq in wanted:
            report.seen[seq] = (ordinal, digest)
    if not checkpoints:
        if ordinal:
            raise NotAnchored(
                f"审计日志未锚定：{path} 中没有签名检查点（{ordinal} 个事件无从核对）",
                f"The audit log is not anchored: no signed checkpoints in {path} "
                f"({ordinal} events cannot be checked against them)",
            )
        return report
    for c in sorted(checkpoints, key=lambda c: int(c["seq"])):
        seq, at = int(c["seq"]), c["at"]
        found = report.seen.get(seq)
        if found is None:
            raise CheckpointMismatch(
                f"审计日志被截断或改写：{at} 签名的检查点所锚定的事件 {seq} 已不存在",
                f"The audit log was truncated or rewritten: event {seq}, anchored by the "
                f"checkpoint signed at {at}, is gone",
                seq,
            )
        if found != (int(c["count"]), c["hash"]):
            raise CheckpointMismatch(
                f"审计日志在事件 {seq} 或之前被改写：其哈希与 {at} 签名的检查点不符",
                f"The audit log was rewritten at or before event {seq}: its hash differs "
                f"from the checkpoint signed at {at}",
                seq,
            )
        report.anchored_seq = seq
    return report
