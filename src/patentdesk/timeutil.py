"""Time: stored in UTC, shown and reasoned about in Beijing time (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def now() -> dt.datetime:
    """The server clock, timezone-aware UTC. Tests freeze it with time-machine."""
    return dt.datetime.now(UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def beijing_date(value: dt.datetime | None = None) -> dt.date:
    """The calendar date in Beijing of an instant (default: now)."""
    return as_utc(value or now()).astimezone(BEIJING).date()


def to_beijing(value: dt.datetime) -> dt.datetime:
    return as_utc(value).astimezone(BEIJING)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")
