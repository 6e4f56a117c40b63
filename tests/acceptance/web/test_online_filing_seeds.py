"""The seed's operation answers (C1, C3, C4, C7, C8, C9, C10) and the agency's shared
drafts (A6, A10), each in a real headless Chromium on the portal's own pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages import ValidationContext, read_package, validate
from patentdesk.timeutil import beijing_date
from tests.support.apiphone import ApiPhone
from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.factories import World, valid_uscc
from tests.support.webfiling import (
    browser_page,
    field,
    fill_invention,
    log_in,
    log_in_main_account,
    new_draft,
    save,
    shot,
    sign,
    sign_and_submit,
    upload,
    wait_valid,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def live_world(live_server: Any, settings: Any) -> Any:
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        yield World(http, settings.data)


@pytest.mark.seed("A6")
@pytest.mark.seed("A10")
def test_the_domains_drafts_are_shared_and_a_stale_save_loses_nothing(
    browser: Any, live_server: Any, live_world: Any, settings: Any
) -> None:
    desk = agency_desk(live_world)
    org = desk.org
    with (
        browser_page(browser, live_server) as main,
        browser_page(browser, live_server) as handler,
        browser_page(browser, live_server) as sub,
    ):
        # The main account prepares a draft, but it cannot sign (A10).
        log_in_main_account(main, org["uscc"])
        draft_id = new_draft(main, "invention")
        field(main, "title").fill("一种折叠椅")
        save(main)
        assert main.locator("#draft-sign").is_disabled()
        assert "不能签名" in main.locator("#sign-refused").inner_text()
        shot(main, "a10-main-account")

        # The handler and a sub-account of the same domain see and open it (A6).
        log_in(handler, settings.data, desk.handler, f"handler:{org['org_id']}")
        handler.goto("/drafts")
        handler.click(f"tr[data-draft='{draft_id}'] a")
        handler.wait_for_selector("#draft-form")
        assert field(handler, "title").input_value() == "一种折叠椅"
        # Not complete yet: «签名» says so in words and leads back to the draft.
        handler.click("#draft-sign")
        handler.wait_for_selector("#error")
        assert "个错误" in handler.locator("#error").inner_text()
        handler.click("#back-to-draft")
        handler.wait_for_selector("#draft-form")
        log_in(sub, settings.data, desk.sub_person, f"sub:{desk.sub['account_id']}")
        sub.goto("/drafts")
        assert sub.locator(f"tr[data-draft='{draft_id}']").count() == 1
        # The branch's sub-account is another domain: not there.
        with browser_page(browser, live_server) as branch:
            log_in(
                branch, settings.data, desk.branch_person, f"sub:{desk.branch_sub['account_id']}"
            )
            branch.goto("/drafts")
            assert branch.locator(f"tr[data-draft='{draft_id}']").count() == 0
            branch.goto(f"/drafts/{draft_id}")
            assert branch.locator("#draft-form").count() == 0

        # The handler saves first; the main account's page is now stale.
        field(handler, "title").fill("一种可折叠的椅子")
        save(handler)
        field(main, "title").fill("一种折叠凳")
        main.click("#draft-save")
        main.wait_for_selector("#form-error")
        assert "修改" in main.locator("#form-error").inner_text()
        # Nothing lost: the handler's version is shown, and what the main account typed is
        # listed beside it with the field's label.
        assert field(main, "title").input_value() == "一种可折叠的椅子"
        unsaved = main.locator("#unsaved li[data-field='title']")
        assert "一种折叠凳" in unsaved.inner_text() and "发明创造名称" in unsaved.inner_text()
        shot(main, "a6-stale-save")
        main.reload()
        assert field(main, "title").input_value() == "一种可折叠的椅子"


@pytest.mark.seed("C1")
@pytest.mark.seed("C8")
def test_agency_fields_follow_the_role(
    browser: Any, live_server: Any, live_world: Any, settings: Any
) -> None:
    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    with browser_page(browser, live_server) as page:
        # As a natural person (the same user before choosing the agency role): the agency
        # section is there but locked, with the reason.
        log_in(page, settings.data, handler)
        new_draft(page, "invention")
        assert page.locator("fieldset[data-group='agency']").get_attribute("disabled") is not None
        assert field(page, "agency.name").is_disabled()
        assert "代理机构" in page.locator("#agency-locked").inner_text()
        shot(page, "c8-natural")
        # As the agency's handler: editable, and saved.
        page.goto("/desk")
        page.select_option("#role", f"handler:{org['org_id']}")
        page.click("#role-submit")
        page.wait_for_load_state()
        new_draft(page, "invention")
        assert page.locator("fieldset[data-group='agency']").get_attribute("disabled") is None
        field(page, "agency.name").fill("北京某某专利代理有限公司")
        field(page, "agency.code").fill("11001")
        save(page)
        page.reload()
        assert field(page, "agency.name").input_value() == "北京某某专利代理有限公司"
        # An agency needs a power of attorney: said in words where it is uploaded.
        wait_valid(page, ok=False)
        errors = page.locator("#attachments-section .field-error").all_inner_texts()
        assert any("委托书" in e for e in errors), errors


@pytest.mark.seed("C3")
def test_a_natural_person_makes_a_complete_package(
    browser: Any, live_server: Any, live_world: Any, settings: Any, tmp_path: Path
) -> None:
    person = live_world.person("张三")
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, person)
        new_draft(page, "invention")
        fill_invention(page, valid_uscc())
        wait_valid(page)
        with page.expect_download() as info:
            page.click("#draft-download")
        saved = tmp_path / "case.zip"
        info.value.save_as(saved)
    with read_package(saved) as package:
        assert validate(package, ValidationContext(role="natural")).ok
        assert "agency" not in package.form


@pytest.mark.seed("C4")
def test_change_from_the_case_shows_current_values(
    browser: Any, live_server: Any, live_world: Any, settings: Any, db: Any
) -> None:
    desk = agency_desk(live_world)
    phone = ApiPhone.bind(live_world.client, desk.sub_person)
    case = add_case(
        db,
        desk.main_domain,
        desk.sub_person.user_id,
        inventors=[{"name": "张三"}, {"name": "李四"}],
        org_id=desk.org["org_id"],
    )
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, desk.sub_person, f"sub:{desk.sub['account_id']}")
        page.goto(f"/cases/{case.id}")
        page.click("#start-change")
        page.wait_for_selector("#current-values")
        current = page.locator("#current-values tr[data-item='inventor'] .current-value")
        assert current.inner_text() == "张三、李四"
        # The e-filing user after the change is the current login, editable (C4).
        assert field(page, "efiling_user_after.name").input_value() == desk.sub_person.name
        assert field(page, "application_number").input_value() == case.application_number
        shot(page, "c4-change")
        # «变更此项»: only the inventors change; the value before is filled in.
        page.click("#current-values tr[data-item='inventor'] button.change-item")
        page.wait_for_selector("#draft-form")
        assert field(page, "changes.0.item").input_value() == "inventor"
        assert field(page, "changes.0.before").input_value() == "张三、李四"
        field(page, "changes.0.after").fill("张三、王五")
        field(page, "efiling_user_after.name").fill("杭州某某科技有限公司")
        save(page)
        wait_valid(page)
        number = sign_and_submit(page, phone)
        assert number == case.application_number


@pytest.mark.seed("C7")
def test_general_power_of_attorney_needs_a_method_any_method(
    browser: Any, live_server: Any, live_world: Any, settings: Any
) -> None:
    person = live_world.person("张三")
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, person)
        new_draft(page, "invention")
        fill_invention(page, valid_uscc())
        wait_valid(page)
        field(page, "applicants.0.general_poa_number").fill("ZW2026000123")
        save(page)
        wait_valid(page, ok=False)
        error = page.locator(".field-error[data-for='applicants.0.general_poa_method']")
        assert error.count() == 1 and "备案方式" in error.inner_text()
        assert "applicants.0" not in page.locator("#findings").inner_text()
        shot(page, "c7-poa-method")
        for method in ("paper", "online", "process_service"):
            field(page, "applicants.0.general_poa_method").select_option(method)
            save(page)
            wait_valid(page)


@pytest.mark.seed("C9")
def test_an_imported_case_loses_a_defective_file_and_is_filed_again(
    browser: Any, live_server: Any, live_world: Any, settings: Any, tmp_path: Path
) -> None:
    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    phone = ApiPhone.bind(live_world.client, handler)
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, handler, f"handler:{org['org_id']}")
        new_draft(page, "invention")
        fill_invention(page, valid_uscc())
        upload(page, "drawings", "bad.txt", "这不是附图\n")
        with page.expect_download() as info:
            page.click("#draft-download")
        exported = tmp_path / "case.zip"
        info.value.save_as(exported)
        # Imported, listed, «修改» opens it: the defective file is deleted there.
        page.goto("/drafts")
        page.set_input_files("#import-file", str(exported))
        page.click("#import-submit")
        page.wait_for_selector("#draft-form")
        page.click("tr[data-role='drawings'] button.delete")
        page.wait_for_selector("tr[data-role='drawings']", state="detached")
        wait_valid(page)
        number = sign_and_submit(page, phone)
        assert number.startswith("20")
        receipt_url = page.url
        # The draft it was exported from is the same package (its id): filed too, so it
        # leaves the unsubmitted list — as a package filed with the desktop client does.
        page.goto("/drafts")
        assert page.locator("#drafts tr[data-draft]").count() == 0
        assert page.locator("#drafts-filed tr[data-filed]").count() == 2
    # Someone of another domain does not learn the receipt exists.
    stranger = live_world.person("路人")
    with browser_page(browser, live_server) as other:
        log_in(other, settings.data, stranger)
        r = other.goto(receipt_url)
        assert r is not None and r.status == 404
        assert other.locator("#receipt").count() == 0


@pytest.mark.seed("C10")
def test_reexamination_citing_an_unknown_decision_is_refused_with_the_way_out(
    browser: Any, live_server: Any, live_world: Any, settings: Any, db: Any
) -> None:
    desk = agency_desk(live_world)
    phone = ApiPhone.bind(live_world.client, desk.sub_person)
    case = add_case(db, desk.main_domain, desk.sub_person.user_id, org_id=desk.org["org_id"])
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, desk.sub_person, f"sub:{desk.sub['account_id']}")
        new_draft(page, "reexam")
        field(page, "application_number").fill(case.application_number)
        field(page, "rejection_notice_serial").fill("2026999999999")
        page.click("[data-add=applicants]")
        field(page, "applicants.0.name").fill("杭州某某科技有限公司")
        field(page, "applicants.0.uscc").fill(valid_uscc())
        field(page, "applicants.0.address").fill("浙江省杭州市西湖区文三路1号")
        field(page, "applicants.0.postal_code").fill("310012")
        save(page)
        upload(page, "statement", "statement.txt", "复审请求理由。\n")
        wait_valid(page)
        sign(page, phone)
        page.click("#submit-button")
        error = page.locator("#submit-error")
        error.wait_for()
        assert "驳回通知书发文序列号对应通知信息不存在" in error.inner_text()
        assert "云端二次下载" in error.inner_text()
        shot(page, "c10-refused")
        # With the decision known to the domain, «请求复审» on it files.
        # … dispatched ten days ago: the three months to request reexamination still run.
        recent = beijing_date() - dt.timedelta(days=10)
        rejection = add_notice(db, case, "210407", name="驳回决定", dispatch_date=recent)
        page.goto(f"/cases/{case.id}")
        page.locator(f"tr[data-serial='{rejection.serial}'] button.start-reexam").click()
        page.wait_for_selector("#draft-form")
        upload(page, "statement", "statement.txt", "复审请求理由。\n")
        wait_valid(page)
        assert sign_and_submit(page, phone) == case.application_number


@pytest.mark.seed("C6")
def test_inside_a_no_scan_window_the_browser_signs_without_a_scan(
    browser: Any, live_server: Any, live_world: Any, settings: Any
) -> None:
    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    phone = ApiPhone.bind(live_world.client, handler)
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, handler, f"handler:{org['org_id']}")
        new_draft(page, "invention")
        fill_invention(page, valid_uscc(), title="一种折叠椅")
        wait_valid(page)
        sign_and_submit(page, phone)  # the first one: a scan

        # On the phone: a no-scan window for this browser's login.
        sessions = live_world.client.get("/api/v1/me/sessions", headers=phone.headers).json()
        web = [s for s in sessions if s["client_kind"] == "web" and s.get("has_session_key")]
        assert len(web) == 1, sessions
        r = phone.open_window(30, web[0]["id"])
        assert r.status_code == 201, r.text

        new_draft(page, "invention")
        fill_invention(page, valid_uscc(), title="一种折叠桌")
        wait_valid(page)
        page.click("#draft-sign")
        page.wait_for_url("**/submit?signed=window")  # no QR code on the way
        assert page.locator("#signed-in-window").count() == 1
        shot(page, "c6-window-signed")
        page.click("#submit-button")
        page.wait_for_url("**/receipts/**", timeout=30_000)
        page.wait_for_selector("#receipt-verification[data-valid=true]")

        # Closed on the phone: the next signature needs a scan again.
        assert phone.close_windows().status_code == 200
        new_draft(page, "invention")
        fill_invention(page, valid_uscc(), title="一种折叠凳")
        wait_valid(page)
        page.click("#draft-sign")
        page.wait_for_selector("#sign-code[data-payload]")
