"""Reexamination (C10) through the CLI, as an agency's script files it: a request on the
rejection decision within its three months, a second one on the same decision, and a late
one, which is told the day the period ended and the way back (恢复权利请求)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from patentdesk.notices.models import Notice
from patentdesk.timeutil import beijing_date
from tests.support.factories import auth
from tests.support.filing import new_followup, new_invention, sign, submit
from tests.support.inproc import office_token


@pytest.mark.seed("C10")
def test_reexamination_through_the_cli_follows_the_period_and_the_decision(
    app, client, phone, desktop, live_server, tmp_path
):
    phone.register("张三")
    desktop.login_with(phone)
    case = new_invention(desktop, tmp_path / "case.zip")
    sign(desktop, phone, case)
    filed = submit(desktop, case)
    assert filed.returncode == 0, filed.stderr
    number = filed.json["application_number"]
    office = office_token(client, app)
    r = client.post(
        f"/api/v1/office/submissions/{filed.json['submission_id']}/accept", headers=auth(office)
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": number, "code": "210407", "text": "不具备创造性。"},
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    serial = r.json()["serial"]

    def reexam(name: str):
        package = new_followup(
            desktop,
            tmp_path / name,
            "reexam",
            f"application_number={number}",
            f"rejection_notice_serial={serial}",
            "applicants.0.name=张三",
        )
        grounds = tmp_path / f"{name}-grounds.txt"
        grounds.write_text("权利要求1相对于对比文件1具备创造性，理由如下。", "utf-8")
        added = desktop.run("package", "add", str(package), "--role", "statement", str(grounds))
        assert added.returncode == 0, added.stderr
        sign(desktop, phone, package)
        return package

    # The period ended yesterday (Beijing): refused, with the day and the way back.
    ended = beijing_date() - dt.timedelta(days=1)
    with app.state.db.unit_of_work() as s:
        s.execute(update(Notice).where(Notice.serial == serial).values(deadline=ended))
    late = reexam("late.zip")
    r = submit(desktop, late)
    assert r.returncode != 0
    assert r.error["code"] == "DEADLINE_PASSED", r.stderr
    assert r.error["details"]["deadline"] == ended.isoformat()
    assert "恢复权利请求" in r.error["message"]
    human = desktop.run("submit", str(late))
    assert human.returncode != 0
    assert ended.isoformat() in human.stderr and "恢复权利请求" in human.stderr

    # Within the period: filed; a second request on the same decision is refused.
    with app.state.db.unit_of_work() as s:
        s.execute(
            update(Notice)
            .where(Notice.serial == serial)
            .values(deadline=beijing_date() + dt.timedelta(days=60))
        )
    r = submit(desktop, late)
    assert r.returncode == 0, r.stderr
    assert r.json["application_number"] == number and r.json["business_type"] == "reexam"
    again = submit(desktop, reexam("again.zip"))
    assert again.returncode != 0
    assert again.error["code"] == "REEXAMINATION_ALREADY_REQUESTED"
    assert serial in again.error["message"]
