"""SMS gateways. The default writes every message to an outbox file in the data folder,
where the operator (``patentdesk admin sms-outbox``) and the tests read it."""

from __future__ import annotations

import fcntl
import importlib
import json
import os
from pathlib import Path
from typing import Any, Protocol

from patentdesk.config import Settings
from patentdesk.timeutil import iso, now


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, code: str | None = None) -> None: ...


class OutboxGateway:
    """Appends one JSON line per message to ``<data>/sms-outbox.jsonl``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "sms-outbox.jsonl"

    def send(self, phone: str, text: str, code: str | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"phone": phone, "code": code, "text": text, "sent_at": iso(now())},
            ensure_ascii=False,
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(line + "\n")


def read_outbox(data_dir: Path, phone: str | None = None) -> list[dict[str, Any]]:
    path = data_dir / "sms-outbox.jsonl"
    if not path.exists():
        return []
    messages = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        message = json.loads(line)
        if phone is None or message.get("phone") == phone:
            messages.append(message)
    return messages


def gateway_for(settings: Settings) -> SmsGateway:
    """``outbox`` or ``package.module:Class`` (constructed with the settings)."""
    if settings.sms_gateway == "outbox":
        return OutboxGateway(settings.data)
    module_name, _, class_name = settings.sms_gateway.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    gateway: SmsGateway = cls(settings)
    return gateway
