"""Issue 15 item 1: money enters in one bounded format, checked before any arithmetic.

``"1E+400000"`` froze the server for 19 s, ``"1E+999999999"`` was a 500 (decimal.Overflow)
and ``"1e-1000030"`` created a payment of 0 yuan.
"""

from __future__ import annotations

import pytest

from tests.support.factories import auth
from tests.support.fees import fees_of, pay
from tests.support.fees import file_package as file
from tests.support.inproc import ApiPhone, build_invention

HOSTILE = ["1E+400000", "1E+999999999", "1e-1000030", "1e2", "NaN", "-Infinity", " 1 000 "]


@pytest.fixture
def filed(client, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    case = file(client, phone, token, build_invention(tmp_path / "case.zip"))
    return {"case_id": case["case_id"], "token": token}


def test_hostile_amounts_are_refused_by_the_format_and_create_no_payment(client, filed):
    case_id, token = filed["case_id"], filed["token"]
    for bad in [*HOSTILE, "0", "0.00", "-5", "1.234", "abc", "10000000", "", True, [1], 1e300]:
        r = pay(client, token, case_id, method="online-banking", amount=bad)
        assert r.status_code == 422, (bad, r.status_code, r.text)
        err = r.json()["error"]
        assert err["code"] == "FEE_PAYMENT_AMOUNT_INVALID", (bad, err)
        assert err["details"]["field"] == "amount"
        assert "缴费金额" in err["message"] and "amount" in err["message_en"]
    assert fees_of(client, token, case_id)["payments"] == []
    # The format's own amounts still pay: fen, whole yuan as a JSON number, the largest.
    for good, expected in (("0.01", 0.01), (960, 960), ("960.50", 960.5), (12.5, 12.5)):
        r = pay(client, token, case_id, method="online-banking", amount=good)
        assert r.status_code == 201 and r.json()["amount"] == expected, (good, r.text)
        client.post(
            f"/api/v1/cases/{case_id}/payments/{r.json()['payment_id']}/cancel",
            headers=auth(token),
        )


def test_the_published_schema_states_the_amount_format(client):
    schema = client.get("/openapi.json").json()
    body = schema["components"]["schemas"]["PaymentIn"]["properties"]["amount"]
    texts = [s for s in body.get("anyOf", [body]) if s.get("type") == "string"]
    assert texts and texts[0]["maxLength"] <= 16 and texts[0]["pattern"].startswith("^")
    import re

    pattern = re.compile(texts[0]["pattern"])
    assert pattern.search("960.50") and pattern.search("0.01")
    for bad in ("1E+400000", "0", "0.00", "1.234", "-5", "10000000"):
        assert not pattern.search(bad), bad
