"""What a third party learns of a case that is not its own (issue 15, items 3 and 11): a
notice sent to a domain other than the case's carries no unpublished bibliographic data, and
a filing on an unknown number is answered as one on an unpublished case is."""

from __future__ import annotations

import re

import pytest

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
