"""What a third party learns of a case that is not its own (issue 15, items 3 and 11): a
notice sent to a domain other than the case's carries no unpublished bibliographic data, and
a filing on an unknown number is answered as one on an unpublished case is."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_followup, build_invention, office_token, submit
from tests.unit.notices.pdftext import pdf_text

TITLE = "一种折叠式电动自行车"
APPLICANT = "杭州某某科技有限公司"


@pytest.fixture
def owner(client, app, world, tmp_path):
    """An agency's filed and accepted, unpublished invention."""
    handler = world.person("王经办")
    org = world.agency(handler)
    phone = ApiPhone(world, handler)
    token = phone.desktop_login(f"handler:{org['org_id']}")
    office = office_token(client, app)
    package = build_invention(tmp_path / "case.zip", title=TITLE)
    phone.sign(token, package)
    out = submit(client, token, package).json()
    r = client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept", headers=auth(office)
    )
    assert r.status_code == 200, r.text
    return {"number": out["application_number"], "office": office, "token": token}


@pytest.fixture
def stranger(world):
    person = world.person("赵新")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    me = world.client.get("/api/v1/me", headers=auth(token)).json()
    return {"phone": phone, "token": token, "user_id": me["user_id"]}


def _third_party_change(client, stranger, tmp_path, number, name="third.zip"):
    package = build_followup(
        tmp_path / name,
        "change",
        f"application_number={number}",
        "kind=third_party",
        "requester=赵新",
        "changes.0.item=applicant",
        "changes.0.after=赵新",
        f"efiling_user_after.user_id={stranger['user_id']}",
        "efiling_user_after.name=赵新",
    )
    stranger["phone"].sign(stranger["token"], package)
    return submit(client, stranger["token"], package)


def _filing_date_of(client, owner):
    case = client.get(f"/api/v1/cases/by-number/{owner['number']}", headers=auth(owner["token"]))
    return case.json()["filing_date"]


def test_a_refusal_sent_to_a_third_party_tells_nothing_unpublished(
    client, owner, stranger, tmp_path
):
    r = _third_party_change(client, stranger, tmp_path, owner["number"])
    assert r.status_code == 201, r.text
    refused = client.post(
        f"/api/v1/office/submissions/{r.json()['submission_id']}/refuse",
        json={"reason": "请求人不是权利人。"},
        headers=auth(owner["office"]),
    )
    assert refused.status_code == 200, refused.text
    notices = client.get("/api/v1/notices", headers=auth(stranger["token"])).json()
    assert [n["code"] for n in notices] == ["200102"]
    notice = notices[0]
    assert notice["application_number"] == owner["number"]
    assert notice["title"] in (None, "")
    detail = client.get(f"/api/v1/notices/{notice['id']}", headers=auth(stranger["token"]))
    assert TITLE not in detail.text and APPLICANT not in detail.text
    pdf = client.get(f"/api/v1/notices/{notice['id']}/pdf", headers=auth(stranger["token"]))
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert owner["number"] in text.replace(" ", "") or owner["number"][:8] in text
    assert "请求人不是权利人" in text
    assert TITLE not in text and APPLICANT not in text
    assert re.search(r"申请日[：:]\s*\d{4}\s*年", text) is None  # no filing date
    assert _filing_date_of(client, owner)  # which the owner reads
    # The case's own domain still gets its notices whole.
    mine = client.post(
        "/api/v1/office/notices",
        json={"application_number": owner["number"], "code": "210401", "text": "请修改。"},
        headers=auth(owner["office"]),
    )
    assert mine.status_code == 201 and mine.json()["title"] == TITLE


def _unknown_number(number: str) -> str:
    """A well-formed number of the same year and type that nobody filed."""
    from patentdesk.packages.numbers import check_character

    digits = number.split(".")[0]
    other = digits[:5] + "9" * 7
    return f"{other}.{check_character(other)}"


def _shape(receipt: dict) -> dict:
    """What a receipt says, less what differs between any two filings."""
    varying = {"receipt_id", "submission_id", "filed_at", "application_number", "package_sha256"}
    varying |= {"files", "filing_date"}
    return {k: v for k, v in receipt.items() if k not in varying}


def test_a_third_party_change_on_an_unknown_number_is_answered_as_on_an_unpublished_one(
    client, owner, stranger, tmp_path
):
    known = _third_party_change(client, stranger, tmp_path, owner["number"], "known.zip")
    unknown_number = _unknown_number(owner["number"])
    unknown = _third_party_change(client, stranger, tmp_path, unknown_number, "unknown.zip")
    assert known.status_code == unknown.status_code == 201, unknown.text
    a, b = known.json(), unknown.json()
    assert a.keys() == b.keys()
    assert b["application_number"] == unknown_number
    assert a["application_filing_date"] is b["application_filing_date"] is None
    receipts = [
        client.get(
            f"/api/v1/receipts/{r['receipt_id']}",
            params={"format": "json"},
            headers=auth(stranger["token"]),
        ).json()
        for r in (a, b)
    ]
    assert _shape(receipts[0]) == _shape(receipts[1])
    # The office sees that the number is unknown, cannot accept it, and refuses it.
    work = client.get("/api/v1/office/worklist", headers=auth(owner["office"])).json()
    row = next(w for w in work if w["id"] == b["submission_id"])
    assert row["application_number"] == unknown_number and row["case_status"] == "unknown"
    assert row["transfers_to"] is None
    console = client.get("/office", headers=auth(owner["office"]))
    assert console.status_code == 200 and unknown_number in console.text
    assert "申请号不存在：只能不受理" in console.text
    row_html = console.text.split(f'data-submission="{b["submission_id"]}"')[1].split("</tr>")[0]
    assert "/accept" not in row_html and "/refuse" in row_html
    accept = client.post(
        f"/api/v1/office/submissions/{b['submission_id']}/accept", headers=auth(owner["office"])
    )
    assert accept.status_code == 409 and accept.json()["error"]["code"] == "APPLICATION_UNKNOWN"
    refused = client.post(
        f"/api/v1/office/submissions/{b['submission_id']}/refuse",
        json={"reason": "申请号不存在。"},
        headers=auth(owner["office"]),
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused"
    notices = client.get("/api/v1/notices", headers=auth(stranger["token"])).json()
    assert [(n["code"], n["application_number"]) for n in notices] == [("200102", unknown_number)]
    # Replaying the same package answers the same, as for any filing.
    again = submit(client, stranger["token"], tmp_path / "unknown.zip")
    assert again.status_code == 200 and again.json()["replay"] is True, again.text
    assert again.json()["application_number"] == unknown_number


def test_an_invalidation_request_cannot_tell_unknown_from_ungranted(
    client, owner, stranger, tmp_path
):
    def request(number, name):
        package = build_followup(
            tmp_path / name,
            "invalidation",
            f"patent_number=ZL{number}",
            "decision_serial=2026010100000001",
            "patentee=杭州某某科技有限公司",
            "grounds.0=不具备新颖性",
            "applicants.0.name=赵新",
        )
        stranger["phone"].sign(stranger["token"], package)
        return submit(client, stranger["token"], package)

    unknown_number = _unknown_number(owner["number"])
    ungranted = request(owner["number"], "a.zip")
    unknown = request(unknown_number, "b.zip")
    assert ungranted.status_code == unknown.status_code == 422
    one, two = ungranted.json()["error"], unknown.json()["error"]
    assert one["code"] == two["code"] == "PATENT_NOT_GRANTED"
    for key in ("message", "message_en"):
        assert one[key].replace(owner["number"], "N") == two[key].replace(unknown_number, "N")
    assert one.get("details") == two.get("details")


def test_migration_0012_keeps_filings_and_their_receipts(client, owner, db, settings):
    """The rebuild of submissions and receipts (SQLite) keeps every row and every link."""
    from alembic import command

    from patentdesk.db import alembic_config

    # Columns added after 0010 cannot survive a downgrade below them (their migrations say
    # so): compare what 0010 had.
    later = {"receipts": {"record_signature"}, "notices": {"delivery"}}

    def snapshot():
        import sqlalchemy as sa

        with db.engine.connect() as conn:
            tables = ("submissions", "receipts", "notices")
            return [
                conn.exec_driver_sql(
                    "SELECT "
                    + ", ".join(
                        c["name"]
                        for c in sa.inspect(conn).get_columns(t)
                        if c["name"] not in later.get(t, set())
                    )
                    + f" FROM {t} ORDER BY id"
                ).all()
                for t in tables
            ]

    before = snapshot()
    assert before[0] and before[1]
    db.dispose()
    config = alembic_config(settings.database_url)
    command.downgrade(config, "0010_sign_window_approval")
    command.upgrade(config, "heads")
    assert snapshot() == before
    r = client.get(f"/api/v1/cases/by-number/{owner['number']}", headers=auth(owner["token"]))
    assert r.status_code == 200


@pytest.mark.parametrize("code", ["200905", "201003", "200102"])
def test_reexamination_and_invalidation_notices_to_another_domain_tell_nothing_unpublished(
    client, app, owner, stranger, code
):
    """Whatever brings a notice to another domain (a reexamination or an invalidation
    request, a refusal), it names an unpublished case by its number only; once the patent is
    granted its bibliographic data are public."""
    from patentdesk.blobs import blobs_for
    from patentdesk.filing.models import Case
    from patentdesk.identity.service import Context
    from patentdesk.notices import service as notices

    domain = client.get("/api/v1/me", headers=auth(stranger["token"])).json()["domain"]
    settings = app.state.settings

    def issue():
        with app.state.db.unit_of_work() as s:
            case = s.scalars(select(Case).where(Case.application_number == owner["number"])).one()
            notice = notices.issue(
                s,
                Context(settings),
                case=case,
                code=code,
                text="请求已收到。",
                domain_id=uuid.UUID(domain),
                blobs=blobs_for(settings),
            )
            return str(notice.id)

    hidden = issue()
    pdf = client.get(f"/api/v1/notices/{hidden}/pdf", headers=auth(stranger["token"]))
    text = pdf_text(pdf.content)
    assert owner["number"][:8] in text.replace(" ", "")
    assert TITLE not in text and APPLICANT not in text
    detail = client.get(f"/api/v1/notices/{hidden}", headers=auth(stranger["token"])).json()
    assert detail["title"] in (None, "")
    granted = client.post(
        "/api/v1/office/notices",
        json={"application_number": owner["number"], "code": "210413"},
        headers=auth(owner["office"]),
    )
    assert granted.status_code == 201, granted.text
    public = issue()
    text = pdf_text(
        client.get(f"/api/v1/notices/{public}/pdf", headers=auth(stranger["token"])).content
    )
    assert TITLE in text.replace("\n", "") and APPLICANT in text.replace("\n", "")
