"""The fee pages of the portal in a real headless Chromium: which schedule applies and why,
payments and balance, the three payment methods (the simulated bank included)."""

from __future__ import annotations

import json

import pytest

from tests.support.browser import web_login
from tests.support.factories import PASSWORD, World, auth
from tests.support.fees import file_package
from tests.support.inproc import ApiPhone, build_invention

pytestmark = pytest.mark.browser


@pytest.fixture
def live_world(live_server, settings):
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        yield World(http, settings.data)


# The pages are thin over the services that test_fees_api.py runs on both databases.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.seed("E1")
def test_fee_sheet_payments_and_balance_in_the_portal(page, live_world, settings, tmp_path):
    person = live_world.person("张三")
    phone = ApiPhone(live_world, person)
    token = phone.desktop_login()
    filed = file_package(live_world.client, phone, token, build_invention(tmp_path / "c.zip"))
    sheet = live_world.client.get(
        f"/api/v1/cases/{filed['case_id']}/fees", headers=auth(token)
    ).json()["sheet"]
    web_login(page, settings.data, person.phone, PASSWORD)

    # 缴费 in the navigation: the domain's fees due, then the case's fee page.
    page.click("header nav >> text=缴费")
    row = page.locator(f"tr[data-case='{filed['application_number']}']")
    assert row.locator(".outstanding").inner_text() == str(sheet["total"])
    row.locator("a").click()
    page.wait_for_selector("#fee-sheet")
    assert page.locator("#fees-schedule").inner_text() == "cnipa-domestic-2019-07-01"
    assert filed["filing_date"] in page.locator("#fees-why").inner_text()
    assert page.locator("#fees-state").inner_text() == "未缴费"
    assert page.locator("#sheet-total").inner_text() == str(sheet["total"])

    # Online banking for 100 yuan: the simulated bank's page, then back, under-paid.
    page.select_option("#pay-method", "online-banking")
    page.fill("#pay-amount", "100")
    page.click("#pay-submit")
    page.wait_for_selector("#bank")
    assert page.locator("#bank-amount").inner_text() == "100"
    page.click("#bank-pay")
    page.wait_for_selector("#flash")
    assert page.locator("#fees-state").inner_text() == "少缴"
    assert page.locator("#fees-paid").inner_text() == "100"

    # Authorized deduction: none authorised yet, then a wrong sheet, then the right one.
    page.select_option("#pay-method", "authorized-deduction")
    page.fill("#pay-sheet", json.dumps(sheet, ensure_ascii=False))
    page.click("#pay-submit")
    assert "授权扣款账户" in page.locator("#error").inner_text()
    page.goto("/fees")
    page.fill("#auth-name", "张三")
    page.fill("#auth-number", "6222021234567890")
    page.fill("#auth-bank", "工商银行")
    page.click("#auth-add")
    page.wait_for_selector("text=****7890")
    # Usable only once the bank verified it: the holder confirms at the (simulated) bank.
    assert page.locator("td.auth-status").get_attribute("data-status") == "pending"
    page.click("a.auth-verify")
    page.wait_for_selector("#bank-verify")
    assert page.locator("#bank-account-number").inner_text() == "****7890"
    page.click("#bank-verify")
    page.wait_for_selector("td.auth-status[data-status='verified']")
    page.goto(f"/cases/{filed['case_id']}/fees")
    wrong = {**sheet, "items": [{**sheet["items"][0], "amount": 1}, *sheet["items"][1:]]}
    page.select_option("#pay-method", "authorized-deduction")
    page.fill("#pay-sheet", json.dumps(wrong, ensure_ascii=False))
    page.click("#pay-submit")
    assert "费用计算页金额与" in page.locator("#error").inner_text()
    first = sheet["items"][0]
    correct = page.locator(f"#correct tr[data-code='{first['code']}'] .amount").inner_text()
    assert correct == str(first["amount"])
    assert page.locator("#payments tr[data-status='confirmed']").count() == 1
    page.select_option("#pay-method", "authorized-deduction")
    page.fill("#pay-sheet", json.dumps(sheet, ensure_ascii=False))
    page.click("#pay-submit")
    # The deduction waits for the bank: shown as pending, with no second payment offered.
    page.wait_for_selector("#pending-payment")
    assert page.locator("#pay-form").count() == 0
    assert page.locator("#fees-state").inner_text() == "少缴"
    page.click("#pending-continue")  # the simulated bank makes the deduction
    page.wait_for_selector("#bank")
    assert page.locator("#bank-amount").inner_text() == str(sheet["total"] - 100)
    page.click("#bank-pay")
    page.wait_for_selector("#flash")
    assert page.locator("#fees-state").inner_text() == "已缴足"
    assert page.locator("#payments tr[data-status='confirmed']").count() == 2
    assert page.locator("#pay-nothing-due").count() == 1

    # English on request.
    page.click("#lang-switch")
    page.wait_for_selector("text=Fee calculation sheet")
    assert page.locator("#fees-state").inner_text() == "paid in full"
