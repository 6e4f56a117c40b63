"""iCalendar (RFC 5545) export of a domain's deadlines (期限导出).

One all-day event per deadline. The UID is derived from the notice, so importing a newer
export into a calendar application updates the events instead of duplicating them.
Written with the ``icalendar`` package (line folding, escaping and CRLF done right).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from patentdesk import timeutil
from patentdesk.notices.deadlines import DeadlineEntry
from patentdesk.notices.types import format_date_zh, is_known_notice_code, notice_type

PRODID = "-//PatentDesk//Notice deadlines//ZH"
CALENDAR_NAME = "专利期限"
# A week leaves time to prepare a response; the user picks another lead time per export.
DEFAULT_ALARM_DAYS = 7


def _uid(entry: DeadlineEntry, uid_domain: str) -> str:
    key = entry.notice_id or f"{entry.serial}-{entry.notice_code}"
    return f"deadline-{key}@{uid_domain}"


def _describe(entry: DeadlineEntry) -> tuple[str, str]:
    if entry.summary:
        lines = [f"申请号：{entry.application_number}"]
        lines += [entry.note] if entry.note else []
        lines += [f"发文序列号：{entry.serial}"] if entry.serial else []
        lines += [f"发明创造名称：{entry.title}"] if entry.title else []
        lines.append(f"期限届满日：{format_date_zh(entry.due_on)}")
        return f"{entry.summary}：申请号 {entry.application_number}", "\n".join(lines)
    if is_known_notice_code(entry.notice_code):
        kind = notice_type(entry.notice_code)
        name = kind.name_zh
        purpose = kind.period.purpose_zh if kind.period and kind.period.purpose_zh else "答复"
    else:
        name, purpose = "通知书", "答复"
    summary = f"{purpose}期限：申请号 {entry.application_number}，{name}（{entry.notice_code}）"
    lines = [
        f"申请号：{entry.application_number}",
        f"通知书：{name}（{entry.notice_code}）",
        f"发文序列号：{entry.serial}",
    ]
    if entry.title:
        lines.append(f"发明创造名称：{entry.title}")
    if entry.dispatched_on:
        lines.append(f"发文日：{format_date_zh(entry.dispatched_on)}")
    lines.append(f"期限届满日：{format_date_zh(entry.due_on)}")
    return summary, "\n".join(lines)


def to_ical(
    deadlines: Iterable[DeadlineEntry],
    *,
    stamp: datetime | None = None,
    uid_domain: str = "patentdesk",
    alarm_days_before: int | None = None,
    calendar_name: str = CALENDAR_NAME,
) -> bytes:
    """The deadlines as an iCalendar file (UTF-8, CRLF, folded lines).

    ``stamp`` is the DTSTAMP (default: now); pass it for reproducible output. ``uid_domain``
    should be the environment's host name or id so two environments' events never collide.
    ``alarm_days_before`` adds a display reminder that many days before each deadline.
    """
    import icalendar  # imported lazily: the CLI starts faster without it

    stamp_utc = timeutil.as_utc(stamp or timeutil.now())
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    ordered = sorted(deadlines, key=lambda e: (e.due_on, e.application_number, e.serial))
    for entry in ordered:
        summary, description = _describe(entry)
        event = icalendar.Event()
        event.add("uid", _uid(entry, uid_domain))
        event.add("dtstamp", stamp_utc)
        event.add("dtstart", entry.due_on)
        # DTEND is exclusive: a one-day all-day event ends the next day.
        event.add("dtend", entry.due_on + timedelta(days=1))
        event.add("summary", summary)
        event.add("description", description)
        event.add("categories", ["专利期限", entry.notice_code])
        event.add("transp", "TRANSPARENT")
        if alarm_days_before is not None:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", timedelta(days=-alarm_days_before))
            event.add_component(alarm)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
