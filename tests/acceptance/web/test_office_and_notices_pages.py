"""The office console and the notice inbox in a real headless Chromium.

Data is prepared through the in-process API (the live server serves the same app), then
the pages are used the way a clerk and an agency's handler use them."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from patentdesk.timeutil import beijing_date
from tests.support.browser import web_login
from tests.support.factories import PASSWORD, auth, unique_phone
from tests.support.inproc import ApiPhone, build_followup, build_invention, office_token, submit
from tests.unit.notices.legacy_samples import sample_notices, with_changes, write_archive

pytestmark = pytest.mark.browser


def _office_user(app) -> str:
    from patentdesk.identity.service import Context, create_office_user

    phone = unique_phone()
    with app.state.db.unit_of_work() as s:
        create_office_user(
            s, Context(app.state.settings), phone=phone, name="审查员", password=PASSWORD
        )
    return phone


def _office_login(page, phone: str) -> None:
    """Office users log in with their password only (no SMS step)."""
    page.goto("/login")
    page.fill("#account", phone)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/office")


def _file(client, phone: ApiPhone, token: str, path, title: str) -> dict:
    package = build_invention(path, title=title)
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def filer(world):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    return person, phone, phone.desktop_login()


def test_office_console_accepts_refuses_and_issues_a_rejection(page, client, app, filer, tmp_path):
    _person, phone, token = filer
    first = _file(client, phone, token, tmp_path / "1.zip", "一种折叠式电动自行车")
    second = _file(client, phone, token, tmp_path / "2.zip", "一种电池快换结构")
    third = _file(client, phone, token, tmp_path / "3.zip", "一种车把折叠锁")
    _office_login(page, _office_user(app))
    assert page.locator("#worklist").is_visible()

    # Accept: the 受理通知书 is issued and shown with its dispatch serial.
    row = page.locator(f"tr[data-application='{first['application_number']}']")
    row.locator("button.accept").click()
    decision = page.locator("#decision")
    decision.wait_for()
    assert decision.get_attribute("data-status") == "accepted"
    serial_200101 = decision.locator(".issued-notice[data-code='200101'] .serial").inner_text()
    mine = client.get("/api/v1/notices", headers=auth(token)).json()
    assert {(n["code"], n["serial"]) for n in mine} >= {("200101", serial_200101)}
    assert page.locator(f"tr[data-application='{first['application_number']}']").count() == 0

    # Another clerk decided the second one meanwhile: a clear error, nothing changes.
    row = page.locator(f"tr[data-application='{second['application_number']}']")
    other_clerk = office_token(client, app)
    r = client.post(
        f"/api/v1/office/submissions/{second['submission_id']}/accept", headers=auth(other_clerk)
    )
    assert r.status_code == 200
    row.locator("button.accept").click()
    assert "该提交已处理" in page.locator("#error").inner_text()

    # Refusing needs a reason; with one, the 文件不受理通知书 is issued.
    row = page.locator(f"tr[data-application='{third['application_number']}']")
    row.locator("input.reason").fill("   ")
    row.locator("button.refuse").click()
    assert "请填写不受理理由" in page.locator("#error").inner_text()
    row = page.locator(f"tr[data-application='{third['application_number']}']")
    row.locator("input.reason").fill("请求书缺少申请人签章")
    row.locator("button.refuse").click()
    page.locator("#decision[data-status='refused']").wait_for()
    assert page.locator("#decision .issued-notice[data-code='200102']").count() == 1
    page.select_option("#status-filter", "refused")
    page.click("#worklist-filter-submit")
    refused = page.locator(f"tr[data-application='{third['application_number']}']")
    assert "请求书缺少申请人签章" in refused.locator(".status").inner_text()
    # A row's number starts the notice form.
    refused.locator("a.issue-for").click()
    page.wait_for_url("**number=**")
    assert page.input_value("#notice-application") == third["application_number"]

    # An unknown code is named in the error and the form keeps what was typed.
    page.fill("#notice-application", first["application_number"])
    page.fill("#notice-code", "999999")
    page.fill("#notice-text", "权利要求1不具备创造性。")
    page.click("#notice-submit")
    assert "未知的通知书代码" in page.locator("#error").inner_text()
    assert "999999" in page.locator("#error").inner_text()
    assert page.input_value("#notice-text") == "权利要求1不具备创造性。"

    # The rejection decision 210407: issued, its serial and deadline shown.
    page.fill("#notice-code", "210407")
    page.click("#notice-submit")
    page.wait_for_selector("#issued[data-code='210407']")
    serial = page.locator("#issued-serial").inner_text()
    assert len(serial) == 16 and serial.isdigit()
    notices = client.get("/api/v1/notices", params={"code": "210407"}, headers=auth(token)).json()
    assert [(n["serial"], n["deadline"]) for n in notices] == [
        (serial, page.locator("#issued-deadline").inner_text())
    ]
    case = client.get(
        f"/api/v1/cases/by-number/{first['application_number']}", headers=auth(token)
    ).json()
    assert case["status"] == "rejected"
    # Reloading the result page does not issue the decision twice.
    page.reload()
    assert (
        len(client.get("/api/v1/notices", params={"code": "210407"}, headers=auth(token)).json())
        == 1
    )


def test_users_cannot_open_the_office_console(page, world, settings):
    person = world.person("李四")
    web_login(page, settings.data, person.phone, PASSWORD)
    response = page.goto("/office")
    assert response.status == 403
    assert "审查员" in page.locator("#error").inner_text()
    assert page.locator("#worklist").count() == 0


@pytest.fixture
def agency_case(client, app, world, tmp_path, settings):
    """An agency whose handler filed an application that got 200101 and a 210407, plus
    notices migrated from its legacy system, one due in about ten days."""
    from patentdesk.blobs import blobs_for
    from patentdesk.identity.service import Context
    from patentdesk.notices.legacy_import import import_archive

    handler = world.person("王经办")
    org = world.agency(handler)
    phone = ApiPhone(world, handler)
    token = phone.desktop_login(f"handler:{org['org_id']}")
    out = _file(client, phone, token, tmp_path / "case.zip", "一种折叠式电动自行车")
    office = office_token(client, app)
    r = client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept", headers=auth(office)
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/v1/office/notices",
        json={
            "application_number": out["application_number"],
            "code": "210407",
            "text": "权利要求1不具备创造性。",
        },
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    # A 210403 (two months) dispatched 50 days ago, served electronically that day (2024
    # rules), is due in roughly ten days.
    recent = (beijing_date() - dt.timedelta(days=50)).isoformat()
    legacy = sample_notices(2)
    legacy[1] = with_changes(
        legacy[1], code="210403", name="第N次审查意见通知书", dispatched_on=recent
    )
    archive = write_archive(tmp_path / "legacy.zip", legacy)
    with app.state.db.unit_of_work() as s:
        report = import_archive(s, Context(settings), archive, org["uscc"], blobs_for(settings))
    assert report.imported == 2
    return {"handler": handler, "org": org, "token": token, "filing": out, "legacy": legacy}


def test_inbox_confirms_downloads_and_shows_deadlines(page, client, agency_case, settings):
    handler, org, token = agency_case["handler"], agency_case["org"], agency_case["token"]
    number = agency_case["filing"]["application_number"]
    notices = {n["code"]: n for n in client.get("/api/v1/notices", headers=auth(token)).json()}
    rejection, due_soon = notices["210407"], notices["210403"]
    web_login(page, settings.data, handler.phone, PASSWORD)
    page.select_option("#role", f"handler:{org['org_id']}")
    page.click("#role-submit")
    page.wait_for_selector("#nav-manage")

    # My Desk: unconfirmed notices and what falls due within 30 days.
    panel = page.locator("#desk-notices")
    assert panel.locator(f".desk-notice[data-serial='{rejection['serial']}']").count() == 1
    assert panel.locator(f".desk-deadline[data-serial='{due_soon['serial']}']").count() == 1
    assert panel.locator(f".desk-deadline[data-serial='{rejection['serial']}']").count() == 0

    page.click("header nav a[href='/notices']")
    page.wait_for_selector("#notices-list")
    for code in ("200101", "210407", "210403"):
        assert page.locator(f"#notices-list tr[data-code='{code}']").count() == 1

    # 接收确认 of the rejection decision.
    row = page.locator(f"tr[data-serial='{rejection['serial']}']")
    assert row.locator(".unconfirmed").count() == 1
    row.locator("button.confirm").click()
    page.wait_for_selector(f"tr[data-serial='{rejection['serial']}'] .confirmed")
    confirmed = client.get(f"/api/v1/notices/{rejection['id']}", headers=auth(token)).json()
    assert confirmed["confirmed_at"]

    # Filter: only unconfirmed ones, then by application number.
    page.check("#f-unconfirmed")
    page.click("#f-submit")
    page.wait_for_url("**unconfirmed=1**")
    assert page.locator(f"tr[data-serial='{rejection['serial']}']").count() == 0
    page.uncheck("#f-unconfirmed")
    page.fill("#f-number", number)
    page.click("#f-submit")
    page.wait_for_url(f"**application_number={number}**")
    assert {
        page.locator("#notices-list tr[data-code]").nth(i).get_attribute("data-code")
        for i in range(page.locator("#notices-list tr[data-code]").count())
    } >= {"200101", "210407"}
    assert page.locator("#notices-list tr[data-source='legacy']").count() == 0

    # Download one PDF.
    with page.expect_download() as info:
        page.locator(f"tr[data-serial='{rejection['serial']}'] a.download").click()
    download = info.value
    assert download.suggested_filename.endswith(f"210407-{rejection['serial']}.pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    # 全选 ticks every notice, a second click clears them.
    page.goto("/notices")
    boxes = page.locator("#notices-list input[name=ids]")
    assert boxes.count() >= 3
    page.click("#select-all")
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.click("#select-all")
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))

    # Download a selection as one ZIP.
    page.check(f"tr[data-serial='{rejection['serial']}'] input[name=ids]")
    page.check(f"tr[data-serial='{notices['200101']['serial']}'] input[name=ids]")
    with page.expect_download() as info:
        page.click("#download-selected")
    names = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())).namelist()
    assert sorted(n.split("-")[1] for n in names) == ["200101", "210407"]

    # Confirming nothing selected is a clear error.
    page.goto("/notices")
    page.click("#confirm-selected")
    assert "请先勾选通知书" in page.locator("#error").inner_text()

    # Deadlines with the days remaining, and the iCalendar export.
    page.click("#tab-deadlines")
    page.wait_for_selector("#deadlines")
    today = beijing_date()
    for notice in (rejection, due_soon):
        row = page.locator(f"#deadlines tr[data-serial='{notice['serial']}']")
        assert notice["deadline"] in row.inner_text()
        left = (dt.date.fromisoformat(notice["deadline"]) - today).days
        assert row.locator(".days-left").get_attribute("data-days") == str(left)
        assert f"剩余 {left} 天" in row.inner_text()
    with page.expect_download() as info:
        page.click("#ics-export")
    ics = Path(info.value.path()).read_bytes().decode("utf-8")
    assert ics.startswith("BEGIN:VCALENDAR") and number in ics


def test_cloud_re_download_shows_legacy_notices(page, client, agency_case, settings):
    handler, org = agency_case["handler"], agency_case["org"]
    legacy = agency_case["legacy"]
    web_login(page, settings.data, handler.phone, PASSWORD)
    page.select_option("#role", f"handler:{org['org_id']}")
    page.click("#role-submit")
    page.wait_for_selector("#nav-manage")
    page.goto("/notices/cloud")
    page.select_option("#c-source", "legacy")
    page.click("#c-submit")
    page.wait_for_url("**source=legacy**")
    rows = page.locator("#cloud-list tr[data-serial]")
    assert rows.count() == 2
    assert page.locator("#cloud-list tr[data-source='office']").count() == 0
    first = page.locator(f"tr[data-serial='{legacy[0].serial}']")
    assert "旧系统迁移" in first.inner_text()
    with page.expect_download() as info:
        first.locator("a.download").click()
    assert Path(info.value.path()).read_bytes() == legacy[0].pdf
    # A bad date in the filter is named on the page, not a server error.
    page.goto("/notices/cloud?since=2026-13-01")
    assert "2026-13-01" in page.locator("#error").inner_text()


def _as_handler(page, settings, handler, org) -> None:
    web_login(page, settings.data, handler.phone, PASSWORD)
    page.select_option("#role", f"handler:{org['org_id']}")
    page.click("#role-submit")
    page.wait_for_selector("#nav-manage")


@pytest.mark.seed("C4")
def test_my_cases_show_record_changes_receipts_and_notices(
    page, client, app, world, agency_case, settings, tmp_path
):
    handler, org, token = agency_case["handler"], agency_case["org"], agency_case["token"]
    number = agency_case["filing"]["application_number"]
    # A bibliographic change of the inventors only, accepted by the office.
    phone = ApiPhone(world, handler)
    change = build_followup(
        tmp_path / "change.zip",
        "change",
        f"application_number={number}",
        "changes.0.item=inventor",
        "changes.0.after=李四、王五",
        "efiling_user_after.name=王经办",
        "efiling_user_after.user_id=U0001",
    )
    phone.sign(token, change)
    r = submit(client, token, change)
    assert r.status_code == 201, r.text
    office = office_token(client, app)
    r = client.post(
        f"/api/v1/office/submissions/{r.json()['submission_id']}/accept", headers=auth(office)
    )
    assert r.status_code == 200, r.text

    _as_handler(page, settings, handler, org)
    page.click("header nav a[href='/cases']")
    row = page.locator(f"#cases tr[data-application='{number}']")
    assert "AG-2026-0001" in row.inner_text() and "已驳回" in row.inner_text()
    page.fill("#cases-q", "AG-2026")
    page.click("#cases-submit")
    page.locator(f"#cases tr[data-application='{number}'] a.case-link").click()
    page.wait_for_selector("#bibliographic")
    assert page.locator("#case-number").inner_text() == number
    assert page.locator("#case-inventors").inner_text() == "李四、王五"
    assert "杭州某某科技有限公司" in page.locator("#case-applicants").inner_text()
    changed = page.locator("#changes tr.change[data-item='inventor']")
    assert changed.locator(".before").inner_text().startswith("张三")
    assert changed.locator(".after").inner_text() == "李四、王五"
    # Both submissions, each with its receipt as PDF and as the signed bundle.
    submissions = page.locator("#submissions tr[data-submission]")
    assert submissions.count() == 2
    with page.expect_download() as info:
        page.locator("#submissions tr[data-business='invention'] a.receipt-pdf").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as info:
        page.locator("#submissions tr[data-business='change'] a.receipt-bundle").click()
    bundle = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert "receipt.json.p7s" in bundle.namelist()
    assert {"200101", "210407"} <= {
        page.locator("#case-notices tr[data-code]").nth(i).get_attribute("data-code")
        for i in range(page.locator("#case-notices tr[data-code]").count())
    }
    case_url = page.url

    # Another organisation's handler neither lists nor opens the case.
    page.click("#logout")
    other = world.person("别家经办")
    other_org = world.agency(other)
    _as_handler(page, settings, other, other_org)
    page.goto("/cases")
    assert page.locator(f"#cases tr[data-application='{number}']").count() == 0
    response = page.goto(case_url)
    assert response.status == 404
    assert "不存在或不在您的权限范围内" in page.locator("#error").inner_text()
