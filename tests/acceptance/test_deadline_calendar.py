"""The deadline calendar reminds: each exported deadline carries an alarm, a week before by
default, so a calendar application warns before the period runs out."""

from __future__ import annotations

from tests.acceptance.test_filing_authz import filed  # noqa: F401  (fixture)
from tests.support.factories import auth


def _with_office_action(client, filed) -> str:  # noqa: F811
    """An 审查意见通知书 (210401): a notice with a response period."""
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": filed["out"]["application_number"], "code": "210401"},
        headers=auth(filed["tokens"]["office"]),
    )
    assert r.status_code in (200, 201), r.text
    return str(filed["tokens"]["handler"])


def test_each_deadline_has_a_reminder_a_week_before_by_default(client, filed):  # noqa: F811
    token = _with_office_action(client, filed)
    calendar = client.get("/api/v1/deadlines.ics", headers=auth(token)).text
    events = calendar.count("BEGIN:VEVENT")
    assert events >= 1
    assert calendar.count("BEGIN:VALARM") == events
    assert calendar.count("TRIGGER:-P7D") == events
    assert "ACTION:DISPLAY" in calendar


def test_the_lead_time_is_the_users_choice_within_limits(client, filed):  # noqa: F811
    token = _with_office_action(client, filed)
    one_day = client.get("/api/v1/deadlines.ics?alarm_days=1", headers=auth(token)).text
    assert "TRIGGER:-P1D" in one_day and "TRIGGER:-P7D" not in one_day
    for bad in ("500", "-1", "soon"):
        r = client.get(f"/api/v1/deadlines.ics?alarm_days={bad}", headers=auth(token))
        assert r.status_code == 422, bad
        assert "alarm_days" in r.json()["error"]["message_en"]


def test_fees_due_are_in_the_calendar_too(client, filed):  # noqa: F811
    """An accepted application owes its fees: that deadline is exported beside the notices'."""
    token = filed["tokens"]["handler"]
    fees = [
        d for d in client.get("/api/v1/deadlines", headers=auth(token)).json() if d["kind"] == "fee"
    ]
    assert fees, "the accepted case has fees outstanding"
    calendar = client.get("/api/v1/deadlines.ics", headers=auth(token)).text
    unfolded = calendar.replace("\r\n ", "")
    for fee in fees:
        assert f"deadline-{fee['id']}@" in unfolded
        assert f"DTSTART;VALUE=DATE:{fee['deadline'].replace('-', '')}" in unfolded
        assert "缴费期限" in unfolded and fee["application_number"] in unfolded
    # Every event once: a payment notice with its own deadline is not listed twice.
    uids = [line for line in unfolded.splitlines() if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) == unfolded.count("BEGIN:VEVENT")
