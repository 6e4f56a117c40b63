from datetime import UTC, date, datetime, timedelta

import icalendar

from patentdesk.notices.deadlines import DeadlineEntry
from patentdesk.notices.ical import to_ical

STAMP = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
ENTRIES = [
    DeadlineEntry(
        "201710601862.3",
        "210401",
        "2023092600012345",
        date(2024, 2, 18),
        dispatched_on=date(2023, 9, 26),
        title="一种折叠式电动自行车，" * 6,  # long enough to need folding
        notice_id="n-1",
    ),
    DeadlineEntry("95115608.X", "210407", "2024102800000001", date(2025, 2, 5)),
    DeadlineEntry("97101765.4", "123456", "LEGACY-1", date(2024, 1, 5)),  # unknown legacy code
]


def _events(data):
    return icalendar.Calendar.from_ical(data).walk("VEVENT")


def test_round_trip():
    data = to_ical(ENTRIES, stamp=STAMP)
    events = _events(data)
    assert len(events) == 3
    # Sorted by due date.
    assert [e.decoded("dtstart") for e in events] == [
        date(2024, 1, 5),
        date(2024, 2, 18),
        date(2025, 2, 5),
    ]
    first_office_action = events[1]
    assert first_office_action.decoded("dtend") == date(2024, 2, 19)
    summary = str(first_office_action["summary"])
    assert "201710601862.3" in summary and "210401" in summary
    assert "第一次审查意见通知书" in summary and summary.startswith("答复期限")
    assert "发文序列号：2023092600012345" in str(first_office_action["description"])
    assert "一种折叠式电动自行车" in str(first_office_action["description"])
    assert first_office_action.decoded("dtstamp") == STAMP
    assert str(first_office_action["uid"]) == "deadline-n-1@patentdesk"
    assert str(events[2]["summary"]).startswith("请求复审期限")
    assert "通知书（123456）" in str(events[0]["summary"])


def test_rfc5545_framing():
    data = to_ical(ENTRIES, stamp=STAMP)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # folded
    assert b"DTSTART;VALUE=DATE:20240218" in data
    assert data.decode("utf-8")


def test_uids_unique_and_stable():
    data = to_ical(ENTRIES, stamp=STAMP, uid_domain="trial.example.cn")
    uids = [str(e["uid"]) for e in _events(data)]
    assert len(set(uids)) == 3
    assert all(u.endswith("@trial.example.cn") for u in uids)
    assert to_ical(reversed(ENTRIES), stamp=STAMP) == to_ical(ENTRIES, stamp=STAMP)


def test_alarm():
    data = to_ical(ENTRIES[:1], stamp=STAMP, alarm_days_before=7)
    alarm = _events(data)[0].walk("VALARM")[0]
    assert alarm.decoded("trigger") == timedelta(days=-7)


def test_empty_calendar_is_valid():
    cal = icalendar.Calendar.from_ical(to_ical([], stamp=STAMP))
    assert cal.walk("VEVENT") == []
    assert str(cal["x-wr-calname"]) == "专利期限"
