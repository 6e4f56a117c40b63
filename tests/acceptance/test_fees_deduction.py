"""Issue 15 item 2: no fee is marked paid without money moving.

Any domain member registered an authorized-deduction account («00000000», «不存在的银行»)
and the next deduction was ``confirmed`` at once, also in production. Now an authorisation
is usable only once the bank verified it (signed callback), a deduction stays pending until
the bank confirms it (signed callback), and only a non-production environment may simulate
the bank, when chosen explicitly.
"""

from __future__ import annotations

import pytest

from tests.support.factories import auth
from tests.support.fees import bank_confirms, fees_of, pay
from tests.support.fees import file_package as file
from tests.support.inproc import ApiPhone, build_invention

BOGUS = {"account_name": "随便", "account_number": "00000000", "bank": "不存在的银行"}


@pytest.fixture
def filed(client, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    case = file(client, phone, token, build_invention(tmp_path / "case.zip"))
    return {"case_id": case["case_id"], "token": token}


def test_an_unverified_account_deducts_nothing_and_a_deduction_waits_for_the_bank(client, filed):
    case_id, token = filed["case_id"], filed["token"]
    sheet = fees_of(client, token, case_id)["sheet"]
    created = client.post("/api/v1/fees/authorizations", json=BOGUS, headers=auth(token))
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["status"] == "pending" and account["active"] is False
    assert account["verify_url"]
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 409 and r.json()["error"]["code"] == "FEE_DEDUCTION_NOT_AUTHORIZED"
    assert "确认" in r.json()["error"]["message"]
    assert fees_of(client, token, case_id)["paid"] == 0
    # The bank refuses the account: still nothing.
    refused = bank_confirms(client, account["verify_url"], "reject")
    assert refused.status_code == 200 and refused.json()["status"] == "rejected", refused.text
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 409
    # A real account the bank verifies through its signed callback.
    good = client.post(
        "/api/v1/fees/authorizations",
        json={"account_name": "张三", "account_number": "6222021234567890", "bank": "工商银行"},
        headers=auth(token),
    ).json()
    verified = bank_confirms(client, good["verify_url"], "verify")
    assert verified.json()["status"] == "verified", verified.text
    listed = client.get("/api/v1/fees/authorizations", headers=auth(token)).json()
    assert {a["account_number"]: a["status"] for a in listed} == {
        "****0000": "rejected",
        "****7890": "verified",
    }
    # The deduction is asked for; nothing is paid until the bank confirms it, signed.
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    fees = fees_of(client, token, case_id)
    assert fees["paid"] == 0 and fees["state"] == "unpaid" and fees["pending"] == sheet["total"]
    done = bank_confirms(client, r.json()["pay_url"])
    assert done.json()["status"] == "confirmed", done.text
    assert fees_of(client, token, case_id)["state"] == "paid"


def test_a_forged_verification_changes_nothing(client, app, filed):
    from patentdesk.fees.gateway import SimulatedBank

    token = filed["token"]
    account = client.post("/api/v1/fees/authorizations", json=BOGUS, headers=auth(token)).json()
    reference = account["verify_url"].rsplit("/", 1)[1]
    body, headers = SimulatedBank(app.state.settings).authorization_callback(reference, "verified")
    url = "/api/v1/payments/callbacks/simulated"
    forged = {k: v[:-2] + "00" for k, v in headers.items()}
    r = client.post(url, content=body, headers=forged)
    assert r.status_code == 400 and r.json()["error"]["code"] == "PAYMENT_CALLBACK_INVALID"
    listed = client.get("/api/v1/fees/authorizations", headers=auth(token)).json()
    assert listed[0]["status"] == "pending"
    r = client.post(url, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "verified", r.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_an_explicit_gateway_nothing_is_simulated(client, app, filed):
    app.state.settings.payment_gateway = ""
    token, case_id = filed["token"], filed["case_id"]
    r = pay(client, token, case_id, method="online-banking", amount="1")
    assert r.status_code == 503 and r.json()["error"]["code"] == "PAYMENT_GATEWAY_NOT_CONFIGURED"
    r = client.post("/api/v1/fees/authorizations", json=BOGUS, headers=auth(token))
    assert r.status_code == 503, r.text
    assert client.get("/sim-bank/pay/anything").status_code == 404
    assert fees_of(client, token, case_id)["payments"] == []
