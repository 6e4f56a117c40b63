"""Seed E1: PCT fees across the 2023-01-01 schedule change, paid three ways.

«PCT 国际申请费用 2023 年费率于 2023 年 1 月 1 日生效后，对于 1 月 1 日至 10 日提交的国际申请，
如果选择网银缴费或者按照我局发出的缴费通知书进行缴费，均不受影响。如果选择授权扣款方式缴费，
需要……按照最新费用标准人工制作正确的费用计算页，或者等待我局发出缴费通知书，按照缴费通知书
指明的数额重新提交授权扣款的费用计算页。»
"""

from __future__ import annotations

import datetime as dt

import pytest

from patentdesk.fees import calculate, fee_input_from_package
from tests.support.factories import auth
from tests.support.fees import (
    bank_confirms,
    beijing,
    beijing_clock,
    build_pct,
    deducted,
    fees_of,
    file_package,
    pay,
    verified_authorization,
)
from tests.support.inproc import ApiPhone, office_token


@pytest.fixture
def clock():
    """From 2022-12-31 20:00 Beijing time (12:00 UTC), before the app exists."""
    with beijing_clock(beijing(2022, 12, 31, 20, 0)) as coordinates:
        yield coordinates


def _accept(client, office, submission_id):
    r = client.post(f"/api/v1/office/submissions/{submission_id}/accept", headers=auth(office))
    assert r.status_code == 200, r.text
    return {n["code"]: n for n in r.json()["notices"]}


@pytest.mark.seed("E1")
def test_pct_fees_across_the_2023_schedule_change(clock, client, app, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    # Filed on 2022-12-31, 20:00 Beijing time (12:00 UTC).
    late_2022 = file_package(client, phone, token, build_pct(tmp_path / "2022.zip"))
    assert late_2022["application_number"].startswith("PCT/CN2022/")
    assert late_2022["filing_date"] == "2022-12-31"

    clock.move_to(beijing(2023, 1, 5, 10, 0))
    phone = ApiPhone(world, person)  # last year's sessions have expired: log in again
    token = phone.desktop_login()
    package_2023 = build_pct(tmp_path / "2023.zip", title="一种可折叠的电动滑板车")
    early_2023 = file_package(client, phone, token, package_2023)
    by_bank = file_package(client, phone, token, build_pct(tmp_path / "bank.zip", title="网银"))
    assert early_2023["filing_date"] == by_bank["filing_date"] == "2023-01-05"

    # Different schedules, each the one in force on its international filing date.
    fees_2022 = fees_of(client, token, late_2022["case_id"])
    fees_2023 = fees_of(client, token, early_2023["case_id"])
    assert fees_2022["schedule"]["id"] == "pct-cnipa-ro-2021-12-01"
    assert fees_2023["schedule"]["id"] == "pct-cnipa-ro-2023-01-01"
    assert "2023-01-05" in fees_2023["explanation"]["zh"]
    assert "2022-12-31" in fees_2023["explanation"]["zh"]  # and who got the old rates
    amounts_2022 = {i["code"]: i["amount"] for i in fees_2022["sheet"]["items"]}
    amounts_2023 = {i["code"]: i["amount"] for i in fees_2023["sheet"]["items"]}
    assert amounts_2022["pct_international_filing"] == 9260
    assert amounts_2023["pct_international_filing"] == 9620
    assert fees_2023["due"] == 500 + 2100 + 9620 - 1450
    assert fees_2023["state"] == "unpaid" and fees_2023["balance"] == -fees_2023["due"]
    # The receipt carries the same sheet.
    receipt = client.get(
        f"/api/v1/receipts/{early_2023['receipt_id']}",
        params={"format": "json"},
        headers=auth(token),
    ).json()
    assert receipt["fee_sheet"]["schedule"]["id"] == "pct-cnipa-ro-2023-01-01"

    office = office_token(client, app)
    payment_notices = {}
    for filed in (late_2022, early_2023, by_bank):
        notices = _accept(client, office, filed["submission_id"])
        assert {"200101", "200701"} <= set(notices)
        payment_notices[filed["case_id"]] = notices["200701"]["serial"]

    # Authorized deduction needs an authorised account of the domain, verified by the bank.
    account = {"account_name": "张三", "account_number": "6222 0212 3456 7890", "bank": "工商银行"}
    assert verified_authorization(client, token, account)["account_number"] == "****7890"

    # A sheet made at the 2022 rates (as the old offline client would) is refused, with the
    # correct amounts listed.
    stale = calculate(fee_input_from_package(package_2023), dt.date(2022, 12, 31)).to_json()
    assert stale["schedule"]["id"] == "pct-cnipa-ro-2021-12-01"
    r = pay(client, token, early_2023["case_id"], method="authorized-deduction", sheet=stale)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "FEE_SHEET_MISMATCH"
    assert "9,620" in err["message"] and "10,770" in err["message"]
    correct = {i["code"]: i["amount"] for i in err["details"]["correct"]["items"]}
    assert correct == amounts_2023
    assert err["details"]["correct"]["total"] == fees_2023["due"]
    assert fees_of(client, token, early_2023["case_id"])["payments"] == []

    # The office issues a payment notice stating the correct amounts …
    stated = calculate(fee_input_from_package(package_2023), dt.date(2023, 1, 5)).to_json()
    r = client.post(
        "/api/v1/office/notices",
        json={
            "application_number": early_2023["application_number"],
            "code": "200701",
            "data": {"fee_sheet": stated},
        },
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    serial = r.json()["serial"]
    assert "9620" in r.json()["text"]
    # … which the applicant reads in the case's fees, and makes a new sheet with its amounts.
    restated = fees_of(client, token, early_2023["case_id"])
    charge = restated["charges"][0]
    assert charge["notice_serial"] == serial
    done = deducted(client, token, early_2023["case_id"], charge["sheet"])
    assert done["status"] == "confirmed" and done["amount"] == fees_2023["due"]
    paid = fees_of(client, token, early_2023["case_id"])
    assert paid["state"] == "paid" and paid["balance"] == 0

    # Online banking and paying by the office's payment notice are unaffected: the amounts
    # come from the system, at the rates of each filing date.
    for filed, method, expected in (
        (by_bank, "online-banking", fees_2023["due"]),
        (late_2022, "payment-notice", fees_2022["due"]),
    ):
        r = pay(
            client,
            token,
            filed["case_id"],
            method=method,
            notice_serial=payment_notices[filed["case_id"]],
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "pending" and r.json()["amount"] == expected
        done = bank_confirms(client, r.json()["pay_url"])
        assert done.status_code == 200 and done.json()["status"] == "confirmed", done.text
        assert fees_of(client, token, filed["case_id"])["state"] == "paid"
