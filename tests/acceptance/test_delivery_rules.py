"""Delivery (送达) under the 2023 Implementing Rules, in force 2024-01-20: a notice served
electronically is served on the day it reaches the party's inbox, and its period runs from
then; a notice sent on paper is presumed served 15 days after dispatch. Notices stored
before the delivery mode was recorded keep their dates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from patentdesk.notices.deadlines import add_months, next_working_day, served_on
from patentdesk.notices.models import Notice
from tests.acceptance.test_filing_authz import filed  # noqa: F401  (fixture)
from tests.acceptance.test_office_cli import _office_desktop
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit


def _issue(client, filed, **body):  # noqa: F811
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": filed["out"]["application_number"], **body},
        headers=auth(filed["tokens"]["office"]),
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_an_electronic_office_action_runs_from_its_delivery_not_15_days_later(
    client,
    filed,  # noqa: F811
):
    # A 210401 (four months to answer) issued today, e.g. 2026-12-05, electronically: the
    # period runs from today, 2027-04-05 (moved past days off), not from 2026-12-20.
    notice = _issue(client, filed, code="210401")
    dispatched = dt.date.fromisoformat(notice["dispatch_date"])
    assert notice["delivery"] == "electronic"
    assert notice["delivered_on"] == notice["dispatch_date"]
    expected = next_working_day(add_months(dispatched, 4))
    classic = next_working_day(add_months(dispatched + dt.timedelta(days=15), 4))
    assert notice["deadline"] == expected.isoformat() != classic.isoformat()
    # The applicant's inbox and deadline list say the same.
    token = filed["tokens"]["handler"]
    mine = client.get(f"/api/v1/notices/{notice['id']}", headers=auth(token)).json()
    assert mine["deadline"] == expected.isoformat()
    listed = client.get("/api/v1/deadlines", headers=auth(token)).json()
    assert any(d["deadline"] == expected.isoformat() for d in listed if d.get("kind") != "fee")


def test_a_paper_notice_is_presumed_served_15_days_after_dispatch(client, filed):  # noqa: F811
    notice = _issue(client, filed, code="210401", delivery="paper")
    dispatched = dt.date.fromisoformat(notice["dispatch_date"])
    presumed = dispatched + dt.timedelta(days=15)
    assert notice["delivery"] == "paper"
    assert notice["delivered_on"] == presumed.isoformat()
    assert notice["deadline"] == next_working_day(add_months(presumed, 4)).isoformat()
    r = client.post(
        "/api/v1/office/notices",
        json={
            "application_number": filed["out"]["application_number"],
            "code": "210401",
            "delivery": "pigeon",
        },
        headers=auth(filed["tokens"]["office"]),
    )
    assert r.status_code == 422 and "delivery" in r.text


def test_notices_stored_before_delivery_modes_keep_their_dates(client, app, filed):  # noqa: F811
    notice = _issue(client, filed, code="210401")
    stored = dt.date(2027, 1, 4)
    with app.state.db.unit_of_work() as s:  # as a notice from before this release looks
        s.execute(
            update(Notice)
            .where(Notice.serial == notice["serial"])
            .values(delivery=None, deadline=stored)
        )
    token = filed["tokens"]["handler"]
    again = client.get(f"/api/v1/notices/{notice['id']}", headers=auth(token)).json()
    assert again["deadline"] == stored.isoformat() and again["delivery"] is None
    with app.state.db.unit_of_work(write=False) as s:
        row = s.scalar(select(Notice).where(Notice.serial == notice["serial"]))
        assert row is not None
        # Its fee periods count from the presumption it was issued under.
        assert served_on(
            row.dispatch_date, row.delivered_on, row.delivery, "statutory"
        ) == row.dispatch_date + dt.timedelta(days=15)


def test_the_office_console_issues_paper_notices(app, client, world, live_server, tmp_path):
    handler = world.person("纸件")
    org = world.agency(handler)
    phone = ApiPhone(world, handler)
    token = phone.desktop_login(f"handler:{org['org_id']}")
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    out = submit(client, token, package).json()
    client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept",
        headers=auth(office_token(client, app)),
    )
    office = _office_desktop(app, live_server.url, tmp_path / "office")
    number = out["application_number"]
    args = ("office", "notice", "issue", "--application-number", number, "--code", "210401")
    paper = office.run(*args, "--delivery", "paper", "--json")
    assert paper.returncode == 0, paper.stderr
    dispatched = dt.date.fromisoformat(paper.json["dispatch_date"])
    assert paper.json["delivered_on"] == (dispatched + dt.timedelta(days=15)).isoformat()
    electronic = office.run(*args, "--json")
    assert electronic.returncode == 0, electronic.stderr
    assert electronic.json["delivered_on"] == electronic.json["dispatch_date"]
    assert electronic.json["deadline"] < paper.json["deadline"]
