"""Headless Chromium (Debian's ``chromium``) driven by Playwright, for the web portal tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("PATENTDESK_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright driver per run: every browser of a test session is launched from it
    (the sync API allows one driver per thread)."""
    if chromium_path() is None:
        pytest.skip("Debian chromium is not installed: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    path = chromium_path()
    b = playwright_driver.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    p = context.new_page()
    # Every page a browser test visits also proves that it works under the portal's
    # Content-Security-Policy: a blocked inline script or handler fails the test.
    blocked: list[str] = []
    p.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield p
    context.close()
    assert not blocked, f"blocked by the Content-Security-Policy: {blocked}"


def web_login(page: Any, data_dir: Any, phone: str, password: str) -> None:
    """Password, then the SMS code read from the outbox, as a user types them."""
    from tests.support.factories import last_sms_code

    page.goto("/login")
    page.fill("#account", phone)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("#code")
    page.fill("#code", last_sms_code(data_dir, phone))
    page.click("#verify-submit")
    page.wait_for_url("**/desk")
