"""The web portal's QR login and certificate panel in a real headless Chromium, with the
mobile app as a CLI process approving what the page shows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import time_machine

from patentdesk.timeutil import now
from tests.support.actors import Phone

pytestmark = pytest.mark.browser


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The page flow, not storage, is under test here: one SQLite run."""
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def shown_payload(page: Any) -> str:
    code = page.locator("#qr-login-code[data-payload]")
    code.wait_for()
    assert code.locator("svg").count() == 1  # the QR code itself, drawn inline
    assert len(page.locator("#qr-short-code").inner_text()) == 10
    return str(code.get_attribute("data-payload"))


def qr_login(page: Any, phone: Phone) -> None:
    page.goto("/login")
    scanned = phone.scan(shown_payload(page))
    assert scanned.returncode == 0, scanned.stderr
    page.wait_for_url("**/desk")


@pytest.mark.seed("A3")
@pytest.mark.seed("A7")
def test_the_login_page_shows_a_qr_code_and_the_app_logs_the_browser_in(page, phone):
    phone.register("孙七")
    page.goto("/login")
    payload = shown_payload(page)
    shown = phone.run("scan", payload)  # the phone names the browser asking
    assert shown.returncode == 0, shown.stderr
    assert shown.json["requester"]["client_kind"] == "web"
    assert "Chrome" in shown.json["requester"]["device_name"]
    assert phone.scan(payload).returncode == 0
    page.wait_for_url("**/desk")
    assert "孙七" in page.locator("#who").inner_text()
    assert page.locator("#current-role").inner_text() == "自然人"
    page.goto("/account")
    sessions = page.locator("#sessions").inner_text()
    assert "网页端" in sessions and "移动端 App" in sessions  # the web login and the phone's


def test_an_expired_code_offers_a_refresh(page, phone, live_server):
    phone.register()
    page.goto("/login")
    first = shown_payload(page)
    ttl = live_server.config.app.state.settings.qr_ttl_seconds
    with time_machine.travel(now() + dt.timedelta(seconds=ttl + 1), tick=True):
        page.locator("#qr-refresh").wait_for()  # the next poll finds it expired
        assert "过期" in page.locator("#qr-status").inner_text()
        assert page.locator("#qr-login-code svg").count() == 0  # the dead code is gone
        late = phone.scan(first)
        assert late.returncode != 0
    page.click("#qr-refresh")
    second = shown_payload(page)
    assert second != first
    assert phone.scan(second).returncode == 0
    page.wait_for_url("**/desk")


def test_only_the_browser_that_shows_the_code_is_logged_in(page, phone, live_server):
    """QRLJacking: the session goes to the browser holding the code's secret cookie."""
    import httpx

    phone.register()
    page.goto("/login")
    assert phone.scan(shown_payload(page)).returncode == 0
    with httpx.Client(base_url=live_server.url) as other:
        r = other.get("/login/qr/status")  # another browser, no secret cookie
        assert r.status_code == 200 and 'data-state="expired"' in r.text
        assert "pd_session" not in r.headers.get("set-cookie", "")
    page.wait_for_url("**/desk")


def test_certificates_download_and_report_lost_on_the_account_page(page, phone, tmp_path):
    registered = phone.register("周八")
    qr_login(page, phone)
    page.goto("/account")
    row = page.locator(f"tr[data-certificate='{registered['certificate_serial']}']")
    row.wait_for()
    assert row.locator(".status").inner_text() == "有效"
    with page.expect_download() as download:
        row.locator("a.download").click()
    saved = tmp_path / "cert.pem"
    download.value.save_as(saved)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(saved.read_bytes())
    assert str(cert.serial_number) == registered["certificate_serial"]
    device = page.locator(f"tr[data-device='{registered['device_id']}']")
    page.once("dialog", lambda dialog: dialog.accept())  # «确定挂失？»
    device.locator("button.lost").click()
    page.wait_for_selector("#flash")
    assert "已挂失" in page.locator("#flash").inner_text()
    row = page.locator(f"tr[data-certificate='{registered['certificate_serial']}']")
    row.wait_for()
    assert row.locator(".status").inner_text() == "已吊销"
    assert page.locator(f"tr[data-device='{registered['device_id']}'] [data-state=lost]").count()
    assert phone.run("sign-window", "close").error["code"] == "NOT_AUTHENTICATED"


def _code_for_role(page: Any, role: str, before: str) -> str:
    """Choosing the identity makes a new code for it."""
    page.select_option("#qr-role", role)
    page.wait_for_function(
        "old => { const c = document.querySelector('#qr-login-code[data-payload]');"
        " return c && c.dataset.payload !== old; }",
        arg=before,
    )
    return shown_payload(page)


@pytest.mark.seed("A2")
@pytest.mark.seed("C8")
def test_the_login_page_logs_in_as_the_handler_chosen(page, phone, world):
    """«以代理机构绑定的经办人扫二维码登录网页»: 账户管理 is there at once."""
    from tests.support.factories import Person

    phone.register("王经办")
    world.agency(Person(phone.phone, phone.name, phone.user_id))
    page.goto("/login")
    payload = _code_for_role(page, "handler", shown_payload(page))
    shown = phone.run("scan", payload)  # the phone says in which role the browser asks
    assert shown.json["requester"]["requested_role"] == "handler"
    assert phone.scan(payload).returncode == 0
    page.wait_for_url("**/desk")
    assert page.locator("#current-role").inner_text() == "经办人"
    assert page.locator("#nav-manage").count() == 1


def test_a_role_not_held_is_refused_with_a_way_forward(page, phone):
    phone.register("路人")
    page.goto("/login")
    payload = _code_for_role(page, "sub", shown_payload(page))
    refused = phone.scan(payload)  # the phone says so at once...
    assert refused.returncode != 0 and refused.error["code"] == "ROLE_UNAVAILABLE"
    status = page.locator("#qr-status[data-state='role']")  # ...and so does the browser
    status.wait_for()
    assert "无法以该身份登录" in status.inner_text()
    assert page.url.endswith("/login")  # no session was handed out
    page.select_option("#qr-role", "natural")
    payload = shown_payload(page)
    assert phone.scan(payload).returncode == 0
    page.wait_for_url("**/desk")
    assert page.locator("#current-role").inner_text() == "自然人"
