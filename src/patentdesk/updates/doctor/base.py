"""What every doctor check returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Check:
    name: str
    ok: bool
    message: str
    message_en: str
    level: str = "ok"  # ok | info | warning | error | skipped
    fix: str | None = None
    fix_en: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Probe:
    """One GET of /api/v1/health, directly or through the configured proxies."""

    ok: bool
    error: str | None = None
    status: int | None = None
    body: dict[str, Any] | None = None
    date: str | None = None
    sent: dt.datetime | None = None
    received: dt.datetime | None = None
