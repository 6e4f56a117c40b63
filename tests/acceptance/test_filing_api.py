"""Submission, receipts, office console and notices through the HTTP API (both databases)."""

from __future__ import annotations

import io
import zipfile

import pytest

from patentdesk.packages.numbers import parse_application_number
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit


@pytest.fixture
def filer(world):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    return phone, phone.desktop_login()


def test_submit_assigns_a_number_and_a_signed_receipt(client, filer, tmp_path):
    phone, token = filer
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    out = r.json()
    assert parse_application_number(out["application_number"]).type_digit == 1
    again = submit(client, token, package)
    assert (
        again.status_code == 200 and again.json()["application_number"] == out["application_number"]
    )
    bundle = client.get(f"/api/v1/receipts/{out['receipt_id']}", headers=auth(token))
    assert bundle.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert set(names) == {"receipt.json", "receipt.json.p7s", "receipt.pdf", "receipt.pdf.p7s"}


def test_the_same_application_package_signed_again_is_not_filed_twice(client, app, filer, tmp_path):
    phone, token = filer
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    first = submit(client, token, package).json()
    original = package.read_bytes()
    phone.sign(token, package)  # a second signature: other bytes, the same package id
    r = submit(client, token, package)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "PACKAGE_ALREADY_FILED"
    assert first["application_number"] in error["message"]
    assert error["details"]["application_number"] == first["application_number"]
    package.write_bytes(original)  # a retry of the first submission still gets its answer
    again = submit(client, token, package)
    assert again.status_code == 200 and again.json()["submission_id"] == first["submission_id"]
    # Once the office has refused it (不受理), the corrected package may be filed anew.
    office = office_token(client, app)
    r = client.post(
        f"/api/v1/office/submissions/{first['submission_id']}/refuse",
        json={"reason": "申请文件不全"},
        headers=auth(office),
    )
    assert r.status_code == 200, r.text
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    assert r.json()["application_number"] != first["application_number"]


@pytest.mark.seed("A9")
def test_receipts_and_notices_across_sub_accounts_and_branches(client, app, world, tmp_path):
    handler = world.person("王经办")
    org = world.agency(handler)
    branch = world.branch(org, "上海分所")
    a, b, c = world.person("甲"), world.person("乙"), world.person("丙")
    sa, sb = world.sub_account(org, a), world.sub_account(org, b)
    sc = world.sub_account(org, c, branch=branch)
    pa, pb, pc = ApiPhone(world, a), ApiPhone(world, b), ApiPhone(world, c)
    ta = pa.desktop_login(f"sub:{sa['account_id']}")
    tb = pb.desktop_login(f"sub:{sb['account_id']}")
    tc = pc.desktop_login(f"sub:{sc['account_id']}")
    package = build_invention(tmp_path / "a.zip")
    pa.sign(ta, package)
    out = submit(client, ta, package).json()
    # Another sub-account of the same domain downloads the receipt; the branch cannot see it.
    assert client.get(f"/api/v1/receipts/{out['receipt_id']}", headers=auth(tb)).status_code == 200
    assert client.get(f"/api/v1/receipts/{out['receipt_id']}", headers=auth(tc)).status_code == 404
    assert (
        client.get(
            f"/api/v1/receipts/{out['receipt_id']}", headers=auth(org["handler_token"])
        ).status_code
        == 200
    )
    office = office_token(client, app)
    work = client.get("/api/v1/office/worklist", headers=auth(office)).json()
    sub = next(w for w in work if w["application_number"] == out["application_number"])
    accepted = client.post(
        f"/api/v1/office/submissions/{sub['id']}/accept", headers=auth(office)
    ).json()
    codes = {n["code"] for n in accepted["notices"]}
    assert "200101" in codes
    listed_b = client.get("/api/v1/notices", headers=auth(tb)).json()
    assert {n["code"] for n in listed_b} >= {"200101"}
    assert client.get("/api/v1/notices", headers=auth(tc)).json() == []
    notice = listed_b[0]
    pdf = client.get(f"/api/v1/notices/{notice['id']}/pdf", headers=auth(tb))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/notices/{notice['id']}/pdf", headers=auth(tc)).status_code == 404
    # Moving 丙 into the main institution moves the access with the sub-account.
    client.patch(
        f"/api/v1/org/subaccounts/{sc['account_id']}",
        json={"branch": "main"},
        headers=auth(org["handler_token"]),
    )
    assert client.get(f"/api/v1/notices/{notice['id']}/pdf", headers=auth(tc)).status_code == 200


@pytest.mark.seed("A10")
def test_main_account_cannot_sign_or_submit(client, world, tmp_path):
    org = world.agency(world.person())
    main = world.main_token(org)
    r = client.post("/api/v1/signing-requests", json={"digest": "a" * 64}, headers=auth(main))
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "USER_ID_LOOKUP_FAILED"
    assert "查询用户 ID 失败" in err["message"] and "主账户" in err["message"]
    package = build_invention(tmp_path / "x.zip")
    r = submit(client, main, package)
    assert r.status_code == 403 and r.json()["error"]["code"] == "USER_ID_LOOKUP_FAILED"


def test_signer_of_another_domain_cannot_submit(client, world, tmp_path):
    org = world.agency(world.person())
    branch = world.branch(org, "分所")
    a, c = world.person("甲"), world.person("丙")
    sa = world.sub_account(org, a)
    sc = world.sub_account(org, c, branch=branch)
    pa, pc = ApiPhone(world, a), ApiPhone(world, c)
    ta = pa.desktop_login(f"sub:{sa['account_id']}")
    tc = pc.desktop_login(f"sub:{sc['account_id']}")
    package = build_invention(tmp_path / "a.zip")
    pa.sign(ta, package)
    r = submit(client, tc, package)
    assert r.status_code == 403 and r.json()["error"]["code"] == "SIGNER_NOT_IN_DOMAIN"


def test_invalid_package_is_refused_with_the_rules(client, filer, tmp_path):
    phone, token = filer
    package = build_invention(tmp_path / "case.zip", title="")
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "PACKAGE_INVALID"
    assert any(e["field"] == "title" for e in err["details"]["errors"])


def test_altered_package_is_refused(client, filer, tmp_path):
    phone, token = filer
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    data = bytearray(package.read_bytes())
    i = data.find("折叠式".encode())
    data[i + 3] ^= 0x01
    package.write_bytes(bytes(data))
    r = submit(client, token, package)
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]["code"] != "INTERNAL"


def test_idempotency_key_reused_for_another_package(client, filer, tmp_path):
    phone, token = filer
    p1 = build_invention(tmp_path / "1.zip")
    p2 = build_invention(tmp_path / "2.zip", title="另一种自行车")
    phone.sign(token, p1)
    phone.sign(token, p2)
    assert submit(client, token, p1, key="K-1").status_code == 201
    r = submit(client, token, p2, key="K-1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_office_refuses_and_issues_notices(client, app, filer, tmp_path):
    phone, token = filer
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    out = submit(client, token, package).json()
    office = office_token(client, app)
    sub_id = out["submission_id"]
    r = client.post(
        f"/api/v1/office/submissions/{sub_id}/refuse", json={"reason": ""}, headers=auth(office)
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/office/submissions/{sub_id}/refuse",
        json={"reason": "请求书缺少签章"},
        headers=auth(office),
    )
    assert r.status_code == 200 and r.json()["notices"][0]["code"] == "200102"
    r = client.post(f"/api/v1/office/submissions/{sub_id}/accept", headers=auth(office))
    assert r.status_code == 409
    r = client.post(
        "/api/v1/office/notices",
        json={
            "application_number": out["application_number"],
            "code": "210401",
            "text": "权利要求1不具备新颖性。",
        },
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    notice = r.json()
    assert notice["deadline"] and len(notice["serial"]) == 16
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": out["application_number"], "code": "999999"},
        headers=auth(office),
    )
    assert r.status_code == 404
    # Users cannot use the office console.
    assert client.get("/api/v1/office/worklist", headers=auth(token)).status_code == 403


def test_the_streamed_upload_endpoints_are_documented(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/submissions"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/zip", "application/json"}
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["upload_id"]
    assert [p["name"] for p in post["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    put = spec["paths"]["/api/v1/uploads/{upload_id}"]["put"]
    assert "application/octet-stream" in put["requestBody"]["content"]
    assert any(p["name"] == "offset" for p in put["parameters"])
