"""提醒设置 in a real headless Chromium: reached from the account page, bad input named,
the address verified by the link that arrives at a real SMTP server, in Chinese and English,
readable at 390 and 1280 px."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support.browser import web_login
from tests.support.cli import cli_env, run_cli
from tests.support.factories import PASSWORD, World
from tests.support.smtp import MailServer, body_of

pytestmark = pytest.mark.browser


@pytest.fixture
def live_world(live_server, settings):
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        yield World(http, settings.data)


@pytest.fixture
def mail():
    server = MailServer().start()
    yield server
    server.stop()


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow}px wide at {width}px"


def test_alert_settings_page(page, live_world, live_server, settings, mail, tmp_path):
    person = live_world.person("周提醒")
    web_login(page, settings.data, person.phone, PASSWORD)
    page.click("#nav-account")
    page.click("#alerts-settings-link")
    page.wait_for_url("**/account/alerts")
    assert page.locator("h1").inner_text() == "提醒设置"
    for box in ("#on-notices", "#on-deadlines", "#on-payments", "#by-email"):
        assert page.locator(box).is_checked(), box
    assert not page.locator("#by-sms").is_checked()

    # A wrong address is named, the field marked, nothing saved.
    page.fill("#alerts-email", "zhou@")
    page.click("#alerts-save")
    assert "邮箱地址不正确：zhou@" in page.locator("#error").inner_text()
    assert page.locator("#alerts-email").get_attribute("aria-invalid") == "true"

    page.fill("#alerts-email", "zhou@example.com")
    page.uncheck("#on-payments")
    page.check("#by-sms")
    page.select_option("#alerts-language", "en")
    page.click("#alerts-save")
    assert "验证邮件已发送到 zhou@example.com" in page.locator("#flash").inner_text()
    assert "待验证" in page.locator("#email-status").inner_text()
    for width in (1280, 390):
        _fits(page, width)
        page.screenshot(path=str(tmp_path / f"alerts-zh-{width}.png"), full_page=True)

    env = cli_env(
        data=settings.data,
        database_url=settings.sqlalchemy_url,
        environment=settings.environment,
        base_url=live_server.url,
        smtp_url=mail.url,
    )
    run_cli("admin", "alerts", "send", "--json", env=env, check=True)
    [message] = mail.inbox.wait_for("zhou@example.com")
    assert message["Subject"] == "[PatentDesk] Verify your alert e-mail address"
    link = re.search(r"http\S+/account/alerts/verify\?token=\S+", body_of(message))
    assert link
    parts = urlsplit(link.group(0))
    page.goto(f"{parts.path}?{parts.query}")
    assert "zhou@example.com 已验证" in page.locator("#flash").inner_text()
    page.click("#alerts-back")
    assert "已验证" in page.locator("#email-status").inner_text()
    assert not page.locator("#on-payments").is_checked()
    assert page.locator("#by-sms").is_checked()
    assert page.locator("#alerts-language").input_value() == "en"

    page.goto("/account/alerts?lang=en")
    assert page.locator("h1").inner_text() == "Alert settings"
    assert "Verified" in page.locator("#email-status").inner_text()
    for width in (1280, 390):
        _fits(page, width)
        page.screenshot(path=str(tmp_path / f"alerts-en-{width}.png"), full_page=True)
    page.goto("/account")
    assert "Set up alerts" in page.locator("#alerts-card").inner_text()
    page.screenshot(path=str(tmp_path / "account-en-390.png"), full_page=True)
