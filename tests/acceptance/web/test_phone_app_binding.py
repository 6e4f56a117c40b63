"""Binding a new phone with the approval of one already bound (no SMS code), in the app:
the new phone shows a QR code after the password; the bound phone scans it with its
camera, sees that a phone is being bound, and approves; the new phone gets its own keys."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import PASSWORD, World, read_outbox
from tests.support.phoneapp import AppPage, new_phone_page

pytestmark = pytest.mark.browser


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def new_phone(phone_browser: Any, live_server: Any, camera_video: Path, settings: Any) -> Any:
    app = AppPage(new_phone_page(phone_browser, live_server.url), camera_video, settings.data)
    yield app
    app.page.context.close()


def sms_codes(data_dir: Path, phone: str) -> int:
    return sum(1 for m in read_outbox(data_dir, phone) if m.get("code"))


def start_binding(new: AppPage, phone: str) -> bytes:
    """On the new phone: number and password, «用已绑定的手机确认»; returns its QR code."""
    new.open("#/bind")
    p = new.page
    p.fill("#phone", phone)
    p.fill("#password", PASSWORD)
    p.click("#bind-by-device")
    new.wait_screen("bind-approve")
    assert len(p.locator("#bind-short-code").inner_text()) == 10
    return bytes(p.locator("#bind-code svg").screenshot())


@pytest.mark.seed("A3")
def test_a_bound_phone_approves_binding_a_new_one_without_an_sms_code(
    app_page: AppPage, new_phone: AppPage, settings: Any
) -> None:
    app_page.register("褚六")
    codes_before = sms_codes(settings.data, app_page.phone)
    app_page.scan(start_binding(new_phone, app_page.phone))
    p = app_page.page
    assert app_page.screen() == "confirm-login"
    assert p.locator("h1").inner_text() == "确认绑定新手机"
    assert p.locator("#who-client").inner_text() == "移动端 App"
    assert p.locator("#approve").inner_text() == "确认绑定"
    app_page.approve()
    new_phone.wait_screen("home")  # its keys are made and certified
    assert "褚六" in new_phone.page.locator("h1").inner_text()
    new_phone.open("#/account")
    new_phone.page.wait_for_selector("#device-list li")
    assert new_phone.page.locator("#device-list li").count() == 2
    # No SMS code was needed: none was sent for the binding.
    assert sms_codes(settings.data, app_page.phone) == codes_before


def test_a_refused_binding_says_so_on_the_new_phone(app_page: AppPage, new_phone: AppPage) -> None:
    app_page.register()
    app_page.scan(start_binding(new_phone, app_page.phone))
    app_page.deny()
    new_phone.page.wait_for_selector("#bind-refused")
    assert "拒绝" in new_phone.page.locator("#bind-refused").inner_text()
    assert new_phone.page.locator("#bind-again").is_visible()


def test_an_account_without_a_bound_phone_is_told_to_use_the_sms_code(
    new_phone: AppPage, live_server: Any, settings: Any
) -> None:
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        person = World(http, settings.data).person("蒋七")  # registered on the web: no phone
    new_phone.open("#/bind")
    p = new_phone.page
    p.fill("#phone", person.phone)
    p.fill("#password", PASSWORD)
    p.click("#bind-by-device")
    p.wait_for_selector("#bind-error .msg.error")
    assert "短信验证码" in p.locator("#bind-error").inner_text()
