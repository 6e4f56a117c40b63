"""SMS gateways. The default writes every message to an outbox file in the data folder,
where the operator (``patentdesk admin sms-outbox``) and the tests read it. With an object
store (``PATENTDESK_BLOBS``) the outbox is there instead, one object per message, so that a
code sent by one server of a cluster is read wherever the operator looks."""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from patentdesk.config import Settings
from patentdesk.timeutil import iso, now

if TYPE_CHECKING:
    from patentdesk.blobs import BlobStore

_PREFIX = "sms-outbox/"


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, code: str | None = None) -> None: ...


class OutboxGateway:
    """Appends one JSON line per message to ``<data>/sms-outbox.jsonl``."""

    def __init__(self, data_dir: Path, store: BlobStore | None = None) -> None:
        self.path = data_dir / "sms-outbox.jsonl"
        self.store = store

    def send(self, phone: str, text: str, code: str | None = None) -> None:
        line = json.dumps(
            {"phone": phone, "code": code, "text": text, "sent_at": iso(now())},
            ensure_ascii=False,
        )
        if self.store is not None:
            # Named by time first, so that listing the objects lists the messages in order.
            name = f"{_PREFIX}{time.time_ns():020d}-{secrets.token_hex(4)}.json"
            self.store.put_object(name, line.encode())
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(line + "\n")


def read_outbox(
    data_dir: Path, phone: str | None = None, store: BlobStore | None = None
) -> list[dict[str, Any]]:
    if store is not None:
        lines = [store.get_object(name) for name in store.list_objects(_PREFIX)]
        texts = [line.decode("utf-8") for line in lines if line is not None]
    else:
        path = data_dir / "sms-outbox.jsonl"
        if not path.exists():
            return []
        texts = path.read_text("utf-8").splitlines()
    messages = []
    for line in texts:
        if not line.strip():
            continue
        message = json.loads(line)
        if phone is None or message.get("phone") == phone:
            messages.append(message)
    return messages


def outbox_store(settings: Settings) -> BlobStore | None:
    """The object store that holds the outbox, or ``None`` for the data folder's file."""
    if not settings.blobs:
        return None
    from patentdesk.blobs import blobs_for

    return blobs_for(settings)


def gateway_for(settings: Settings) -> SmsGateway:
    """``outbox`` or ``package.module:Class`` (constructed with the settings)."""
    if settings.sms_gateway == "outbox":
        return OutboxGateway(settings.data, outbox_store(settings))
    module_name, _, class_name = settings.sms_gateway.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    gateway: SmsGateway = cls(settings)
    return gateway
