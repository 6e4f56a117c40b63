"""Delivery dates and response deadlines of notices (送达日与期限).

The rules (Implementing Rules of the Patent Law; rule numbers of the 2023 revision, in force
2024-01-20):

* **Delivery (rule 4).** A document the office *mails* is presumed received 15 days after
  dispatch (``classic``; before 2024-01-20 CNIPA applied this presumption to electronic
  notices too). A document served *electronically* is served on the day it enters the
  electronic system the party accepted (``electronic``): in PatentDesk, the day the notice
  reaches the domain's inbox, normally its dispatch date. A later download does not move it.
* **Counting (rule 6).** The first day is not counted. A period in months ends on the
  corresponding day of the last month, or on that month's last day when it has no such day
  (Jan 31 + 1 month → Feb 28/29). A period that ends on a day off (法定休假日: weekend or
  public holiday) ends on the next working day.

Days off come from the ``holidays`` package's China calendar, which includes the State
Council's yearly arrangements: substituted days off (调休) and the weekend days that become
working days (``weekend_workdays``). A deadline on such a working Saturday stays there. For
years the package does not yet know, only the statutory holidays are known; operators can
add days in ``data/holiday_overrides.yaml`` without waiting for a package release.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from patentdesk.errors import PatentDeskError, ValidationFailed
from patentdesk.notices.types import notice_type

DeliveryRule = Literal["classic", "electronic"]
DELIVERY_RULES: tuple[DeliveryRule, ...] = ("classic", "electronic")
# How a notice reached its party (送达方式): into the electronic system, or on paper.
DeliveryMode = Literal["electronic", "paper"]
DELIVERY_MODES: tuple[DeliveryMode, ...] = ("electronic", "paper")
# The server setting (PATENTDESK_DELIVERY_RULE): ``statutory`` picks the rule per notice as
# the law does; ``classic`` and ``electronic`` force one rule on electronically delivered
# notices (paper is always ``classic``: there is no other rule for it).
DeliveryPolicy = Literal["statutory", "classic", "electronic"]
CLASSIC_PRESUMPTION_DAYS = 15
# The 2023 revision of the Implementing Rules (rule 4: electronic service on the day the
# document enters the party's system) is in force from this day.
ELECTRONIC_SERVICE_FROM = date(2024, 1, 20)
OVERRIDES_FILE = "holiday_overrides.yaml"
# A deadline can only move forward by a holiday block; a run this long means broken data.
_MAX_SHIFT_DAYS = 60


class DeliveryRuleInvalid(ValidationFailed):
    code = "DELIVERY_RULE_INVALID"
    message_zh = "送达规则无效"
    message_en = "Unknown delivery rule"


class DeliveryDateInvalid(ValidationFailed):
    code = "DELIVERY_DATE_INVALID"
    message_zh = "送达日不能早于发文日"
    message_en = "The delivery date cannot be before the dispatch date"


class HolidayDataInvalid(PatentDeskError):
    code = "HOLIDAY_DATA_INVALID"
    status = 500
    message_zh = "节假日调整数据文件有误"
    message_en = "The holiday override data file is not valid"


@dataclass(frozen=True, slots=True)
class DeadlineEntry:
    """One deadline of a domain, as listed and exported to iCalendar."""

    application_number: str
    notice_code: str
    serial: str  # 发文序列号
    due_on: date
    dispatched_on: date | None = None
    title: str | None = None  # 发明创造名称
    notice_id: str | None = None  # stable id of the notice; preferred for the event UID
    # An obligation other than answering a notice (fees due): its own wording and details.
    summary: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DeadlineComputation:
    """How a deadline came about, for display (期限计算过程)."""

    delivered_on: date
    period_end: date  # delivery date + period, before moving past days off
    due_on: date
    skipped: tuple[tuple[date, str], ...] = field(default=())  # days off moved past, named


# ---- working days ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Overrides:
    days_off: dict[date, str]
    workdays: dict[date, str]


def _parse_overrides(doc: Any) -> _Overrides:
    def entries(key: str) -> dict[date, str]:
        out: dict[date, str] = {}
        for item in doc.get(key) or []:
            if not isinstance(item, dict) or not isinstance(item.get("date"), date):
                raise HolidayDataInvalid(
                    "节假日调整数据文件有误：{key} 的每一项需要 date（YYYY-MM-DD）",
                    "Holiday overrides: every {key} entry needs a date (YYYY-MM-DD)",
                    key=key,
                )
            if not item.get("source"):
                raise HolidayDataInvalid(
                    "节假日调整数据文件有误：{day} 缺少 source",
                    "Holiday overrides: {day} has no source",
                    day=item["date"].isoformat(),
                )
            out[item["date"]] = str(item.get("name") or key)
        return out

    if not isinstance(doc, dict):
        raise HolidayDataInvalid()
    overrides = _Overrides(entries("days_off"), entries("workdays"))
    both = sorted(set(overrides.days_off) & set(overrides.workdays))
    if both:
        raise HolidayDataInvalid(
            "节假日调整数据文件有误：{days} 既是休息日又是工作日",
            "Holiday overrides: {days} listed both as day off and working day",
            days=", ".join(d.isoformat() for d in both),
        )
    return overrides


@lru_cache(maxsize=1)
def _overrides() -> _Overrides:
    text = resources.files("patentdesk.notices").joinpath("data", OVERRIDES_FILE).read_text("utf-8")
    return _parse_overrides(yaml.safe_load(text))


@lru_cache(maxsize=64)
def _china(year: int) -> Any:
    import holidays  # imported lazily: building the calendar costs start-up time

    # language pins the names to Chinese whatever the process locale says.
    return holidays.country_holidays("CN", years=year, language="zh_CN")


def day_off_reason(day: date) -> str | None:
    """Why ``day`` is not a working day (holiday name, 周六/周日), or None if it is one."""
    overrides = _overrides()
    if day in overrides.workdays:
        return None
    if day in overrides.days_off:
        return overrides.days_off[day]
    cn = _china(day.year)
    name = cn.get(day)
    if name:
        return str(name)
    if day in cn.weekend_workdays:  # 调休上班 on a Saturday or Sunday
        return None
    if day.weekday() >= 5:
        return "周六" if day.weekday() == 5 else "周日"
    return None


def is_working_day(day: date) -> bool:
    return day_off_reason(day) is None


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    return _shift(day)[0]


def _shift(day: date) -> tuple[date, tuple[tuple[date, str], ...]]:
    skipped: list[tuple[date, str]] = []
    current = day
    while (reason := day_off_reason(current)) is not None:
        skipped.append((current, reason))
        if len(skipped) > _MAX_SHIFT_DAYS:
            raise HolidayDataInvalid(
                "{day} 之后连续 {n} 天都不是工作日，节假日数据有误",
                "No working day within {n} days after {day}: the holiday data is wrong",
                day=day.isoformat(),
                n=_MAX_SHIFT_DAYS,
            )
        current += timedelta(days=1)
    return current, tuple(skipped)


# ---- periods ---------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """The corresponding day ``months`` later, clamped to the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def delivery_date(
    dispatched_on: date, rule: DeliveryRule, delivered_on: date | None = None
) -> date:
    """The date a notice counts as served (送达日).

    ``classic``: dispatch + 15 days (the presumption for mailed documents); ``delivered_on``
    is not used. ``electronic``: ``delivered_on`` — the day the notice entered the party's
    electronic system (their inbox) — or the dispatch date when not given.
    """
    if rule == "classic":
        return dispatched_on + timedelta(days=CLASSIC_PRESUMPTION_DAYS)
    if rule == "electronic":
        if delivered_on is None:
            return dispatched_on
        if delivered_on < dispatched_on:
            raise DeliveryDateInvalid(
                "送达日 {delivered} 早于发文日 {dispatched}",
                "Delivery date {delivered} is before the dispatch date {dispatched}",
                delivered=delivered_on.isoformat(),
                dispatched=dispatched_on.isoformat(),
            )
        return delivered_on
    raise DeliveryRuleInvalid(
        "送达规则“{rule}”无效，应为 classic 或 electronic",
        "Delivery rule '{rule}' is not valid; use classic or electronic",
        rule=rule,
    )


def rule_for(
    policy: DeliveryPolicy | str, mode: DeliveryMode | str | None, dispatched_on: date
) -> DeliveryRule:
    """The delivery rule of one notice.

    Paper is presumed received 15 days after dispatch (``classic``). An electronically
    delivered notice is served the day it reaches the party's system (``electronic``) when
    dispatched on or after 2024-01-20; before that day CNIPA applied the presumption to
    electronic notices too. ``policy`` (the server setting) may force either rule on
    electronic notices; ``mode`` None (a notice stored before modes were recorded) counts as
    electronic.
    """
    if mode not in (None, *DELIVERY_MODES):
        raise DeliveryRuleInvalid(
            "送达方式“{mode}”无效，应为 electronic（电子送达）或 paper（纸件送达）",
            "Delivery mode '{mode}' is not valid; use electronic or paper",
            mode=str(mode),
        )
    if mode == "paper":
        return "classic"
    if policy == "statutory":
        return "electronic" if dispatched_on >= ELECTRONIC_SERVICE_FROM else "classic"
    if policy in DELIVERY_RULES:
        return policy
    raise DeliveryRuleInvalid(
        "送达规则“{rule}”无效，应为 statutory、classic 或 electronic",
        "Delivery rule '{rule}' is not valid; use statutory, classic or electronic",
        rule=str(policy),
    )


def served_on(
    dispatched_on: date,
    delivered_on: date | None,
    mode: DeliveryMode | str | None,
    policy: DeliveryPolicy | str,
) -> date:
    """A stored notice's delivery date. Notices with a mode stored it when issued; older
    ones count as they did then (the 15-day presumption unless the server forced
    ``electronic``), so their deadlines and fee periods do not move."""
    if mode is not None and delivered_on is not None:
        return delivered_on
    rule: DeliveryRule = "electronic" if policy == "electronic" else "classic"
    return delivery_date(dispatched_on, rule, delivered_on)


def explain_deadline(
    code: str, dispatched_on: date, rule: DeliveryRule, delivered_on: date | None = None
) -> DeadlineComputation | None:
    """The deadline with the steps that led to it; None for a type without a period."""
    period = notice_type(code).period
    delivered = delivery_date(dispatched_on, rule, delivered_on)
    if period is None:
        return None
    if period.months:
        end = add_months(delivered, period.months)
    else:
        end = delivered + timedelta(days=period.days)
    due, skipped = _shift(end)
    return DeadlineComputation(delivered, end, due, skipped)


def response_deadline(
    code: str, dispatched_on: date, rule: DeliveryRule, delivered_on: date | None = None
) -> date | None:
    """The last day to act on a notice (答复/补正/复审… 期限届满日), or None when its type
    has no period. Unknown codes raise ``UnknownNoticeType``."""
    computed = explain_deadline(code, dispatched_on, rule, delivered_on)
    return None if computed is None else computed.due_on


def deadlines_in(entries: Iterable[DeadlineEntry], start: date, end: date) -> list[DeadlineEntry]:
    """Entries due within [start, end], earliest first (for 'due this week' lists)."""
    return sorted(
        (e for e in entries if start <= e.due_on <= end),
        key=lambda e: (e.due_on, e.application_number, e.serial),
    )
