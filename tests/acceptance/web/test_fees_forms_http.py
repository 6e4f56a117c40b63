"""The portal's fee forms over HTTP (both databases): money in the one bounded format,
pending payments shown and cancelled, overpayments flagged with the refund route."""

from __future__ import annotations

import pytest

from tests.support.factories import auth
from tests.support.fees import fees_of
from tests.support.fees import file_package as file
from tests.support.inproc import ApiPhone, build_invention

CSRF = "fees-forms-csrf-token-0123456789"


@pytest.fixture
def desk(client, world, tmp_path):
    """A natural person who filed an invention, and a form poster with their session."""
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    case = file(client, phone, token, build_invention(tmp_path / "case.zip"))
    client.cookies.set("pd_csrf", CSRF)

    def call(method: str, url: str, **kw):  # type: ignore[no-untyped-def]
        headers = {"x-csrf-token": CSRF, **auth(token)}
        return client.request(method, url, headers=headers, follow_redirects=False, **kw)

    return {"case_id": case["case_id"], "token": token, "call": call}


def test_the_pay_form_refuses_hostile_amounts_clearly(client, desk):
    case_id, call = desk["case_id"], desk["call"]
    page = call("GET", f"/cases/{case_id}/fees")
    assert 'id="pay-amount"' in page.text and 'pattern="^' in page.text
    for bad in ("1E+400000", "1E+999999999", "1e-1000030", "0", "12.345"):
        r = call(
            "POST", f"/cases/{case_id}/fees/pay", data={"method": "online-banking", "amount": bad}
        )
        assert r.status_code == 422, (bad, r.status_code)
        assert "缴费金额" in r.text and "两位小数" in r.text, bad
    assert fees_of(client, desk["token"], case_id)["payments"] == []
