"""Follow-up business end to end: reexamination (C10), bibliographic change (C4),
response to a notice within its deadline, invalidation of a granted patent."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import update

from patentdesk.blobs import blobs_for
from patentdesk.identity.service import Context
from patentdesk.notices.legacy_import import import_archive
from patentdesk.notices.models import Notice
from patentdesk.timeutil import beijing_date
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_followup, build_invention, office_token, submit
from tests.unit.notices.legacy_samples import sample_notices, write_archive


@pytest.fixture
def agency(client, app, world):
    handler = world.person("王经办")
    org = world.agency(handler)
    phone = ApiPhone(world, handler)
    token = phone.desktop_login(f"handler:{org['org_id']}")
    return {"org": org, "phone": phone, "token": token, "office": office_token(client, app)}


def _filed(client, agency, tmp_path, name="case.zip"):
    package = build_invention(tmp_path / name)
    agency["phone"].sign(agency["token"], package)
    out = submit(client, agency["token"], package).json()
    r = client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept", headers=auth(agency["office"])
    )
    assert r.status_code == 200, r.text
    return out


def _issue(client, agency, number, code, text=""):
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": number, "code": code, "text": text},
        headers=auth(agency["office"]),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _accept(client, agency, filed):
    """The office accepts what ``filed`` (a submission response) submitted."""
    r = client.post(
        f"/api/v1/office/submissions/{filed.json()['submission_id']}/accept",
        headers=auth(agency["office"]),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _file_followup(client, agency, tmp_path, name, kind, *fields):
    package = build_followup(tmp_path / name, kind, *fields)
    agency["phone"].sign(agency["token"], package)
    return submit(client, agency["token"], package)


@pytest.mark.seed("C10")
def test_reexamination_cites_a_rejection_known_to_the_domain(client, app, agency, tmp_path):
    out = _filed(client, agency, tmp_path)
    number = out["application_number"]
    rejection = _issue(client, agency, number, "210407", "权利要求1不具备创造性。")
    # A serial nobody knows: the CNIPA message, pointing to the cloud re-download.
    r = _file_followup(
        client,
        agency,
        tmp_path,
        "bad.zip",
        "reexam",
        f"application_number={number}",
        "rejection_notice_serial=2099010100000001",
        "applicants.0.name=杭州某某科技有限公司",
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "REJECTION_NOTICE_UNKNOWN"
    assert err["message"].startswith("驳回通知书发文序列号对应通知信息不存在，不能办理新请求业务")
    assert "云端二次下载" in err["message"]
    r = _file_followup(
        client,
        agency,
        tmp_path,
        "ok.zip",
        "reexam",
        f"application_number={number}",
        f"rejection_notice_serial={rejection['serial']}",
        "applicants.0.name=杭州某某科技有限公司",
    )
    assert r.status_code == 201, r.text
    accepted = _accept(client, agency, r)
    assert [n["code"] for n in accepted["notices"]] == ["200905"]


@pytest.mark.seed("C10")
def test_rejection_fetched_by_the_old_client_needs_cloud_re_download(client, app, agency, tmp_path):
    # Fetched by the old client three weeks ago: the reexamination period still runs.
    recent = (beijing_date() - dt.timedelta(days=21)).isoformat()
    legacy = [
        dataclasses.replace(n, code="210407", name="驳回决定", dispatched_on=recent)
        for n in sample_notices(1)
    ]
    archive = write_archive(tmp_path / "legacy.zip", legacy)
    with app.state.db.unit_of_work() as s:
        import_archive(
            s,
            Context(app.state.settings),
            archive,
            agency["org"]["uscc"],
            blobs_for(app.state.settings),
        )
    notice = legacy[0]
    fields = (
        f"application_number={notice.application_number}",
        f"rejection_notice_serial={notice.serial}",
        "applicants.0.name=杭州某某科技有限公司",
    )
    r = _file_followup(client, agency, tmp_path, "r1.zip", "reexam", *fields)
    assert r.status_code == 422 and r.json()["error"]["code"] == "REJECTION_NOTICE_UNKNOWN"
    # 云端二次下载: the notice is found in the cloud list and downloaded again.
    listed = client.get(
        "/api/v1/notices", params={"source": "legacy"}, headers=auth(agency["token"])
    ).json()
    ours = next(n for n in listed if n["serial"] == notice.serial)
    pdf = client.get(f"/api/v1/notices/{ours['id']}/pdf", headers=auth(agency["token"]))
    assert pdf.status_code == 200
    r = _file_followup(client, agency, tmp_path, "r2.zip", "reexam", *fields)
    assert r.status_code == 201, r.text
    assert r.json()["application_number"] == notice.application_number


@pytest.mark.seed("C4")
def test_bibliographic_change_changes_only_the_items_named(client, app, agency, tmp_path):
    out = _filed(client, agency, tmp_path)
    number = out["application_number"]
    before = client.get(f"/api/v1/cases/by-number/{number}", headers=auth(agency["token"])).json()
    r = _file_followup(
        client,
        agency,
        tmp_path,
        "chg.zip",
        "change",
        f"application_number={number}",
        "changes.0.item=inventor",
        "changes.0.before=张三",
        "changes.0.after=张三、李四",
        "efiling_user_after.name=北京某某专利代理事务所",
    )
    assert r.status_code == 201, r.text
    _accept(client, agency, r)
    after = client.get(f"/api/v1/cases/by-number/{number}", headers=auth(agency["token"])).json()
    assert [i["name"] for i in after["inventors"]] == ["张三", "李四"]
    # 张三 stays, with everything the application said about him.
    assert after["bibliographic"]["inventors"][0] == before["bibliographic"]["inventors"][0]
    assert after["bibliographic"]["inventors"][1] == {"name": "李四"}
    assert after["applicants"] == before["applicants"]
    assert after["bibliographic"]["applicants"] == before["bibliographic"]["applicants"]
    assert after["title"] == before["title"]
    history = after["bibliographic"]["changes"]
    assert history[-1]["item"] == "inventor" and history[-1]["after"] == "张三、李四"


def test_an_applicant_change_keeps_the_records_of_the_applicants_who_stay(
    client, app, agency, tmp_path
):
    out = _filed(client, agency, tmp_path)
    number = out["application_number"]
    before = client.get(f"/api/v1/cases/by-number/{number}", headers=auth(agency["token"])).json()
    (first,) = before["bibliographic"]["applicants"]
    assert len(first) > 1  # a full record: name and identity at least
    r = _file_followup(
        client,
        agency,
        tmp_path,
        "chg.zip",
        "change",
        f"application_number={number}",
        "changes.0.item=applicant",
        f"changes.0.before={first['name']}",
        f"changes.0.after={first['name']}、某某科技有限公司",
        "efiling_user_after.name=北京某某专利代理事务所",
    )
    assert r.status_code == 201, r.text
    _accept(client, agency, r)
    after = client.get(f"/api/v1/cases/by-number/{number}", headers=auth(agency["token"])).json()
    assert after["bibliographic"]["applicants"] == [first, {"name": "某某科技有限公司"}]
    assert after["applicants"][0] == before["applicants"][0]
    assert [a["name"] for a in after["applicants"]] == [first["name"], "某某科技有限公司"]


@pytest.mark.seed("C4")
def test_a_third_party_change_moves_the_case_to_its_filer_once_accepted(
    client, app, world, agency, tmp_path
):
    out = _filed(client, agency, tmp_path)
    number = out["application_number"]
    newcomer = world.person("赵新")
    phone = ApiPhone(world, newcomer)
    token = phone.desktop_login()
    me = client.get("/api/v1/me", headers=auth(token)).json()
    fields = (
        f"application_number={number}",
        "changes.0.item=applicant",
        "changes.0.after=赵新",
        f"efiling_user_after.user_id={me['user_id']}",  # as the client pre-fills it
        "efiling_user_after.name=赵新",
    )

    def file(name, *more):
        package = build_followup(tmp_path / name, "change", *fields, *more)
        phone.sign(token, package)
        return submit(client, token, package)

    # A normal change is for the case's own e-filing user: from outside, no such case.
    r = file("normal.zip")
    assert r.status_code == 404 and r.json()["error"]["code"] == "APPLICATION_NOT_FOUND"
    # A third party changing only a contact does not take the case with it.
    contact = build_followup(
        tmp_path / "contact.zip",
        "change",
        f"application_number={number}",
        "kind=third_party",
        "requester=赵新",
        "changes.0.item=contact",
        "changes.0.after=赵新 13900000000",
        f"efiling_user_after.user_id={me['user_id']}",
        "efiling_user_after.name=赵新",
    )
    phone.sign(token, contact)
    r = submit(client, token, contact)
    assert r.status_code == 201, r.text
    accepted = _accept(client, agency, r)
    assert accepted["change_kind"] == "third_party" and accepted["transfers_to"] is None
    by_number = f"/api/v1/cases/by-number/{number}"
    assert client.get(by_number, headers=auth(agency["token"])).status_code == 200

    r = file("third.zip", "kind=third_party", "requester=赵新")
    assert r.status_code == 201, r.text
    assert r.json()["application_filing_date"] is None  # not published: not theirs to read
    receipt = client.get(
        f"/api/v1/receipts/{r.json()['receipt_id']}",
        params={"format": "json"},
        headers=auth(token),
    )
    assert receipt.status_code == 200  # the filer's receipt, before any decision …
    record = receipt.json()  # … which tells nothing of the case but its number
    assert record["application_number"] == number
    assert record["title"] is None and record["applicants"] == []
    assert record["internal_number"] is None
    assert client.get(by_number, headers=auth(token)).status_code == 404  # not theirs yet
    # The office sees, before deciding, that accepting moves the case and to whom.
    work = client.get("/api/v1/office/worklist", headers=auth(agency["office"])).json()
    row = next(w for w in work if w["id"] == r.json()["submission_id"])
    assert row["change_kind"] == "third_party" and row["requester"] == "赵新"
    assert row["transfers_to"] == "赵新"
    console = client.get("/office", headers=auth(agency["office"]))
    assert console.status_code == 200
    assert "第三方变更" in console.text and "受理后案件转移至： 赵新" in console.text
    assert 'data-confirm="受理后' in console.text  # the browser asks before accepting
    _accept(client, agency, r)
    case = client.get(by_number, headers=auth(token))
    assert case.status_code == 200, case.text
    assert [a["name"] for a in case.json()["applicants"]] == ["赵新"]
    assert client.get(by_number, headers=auth(agency["token"])).status_code == 404
    # The previous e-filing user is told why the case is gone.
    messages = client.get("/api/v1/me/messages", headers=auth(agency["token"])).json()
    assert any(m["kind"] == "case_transferred" and number in m["text"] for m in messages)


def test_response_to_a_notice_within_its_deadline(client, app, agency, tmp_path):
    out = _filed(client, agency, tmp_path)
    number = out["application_number"]
    action = _issue(client, agency, number, "210401", "请修改权利要求。")
    r = _file_followup(
        client,
        agency,
        tmp_path,
        "resp.zip",
        "response",
        f"application_number={number}",
        f"notice_serial={action['serial']}",
        "notice_code=210401",
    )
    assert r.status_code == 201, r.text
    # The period ran out yesterday (Beijing): a late response is refused.
    with app.state.db.unit_of_work() as s:
        s.execute(
            update(Notice)
            .where(Notice.serial == action["serial"])
            .values(deadline=dt.date.today() - dt.timedelta(days=2))
        )
    r = _file_followup(
        client,
        agency,
        tmp_path,
        "late.zip",
        "response",
        f"application_number={number}",
        f"notice_serial={action['serial']}",
        "notice_code=210401",
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "DEADLINE_PASSED"
    assert "恢复权利请求" in r.json()["error"]["message"]


def test_invalidation_only_against_a_granted_patent(client, app, world, agency, tmp_path):
    out = _filed(client, agency, tmp_path)
    number = out["application_number"]
    # A third party (another natural person) requests invalidation.
    other = world.person("赵六")
    phone = ApiPhone(world, other)
    token = phone.desktop_login()

    def request():
        package = build_followup(
            tmp_path / f"inv-{len(list(tmp_path.iterdir()))}.zip",
            "invalidation",
            f"patent_number=ZL{number}",
            "decision_serial=2026010100000001",
            "patentee=杭州某某科技有限公司",
            "grounds.0=不具备新颖性",
            "applicants.0.name=赵六",
        )
        phone.sign(token, package)
        return submit(client, token, package)

    r = request()
    assert r.status_code == 422 and r.json()["error"]["code"] == "PATENT_NOT_GRANTED", r.text
    _issue(client, agency, number, "210413")
    r = request()
    assert r.status_code == 201, r.text
    # The requester sees its own submission's receipt, but not the patentee's case record.
    assert (
        client.get(f"/api/v1/receipts/{r.json()['receipt_id']}", headers=auth(token)).status_code
        == 200
    )
    assert client.get(f"/api/v1/cases/by-number/{number}", headers=auth(token)).status_code == 404


def _reexam(client, agency, tmp_path, name, number, serial):
    return _file_followup(
        client,
        agency,
        tmp_path,
        name,
        "reexam",
        f"application_number={number}",
        f"rejection_notice_serial={serial}",
        "applicants.0.name=杭州某某科技有限公司",
    )


def _move_deadline(app, serial, deadline):
    with app.state.db.unit_of_work() as s:
        s.execute(update(Notice).where(Notice.serial == serial).values(deadline=deadline))


@pytest.mark.seed("C10")
def test_reexamination_cites_a_rejection_of_the_same_application(client, app, agency, tmp_path):
    first = _filed(client, agency, tmp_path, "a.zip")["application_number"]
    second = _filed(client, agency, tmp_path, "b.zip")["application_number"]
    rejection = _issue(client, agency, first, "210407", "权利要求1不具备创造性。")
    r = _reexam(client, agency, tmp_path, "other.zip", second, rejection["serial"])
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "NOTICE_OF_ANOTHER_APPLICATION"
    assert first in err["message"] and second in err["message"]
    # A number nobody holds is no way round it either.
    r = _reexam(client, agency, tmp_path, "none.zip", "201710601862.3", rejection["serial"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "NOTICE_OF_ANOTHER_APPLICATION"
    # A notice of the same application that is not a rejection decision is no decision.
    action = _issue(client, agency, first, "210401")
    r = _reexam(client, agency, tmp_path, "action.zip", first, action["serial"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "REJECTION_NOTICE_UNKNOWN"
    r = _reexam(client, agency, tmp_path, "ok.zip", first, rejection["serial"])
    assert r.status_code == 201, r.text
    assert r.json()["application_number"] == first


@pytest.mark.seed("C10")
def test_reexamination_within_three_months_of_delivery(client, app, agency, tmp_path):
    number = _filed(client, agency, tmp_path)["application_number"]
    rejection = _issue(client, agency, number, "210407", "权利要求1不具备创造性。")
    # Three months from delivery (electronic: the dispatch day), moved past days off.
    from patentdesk.notices.deadlines import add_months, next_working_day

    dispatched = dt.date.fromisoformat(rejection["dispatch_date"])
    assert rejection["deadline"] == next_working_day(add_months(dispatched, 3)).isoformat()
    # The period ended the day before yesterday: refused, naming the day and the way back.
    ended = beijing_date() - dt.timedelta(days=2)
    _move_deadline(app, rejection["serial"], ended)
    r = _reexam(client, agency, tmp_path, "late.zip", number, rejection["serial"])
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "DEADLINE_PASSED"
    assert err["details"]["deadline"] == ended.isoformat()
    assert ended.isoformat() in err["message"] and ended.isoformat() in err["message_en"]
    assert "恢复权利请求" in err["message"] and "restoration of rights" in err["message_en"]
    # On its last day it is still in time.
    _move_deadline(app, rejection["serial"], beijing_date())
    r = _reexam(client, agency, tmp_path, "last-day.zip", number, rejection["serial"])
    assert r.status_code == 201, r.text


@pytest.mark.seed("C10")
def test_one_live_reexamination_per_rejection_decision(client, app, agency, tmp_path):
    number = _filed(client, agency, tmp_path)["application_number"]
    rejection = _issue(client, agency, number, "210407", "权利要求1不具备创造性。")
    first = _reexam(client, agency, tmp_path, "r1.zip", number, rejection["serial"])
    assert first.status_code == 201, first.text
    again = _reexam(client, agency, tmp_path, "r2.zip", number, rejection["serial"])
    assert again.status_code == 409, again.text
    err = again.json()["error"]
    assert err["code"] == "REEXAMINATION_ALREADY_REQUESTED"
    assert rejection["serial"] in err["message"] and "待审查" in err["message"]
    assert err["details"]["submission_id"] == first.json()["submission_id"]
    # The office refuses the first (不予受理): a new request may be filed, in the period.
    r = client.post(
        f"/api/v1/office/submissions/{first.json()['submission_id']}/refuse",
        json={"reason": "请求书缺少理由"},
        headers=auth(agency["office"]),
    )
    assert r.status_code == 200, r.text
    third = _reexam(client, agency, tmp_path, "r3.zip", number, rejection["serial"])
    assert third.status_code == 201, third.text
    _accept(client, agency, third)
    fourth = _reexam(client, agency, tmp_path, "r4.zip", number, rejection["serial"])
    assert fourth.status_code == 409
    assert "已受理" in fourth.json()["error"]["message"]


def test_a_response_answers_a_notice_of_its_application(client, app, agency, tmp_path):
    first = _filed(client, agency, tmp_path, "a.zip")["application_number"]
    second = _filed(client, agency, tmp_path, "b.zip")["application_number"]
    action = _issue(client, agency, first, "210401", "请修改权利要求。")

    def respond(name, number, serial):
        return _file_followup(
            client,
            agency,
            tmp_path,
            name,
            "response",
            f"application_number={number}",
            f"notice_serial={serial}",
        )

    r = respond("other.zip", second, action["serial"])
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "NOTICE_OF_ANOTHER_APPLICATION"
    # A rejection decision is answered by reexamination, not by observations.
    rejection = _issue(client, agency, second, "210407", "权利要求1不具备创造性。")
    r = respond("rejection.zip", second, rejection["serial"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "REJECTION_NEEDS_REEXAMINATION"
    assert "复审请求" in r.json()["error"]["message"]
    r = respond("ok.zip", first, action["serial"])
    assert r.status_code == 201, r.text


def test_invalidation_is_by_one_requester_and_not_by_the_patentee(
    client, app, world, agency, tmp_path
):
    number = _filed(client, agency, tmp_path)["application_number"]
    _issue(client, agency, number, "210413")
    fields = (
        f"patent_number=ZL{number}",
        "decision_serial=2026010100000001",
        "patentee=杭州某某科技有限公司",
        "grounds.0=不具备新颖性",
    )
    # The patentee's own domain may not ask to invalidate its whole patent.
    r = _file_followup(
        client, agency, tmp_path, "own.zip", "invalidation", *fields, "applicants.0.name=王经办"
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "INVALIDATION_BY_PATENTEE"
    assert f"ZL{number}" in r.json()["error"]["message"]
    # Two requesters in one request: each files its own.
    other = world.person("赵六")
    phone = ApiPhone(world, other)
    token = phone.desktop_login()
    package = build_followup(
        tmp_path / "two.zip",
        "invalidation",
        *fields,
        "applicants.0.name=赵六",
        "applicants.1.name=钱七",
    )
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 422, r.text
    failed = r.json()["error"]["details"]["errors"]
    assert [e["rule"] for e in failed] == ["invalidation.one_requester"]
