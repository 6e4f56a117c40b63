"""Online filing in a real headless Chromium, end to end, as an agency handler works.

From 业务采集 to the receipt without a terminal: the draft is filled in and validated on
the page, «签名» shows the signing QR code and short code, the phone (the test's API phone,
reading the payload from the page) approves, the page moves on by itself, submission
files the package and the receipt page offers the PDF and the signed bundle and says the
office's signatures verify. Then the office sends an office action, which is answered
from the notice, and a rejection decision, appealed from the case page (C10).

Browser tests run on SQLite only (drafts live in the data folder; PostgreSQL is covered by
the API tests of the same services).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from patentdesk.filing.models import Case
from patentdesk.timeutil import beijing_date
from tests.support.apiphone import ApiPhone
from tests.support.browser import web_login
from tests.support.cases import add_notice
from tests.support.factories import PASSWORD, World, valid_uscc
from tests.support.webfiling import (
    browser_page,
    field,
    fill_invention,
    log_in,
    new_draft,
    shot,
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


@pytest.mark.seed("C10")
@pytest.mark.parametrize(
    ("viewport", "lang"), [("desktop", "zh"), ("phone", "zh"), ("desktop", "en"), ("phone", "en")]
)
def test_agency_handler_files_answers_and_appeals_in_the_browser(
    browser: Any,
    live_server: Any,
    live_world: Any,
    settings: Any,
    db: Any,
    viewport: str,
    lang: str,
) -> None:
    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    phone = ApiPhone.bind(live_world.client, handler)
    p = f"{viewport}-{lang}"
    with browser_page(browser, live_server, viewport) as page:
        page.goto(f"/login?lang={lang}")  # the language is remembered from here on
        log_in(page, settings.data, handler, f"handler:{org['org_id']}")

        # 业务采集: a new invention, filled in on the page.
        draft_id = new_draft(page, "invention")
        # Findings name fields by their labels, never by path or command-line flag.
        wait_valid(page, ok=False)
        findings = page.locator("#findings").inner_text()
        for technical in ("applicants.0", "--role", "package add", "_"):
            assert technical not in findings
        assert page.locator(".field-error[data-for='title']").count() == 1  # at its field
        shot(page, f"{p}-01-new")
        field(page, "internal_number").fill("AG-2026-0042")
        fill_invention(page, valid_uscc())
        wait_valid(page)
        assert page.locator(".field-error").count() == 0
        shot(page, f"{p}-02-valid")

        number = sign_and_submit(page, phone, f"{p}-03")
        assert number.startswith("20") and "." in number
        pdf = page.request.get(page.locator("#receipt-pdf").get_attribute("href") or "")
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        bundle = page.request.get(page.locator("#receipt-bundle").get_attribute("href") or "")
        assert bundle.status == 200 and bundle.body()[:2] == b"PK"

        # The filed draft has left the unsubmitted list; it is listed with its receipt.
        page.goto("/drafts")
        assert page.locator(f"#drafts tr[data-draft='{draft_id}']").count() == 0
        assert page.locator(f"#drafts-filed tr[data-filed='{draft_id}']").count() == 1

        # The office sends a first office action: «答复» opens a response draft.
        with db.unit_of_work() as s:
            case = s.scalar(select(Case).where(Case.application_number == number))
            assert case is not None
            s.expunge(case)
        # Dispatched ten days ago: its period (and the rejection's below) still runs.
        recent = beijing_date() - dt.timedelta(days=10)
        action = add_notice(db, case, "210401", name="第一次审查意见通知书", dispatch_date=recent)
        page.goto("/notices")
        page.locator(f"tr[data-serial='{action.serial}'] button.start-response").click()
        page.wait_for_selector("#draft-form")
        assert field(page, "application_number").input_value() == number
        assert field(page, "notice_serial").input_value() == action.serial
        upload(page, "response", "response.txt", "意见陈述：权利要求1具备创造性。\n")
        wait_valid(page)
        shot(page, f"{p}-04-response")
        sign_and_submit(page, phone, f"{p}-05-response", by_code=True)  # typed, not scanned

        # A rejection decision: «请求复审» on the case page cites it (C10).
        rejection = add_notice(db, case, "210407", name="驳回决定", dispatch_date=recent)
        page.goto(f"/cases/{case.id}")
        page.locator(f"tr[data-serial='{rejection.serial}'] button.start-reexam").click()
        page.wait_for_selector("#draft-form")
        assert field(page, "application_number").input_value() == number
        assert field(page, "rejection_notice_serial").input_value() == rejection.serial
        assert field(page, "applicants.0.name").input_value() == "杭州某某科技有限公司"
        upload(page, "statement", "statement.txt", "复审请求理由：驳回决定认定事实有误。\n")
        wait_valid(page)
        shot(page, f"{p}-06-reexam")
        sign_and_submit(page, phone, f"{p}-07-reexam")

        # The same receipt page in English.
        page.goto(page.url + "?lang=en")
        page.wait_for_selector("#receipt-verification[data-valid=true]")
        assert "Filing receipt" in page.inner_text("h1")
        shot(page, f"{p}-08-receipt-en")
        if viewport == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the receipt page scrolls sideways at 390 px: {width}"

        # English on every page of the flow: notice names, the desk's lines, the forms.
        page.goto("/notices")
        row = page.locator(f"tr[data-serial='{action.serial}']")
        assert "First office action" in row.inner_text()
        assert (
            "Request reexamination"
            in page.locator(f"tr[data-serial='{rejection.serial}']").inner_text()
        )
        shot(page, f"{p}-09-notices-en")
        page.goto("/desk")
        desk_text = page.locator("#desk-attention").inner_text()
        assert "缴费期限" not in desk_text and "欠缴" not in desk_text
        for line in page.locator("#payments-due li").all_inner_texts():
            assert "CNY" in line and "outstanding" in line and "pay by" in line, line
        messages = page.locator("#desk-messages").inner_text()
        assert "New login" in messages and "新登录" not in messages
        assert "A new phone" in messages and "绑定了新手机" not in messages
        shot(page, f"{p}-10-desk-en")
        page.goto("/drafts")
        page.select_option("#business-type", "pct-national")
        page.click("#draft-create")
        page.wait_for_selector("#draft-form")
        form_text = page.locator("#draft-form").inner_text()
        assert "International application number" in form_text
        assert "PCT/CN2024/123456" in form_text  # the help under the field
        assert "international_application_number" not in page.locator("#validation").inner_text()
        shot(page, f"{p}-11-pct-national-en")


def _noise_png(path: Path, side: int = 1000) -> Path:
    """A PNG of random pixels: about 3 MB that does not compress."""
    from PIL import Image

    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path)
    return path


def test_upload_shows_progress_can_be_cancelled_and_resumes(
    page: Any, live_world: Any, settings: Any, tmp_path: Path
) -> None:
    person = live_world.person("李四")
    web_login(page, settings.data, person.phone, PASSWORD)
    page.goto("/drafts")
    page.select_option("#business-type", "invention")
    page.click("#draft-create")
    page.wait_for_selector("#draft-form")
    picture = _noise_png(tmp_path / "drawing.png")
    size = picture.stat().st_size
    assert size > 2 * 1024 * 1024

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    offsets: list[int] = []
    page.on(
        "request",
        lambda r: (
            offsets.append(int(r.url.rsplit("offset=", 1)[1]))
            if r.method == "PUT" and "offset=" in r.url
            else None
        ),
    )
    page.select_option("#upload-role", "drawings")
    page.set_input_files("#upload-file", str(picture))
    page.click("#upload-submit")
    page.wait_for_selector("#upload-progress:not([hidden])")
    assert page.locator("#upload-submit").is_disabled()  # no second click while busy
    # Past the first chunk (1 MiB of about 3), then cancel.
    bar = page.locator("#upload-progress progress")
    deadline = time.monotonic() + 20
    while int(bar.get_attribute("value") or 0) < 40:
        assert time.monotonic() < deadline, "the progress bar did not move"
        page.wait_for_timeout(100)
    figures = page.locator(".upload-percent").inner_text()
    assert "%" in figures and "MB" in figures
    shot(page, "upload-progress")
    page.click("#upload-cancel")
    page.wait_for_selector(".upload-note:has-text('已取消上传')")
    assert not page.locator("#upload-submit").is_disabled()
    assert page.locator("tr[data-role='drawings']").count() == 0
    sent_before = len(offsets)
    assert offsets[0] == 0 and max(offsets) >= 1024 * 1024

    # The same file again: it goes on from where the server stopped, not from zero.
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.click("#upload-submit")
    page.wait_for_selector("tr[data-role='drawings']", timeout=20_000)
    row = page.locator("tr[data-role='drawings']")
    assert str(size) in row.inner_text()
    assert offsets[sent_before] > 0, offsets  # resumed, not sent again from the start
    uploads = list((settings.data / "uploads").glob("*.part"))
    assert uploads == []  # taken into the draft, nothing left behind


def test_importing_a_package_shows_progress_and_then_what_was_wrong(
    page: Any, live_world: Any, settings: Any, tmp_path: Path
) -> None:
    person = live_world.person("李四")
    web_login(page, settings.data, person.phone, PASSWORD)
    page.goto("/drafts")
    broken = tmp_path / "case.zip"
    broken.write_bytes(os.urandom(3 * 1024 * 1024))  # not a case package at all
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 600_000},
    )
    page.set_input_files("#import-file", str(broken))
    page.click("#import-submit")
    page.wait_for_selector("#import-progress:not([hidden])")
    assert page.locator("#import-submit").is_disabled()  # no second click while busy
    bar = page.locator("#import-progress progress")
    deadline = time.monotonic() + 20
    while int(bar.get_attribute("value") or 0) < 10:
        assert time.monotonic() < deadline, "the progress bar did not move"
        page.wait_for_timeout(100)
    assert "MB" in page.locator("#import-progress .upload-percent").inner_text()
    # Then the page that names the problem, in place of the form.
    page.wait_for_selector("#error", timeout=30_000)
    shot(page, "import-refused")
    refusal = page.locator("#error").inner_text()
    assert "不是 ZIP 文件" in refusal and "directory" not in refusal  # in the page's language
    assert page.locator("#import-form").count() == 1  # the form is there to try again


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_notices_list_fits_a_phone_without_sideways_scrolling(
    browser: Any, live_server: Any, live_world: Any, settings: Any, db: Any, lang: str
) -> None:
    from tests.support.cases import add_case

    handler = live_world.person("王经办")
    org = live_world.agency(handler)
    me = live_world.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {org['handler_token']}"}
    )
    case = add_case(
        db,
        me.json()["domain"],
        handler.user_id,
        title="一种具有很长名称的折叠式电动自行车及其控制方法",
    )
    notice = add_notice(db, case, "210401", name="第一次审查意见通知书")
    with browser_page(browser, live_server, "phone") as page:
        page.goto(f"/login?lang={lang}")
        log_in(page, settings.data, handler, f"handler:{org['org_id']}")
        page.goto("/notices")
        row = page.locator(f"tr[data-serial='{notice.serial}']")
        assert notice.serial in row.inner_text()
        shot(page, f"notices-phone-{lang}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the notices page scrolls sideways at 390 px: {width}"
        inner = page.evaluate(
            "[...document.querySelectorAll('#notices .table-wrap, .table-wrap')]"
            ".map((el) => el.scrollWidth - el.clientWidth)"
        )
        assert inner and max(inner) <= 0, f"the notices table scrolls sideways: {inner}"
        assert row.locator("button.start-response").is_visible()  # its actions are at hand
