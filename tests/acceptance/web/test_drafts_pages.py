"""业务采集 (business collection) in a real headless Chromium: drafts of case packages.

The browser tests run on SQLite only: drafts live in the data folder, the database is only
the login, and the PostgreSQL variant of the login is covered by the account page tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patentdesk.packages import ValidationContext, read_package, validate
from tests.support.browser import web_login
from tests.support.factories import PASSWORD, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

CLAIMS = "1. 一种折叠式电动自行车，包括车架。\n2. 根据权利要求1所述的电动自行车，其特征在于车架可折叠。\n"
DESCRIPTION = "技术领域\n本发明涉及一种折叠式电动自行车。\n"
ABSTRACT = "一种折叠式电动自行车，便于携带。\n"
SHOTS = os.environ.get("PATENTDESK_SCREENSHOTS")


@pytest.fixture
def live_world(live_server, settings):
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        yield World(http, settings.data)


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def field(page, path: str):
    return page.locator(f'[name="{path}"]:not([type=hidden])')


def new_draft(page, business_type: str = "invention") -> str:
    page.click("a[href='/drafts']")
    page.select_option("#business-type", business_type)
    page.click("#draft-create")
    page.wait_for_selector("#draft-form")
    return page.url


def upload(page, role: str, name: str, text: str) -> None:
    page.select_option("#upload-role", role)
    page.set_input_files(
        "#upload-file", {"name": name, "mimeType": "text/plain", "buffer": text.encode()}
    )
    page.click("#upload-submit")


def validation(page, ok: bool) -> None:
    page.wait_for_selector(f"#validation-result[data-ok={'true' if ok else 'false'}]")


@pytest.mark.seed("C9")
def test_invention_draft_from_errors_to_valid_and_downloaded(
    page, live_world, settings, browser, tmp_path
):
    person = live_world.person("张三")
    web_login(page, settings.data, person.phone, PASSWORD)
    url = new_draft(page)
    shot(page, "01-new")
    validation(page, ok=False)
    rules = {r.get_attribute("data-rule") for r in page.locator("li.finding").all()}
    assert {"title.required", "applicants.required", "inventors.required"} <= rules

    field(page, "title").fill("一种折叠式电动自行车")
    page.click("[data-add=applicants]")
    field(page, "applicants.0.name").fill("张三")
    field(page, "applicants.0.id_number").fill("11010519491231002X")
    field(page, "applicants.0.address").fill("浙江省杭州市西湖区文三路1号")
    field(page, "applicants.0.postal_code").fill("310012")
    page.click("[data-add=inventors]")
    field(page, "inventors.0.name").fill("张三")
    page.click("#draft-save")
    page.wait_for_selector("#form-status:has-text('已保存')")
    page.wait_for_selector("li.finding[data-rule='parts.required']")
    assert page.locator("li.finding[data-rule='title.required']").count() == 0

    upload(page, "claims", "claims.txt", CLAIMS)
    page.wait_for_selector("tr[data-entry='attachments/claims/claims.pdf']")
    upload(page, "description", "description.txt", DESCRIPTION)
    page.wait_for_selector("tr[data-entry='attachments/description/description.pdf']")
    upload(page, "abstract", "abstract.txt", ABSTRACT)
    page.wait_for_selector("tr[data-entry='attachments/abstract/abstract.pdf']")
    validation(page, ok=True)
    shot(page, "02-valid")

    # Deleting the abstract brings its rule error back.
    page.click("tr[data-entry='attachments/abstract/abstract.pdf'] button.delete")
    validation(page, ok=False)
    finding = page.locator("li.finding[data-rule='parts.required']")
    assert finding.get_attribute("data-field") == "attachments/abstract"
    assert "说明书摘要" in finding.inner_text()
    assert page.locator("tr[data-entry^='attachments/abstract/']").count() == 0
    upload(page, "abstract", "abstract.txt", ABSTRACT)
    validation(page, ok=True)

    with page.expect_download() as info:
        page.click("#draft-download")
    saved = tmp_path / "case.zip"
    info.value.save_as(saved)
    with read_package(saved) as package:
        assert package.business_type == "invention"
        assert package.form["title"] == "一种折叠式电动自行车"
        assert package.form["inventors"][0]["name"] == "张三"
        assert validate(package, ValidationContext(user_id=person.user_id)).ok

    # Someone else gets "not found" for this draft's address, and it is not in their list.
    other = live_world.person("李四")
    context = browser.new_context(base_url=page.url.split("/drafts")[0], locale="zh-CN")
    try:
        stranger = context.new_page()
        web_login(stranger, settings.data, other.phone, PASSWORD)
        response = stranger.goto(url)
        assert response is not None and response.status == 404
        assert "草稿不存在" in stranger.locator("#error").inner_text()
        response = stranger.goto(url + "/download")
        assert response is not None and response.status == 404
        stranger.goto("/drafts")
        assert stranger.locator("tr[data-draft]").count() == 0
    finally:
        context.close()


@pytest.mark.seed("C1")
@pytest.mark.seed("C5")
@pytest.mark.seed("C8")
def test_agency_section_follows_the_role_and_ic_layout_is_refused(page, live_world, settings):
    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    agent = live_world.person("赵代理")
    sub = live_world.sub_account(org, agent)
    web_login(page, settings.data, agent.phone, PASSWORD)

    # As a natural person: the agency section is there, disabled, and says why (C1, C8).
    new_draft(page, "utility")
    agency = page.locator("fieldset[data-group=agency]")
    assert agency.get_attribute("disabled") is not None
    assert "代理机构经办人或子账户" in page.locator("#agency-locked").inner_text()
    assert field(page, "agency.name").is_disabled()
    natural_drafts = page.url

    # IC layout designs have their own platform (C5): refused with that message.
    page.click("a[href='/drafts']")
    page.select_option("#business-type", "ic-layout")
    page.click("#draft-create")
    assert "集成电路布图设计电子申请平台" in page.locator("#error").inner_text()
    assert page.locator("tr[data-draft]").count() == 1

    # As the agency's sub-account: enabled; the agency data is saved (C8).
    page.goto("/desk")
    page.select_option("#role", f"sub:{sub['account_id']}")
    page.click("#role-submit")
    page.wait_for_selector("#current-role:has-text('子账户')")
    # The natural person's draft belongs to that role's domain, not to the agency's.
    assert page.goto(natural_drafts).status == 404
    new_draft(page, "invention")
    assert page.locator("#agency-locked").count() == 0
    assert page.locator("fieldset[data-group=agency]").get_attribute("disabled") is None
    assert field(page, "agency.name").is_enabled()
    field(page, "agency.name").fill(org["name"])
    field(page, "agency.code").fill(org["agency_code"])
    page.click("[data-add='agency.agents']")
    field(page, "agency.agents.0.name").fill("赵代理")
    field(page, "agency.agents.0.licence").fill("3301234567.8")
    page.click("#draft-save")
    page.wait_for_selector("#form-status:has-text('已保存')")
    page.reload()
    assert field(page, "agency.name").input_value() == org["name"]
    assert field(page, "agency.agents.0.name").input_value() == "赵代理"
