"""Signing from the web portal with the phone app (issue 11, «Done when»).

The desktop is a 1280 px browser where the person logged in by scanning the login QR
with the app; the phone is a 390×844 touch context whose fake camera is fed a Y4M made
from the signing QR the desktop's screen shows. The app shows what is signed, the person
approves, and the desktop page moves on to submission by itself and files the package.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages import read_package
from tests.support.factories import valid_uscc
from tests.support.phoneapp import AppPage, web_login_qr
from tests.support.webfiling import fill_invention, new_draft, wait_valid

pytestmark = pytest.mark.browser


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.mark.seed("C2")
@pytest.mark.seed("A3")
def test_the_app_signs_what_the_web_portal_shows_and_the_desktop_files_it(
    app_page: AppPage, desktop_page: Any, tmp_path: Path
) -> None:
    desk = desktop_page
    desk.set_viewport_size({"width": 1280, "height": 900})
    app_page.register("钱多多")
    app_page.scan(web_login_qr(desk))  # logged in on the desktop with the app
    app_page.approve()
    desk.wait_for_url("**/desk")

    draft_id = new_draft(desk, "invention")
    fill_invention(desk, valid_uscc(), title="一种可折叠的太阳能充电板")
    wait_valid(desk)
    # What the package holds, as the desktop downloads it before signing.
    with desk.expect_download() as info:
        desk.click("#draft-download")
    saved = tmp_path / "case.zip"
    info.value.save_as(saved)
    with read_package(saved) as pkg:
        digest = hashlib.sha256(pkg.manifest_bytes).hexdigest()
        package_id, files = pkg.package_id, len(pkg.manifest.files)

    desk.click("#draft-sign")
    code = desk.locator("#sign-code[data-payload] .qr svg")
    code.wait_for()
    assert len(desk.locator("#sign-short-code").inner_text().strip()) == 10
    app_page.scan(code.screenshot())  # the phone's camera sees the desktop's screen
    assert app_page.screen() == "confirm-sign"
    p = app_page.page
    assert p.locator("#sign-business").inner_text() == "发明专利申请"
    assert p.locator("#sign-title").inner_text() == "一种可折叠的太阳能充电板"
    assert p.locator("#sign-applicants").inner_text() == "杭州某某科技有限公司"
    assert p.locator("#sign-package").inner_text() == package_id
    assert p.locator("#sign-files").inner_text() == str(files)
    assert p.locator("#sign-digest").inner_text().replace(" ", "") == digest
    assert p.locator("#digest-ok").is_visible()
    assert "网页端" in p.locator("#signing").inner_text()  # asked by the web portal
    app_page.approve()

    desk.wait_for_url(f"**/drafts/{draft_id}/submit", timeout=20_000)  # by itself
    assert desk.locator("#signed-note").is_visible()
    # The page names what the phone showed, to compare.
    assert desk.locator("#summary-package").inner_text() == package_id
    assert desk.locator("#summary-files").inner_text() == str(files)
    assert desk.locator("#summary-applicants").inner_text() == "杭州某某科技有限公司"
    # A slow line: while the server files it, the page says what is happening and for how
    # long, rather than a bar that means nothing.
    cdp = desk.context.new_cdp_session(desk)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 3000, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    desk.click("#submit-button")
    stage = desk.locator("#submit-stage")
    stage.wait_for(state="visible")
    assert "正在提交" in stage.inner_text()
    desk.wait_for_selector("#submit-stage .elapsed:has-text('秒')")
    assert desk.locator("#submit-button").is_disabled()
    desk.wait_for_url("**/receipts/**", timeout=30_000)
    desk.wait_for_selector("#receipt-verification[data-valid=true]")
    assert desk.locator("#receipt-number").inner_text().strip().startswith("20")
