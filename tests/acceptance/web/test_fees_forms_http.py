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


def test_a_pending_payment_is_shown_cancelled_and_an_overpayment_flagged(client, app, desk):
    from patentdesk.fees.gateway import SimulatedBank

    case_id, call, token = desk["case_id"], desk["call"], desk["token"]
    due = fees_of(client, token, case_id)["due"]
    r = call("POST", f"/cases/{case_id}/fees/pay", data={"method": "online-banking", "amount": "5"})
    assert r.status_code == 303 and "/sim-bank/pay/" in r.headers["location"]
    left = fees_of(client, token, case_id)["pending_payment"]
    # The case's page shows it, with the way to the bank and a cancel button, not a new form.
    page = call("GET", f"/cases/{case_id}/fees")
    assert (
        f'data-payment="{left["payment_id"]}"' in page.text and 'id="pending-cancel"' in page.text
    )
    assert left["pay_url"] in page.text and 'id="pay-form"' not in page.text
    assert "待银行确认" in page.text
    # Paying again is refused with the pending payment named.
    r = call("POST", f"/cases/{case_id}/fees/pay", data={"method": "online-banking"})
    assert r.status_code == 409 and left["payment_id"] in r.text
    # Cancelled from the page; then the rest is paid and nothing more is asked.
    r = call("POST", f"/cases/{case_id}/fees/payments/{left['payment_id']}/cancel")
    assert r.status_code == 303 and r.headers["location"].endswith("?cancelled=1")
    page = call("GET", f"/cases/{case_id}/fees?cancelled=1")
    assert "该笔缴费已撤销" in page.text and 'id="pay-form"' in page.text
    r = call("POST", f"/cases/{case_id}/fees/pay", data={"method": "online-banking"})
    assert r.status_code == 303
    bank = client.post(r.headers["location"].split("testserver", 1)[1], data={"decision": "pay"})
    assert bank.status_code in (200, 303)
    page = call("GET", f"/cases/{case_id}/fees")
    assert 'id="pay-nothing-due"' in page.text and 'id="fees-refund"' not in page.text
    # The bank confirms the withdrawn order after all: the surplus is flagged, with the route.
    body, headers = SimulatedBank(app.state.settings).callback(
        left["pay_url"].rsplit("/", 1)[1], 500
    )
    assert (
        client.post(
            "/api/v1/payments/callbacks/simulated", content=body, headers=headers
        ).status_code
        == 200
    )
    page = call("GET", f"/cases/{case_id}/fees")
    assert 'id="fees-refund"' in page.text and "意见陈述书（关于费用）" in page.text
    assert fees_of(client, token, case_id)["paid"] == due + 5
    english = call("GET", f"/cases/{case_id}/fees?lang=en")
    assert "Refund of an over-payment" in english.text and "refunded on request" in english.text
