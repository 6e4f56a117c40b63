"""Account pages in a real headless Chromium."""

from __future__ import annotations

import pytest

from tests.support.browser import web_login
from tests.support.factories import PASSWORD, World

pytestmark = pytest.mark.browser


@pytest.fixture
def live_world(live_server, settings):
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        yield World(http, settings.data)


@pytest.mark.seed("A2")
@pytest.mark.seed("A8")
def test_handler_manages_branches_and_sub_accounts_only_in_the_handler_role(
    page, live_world, settings
):
    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    colleague = live_world.person("赵代理")
    web_login(page, settings.data, handler.phone, PASSWORD)
    # Logged in as a plain natural person: only "my account", no account management.
    assert page.locator("#current-role").inner_text() == "自然人"
    assert page.locator("#nav-manage").count() == 0
    assert page.locator("#nav-account").count() == 1
    # Switch to the handler role: 我的办公桌 → 账户管理 appears.
    page.select_option("#role", f"handler:{org['org_id']}")
    page.click("#role-submit")
    page.wait_for_selector("#nav-manage")
    assert page.locator("#current-role").inner_text() == "经办人"
    page.click("#nav-manage")
    page.wait_for_selector("#branches")
    page.fill("#branch-name", "上海分所")
    page.click("#branch-add")
    page.wait_for_selector("tr[data-branch='上海分所']")
    page.fill("#sub-phone", colleague.phone)
    page.fill("#sub-name", "赵代理")
    page.select_option("#sub-branch", label="上海分所")
    page.click("#sub-add")
    row = page.locator(f"tr[data-subaccount='{colleague.phone}']")
    row.wait_for()
    assert row.locator(".domain").inner_text() == "上海分所"
    # Move the sub-account back to the main institution, then disable it.
    row.locator("select[name=branch]").select_option("main")
    row.locator("button.move").click()
    page.wait_for_load_state()
    row = page.locator(f"tr[data-subaccount='{colleague.phone}']")
    assert row.locator(".domain").inner_text() == "主机构"
    row.locator("button.toggle").click()
    page.wait_for_load_state()
    assert "已停用" in page.locator(f"tr[data-subaccount='{colleague.phone}']").inner_text()
    # A bad phone gets a clear error on the page, nothing added.
    page.fill("#sub-phone", "123")
    page.fill("#sub-name", "某人")
    page.click("#sub-add")
    assert "手机号格式不正确" in page.locator("#error").inner_text()


@pytest.mark.seed("A1")
def test_register_then_login_with_sms_on_the_web(page, settings):
    from tests.support.factories import last_sms_code, unique_phone, valid_id_number

    phone = unique_phone()
    page.goto("/register")
    page.fill("#phone", phone)
    page.click("#send-code")  # 获取验证码: the phone number is proved first
    page.wait_for_selector("#flash")
    assert phone[:3] + "****" + phone[-4:] in page.locator("#flash").inner_text()
    page.fill("#name", "孙七")
    page.fill("#id_number", valid_id_number())
    page.fill("#password", PASSWORD)
    page.fill("#sms_code", "000000" if last_sms_code(settings.data, phone) != "000000" else "1")
    page.click("#register-submit")
    assert page.locator("#error").inner_text() == "短信验证码错误或已过期"
    assert page.locator("#name").input_value() == "孙七"  # kept; the password is typed again
    page.fill("#password", PASSWORD)
    page.fill("#sms_code", last_sms_code(settings.data, phone))
    page.click("#register-submit")
    page.wait_for_selector("#flash")
    page.goto("/register")
    page.fill("#phone", phone)
    page.click("#send-code")
    assert page.locator("#error").inner_text() == "该手机号已注册"
    web_login(page, settings.data, phone, PASSWORD)
    assert "孙七" in page.locator("#who").inner_text()


@pytest.mark.seed("A5")
def test_environment_and_english_switch(page):
    page.goto("/login")
    assert page.locator("#environment").get_attribute("data-env") == "test"
    assert "测试环境" in page.locator("#environment").inner_text()  # named, not coded
    page.click("#lang-switch")
    page.wait_for_selector("text=Password login")
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "en"


def test_a_person_added_to_an_organisation_leaves_it_from_the_account_page(
    page, live_world, settings, tmp_path
):
    org = live_world.agency(live_world.person("王经办"))
    person = live_world.person("赵代理")
    live_world.sub_account(org, person)
    web_login(page, settings.data, person.phone, PASSWORD)
    page.goto("/account")
    row = page.locator(f"#memberships tr[data-org='{org['org_id']}']")
    row.wait_for()
    assert org["name"] in row.inner_text() and "子账户" in row.inner_text()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"account-orgs-{width}.png"), full_page=True)
    page.goto("/account?lang=en")
    row.wait_for()
    assert "Sub-account" in row.inner_text()
    page.screenshot(path=str(tmp_path / "account-orgs-en.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())  # «Leave?»
    row.locator("button.leave").click()
    page.wait_for_selector("#left-message")
    assert org["name"] in page.locator("#left-message").inner_text()
    page.screenshot(path=str(tmp_path / "account-left-en.png"), full_page=True)
    page.click("#back-to-account")
    page.wait_for_selector("#no-memberships")
    r = live_world.client.get(
        "/api/v1/org/subaccounts", headers={"Authorization": f"Bearer {org['handler_token']}"}
    )
    (sub,) = [s for s in r.json() if s["phone"] == person.phone]
    assert sub["left_at"] and sub["disabled"] is True
