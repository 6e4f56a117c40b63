"""Online filing in the browser: the steps a user takes on the portal's pages, for the
browser acceptance tests (tests/acceptance/web/test_online_filing*.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.apiphone import ApiPhone
from tests.support.browser import web_login
from tests.support.factories import PASSWORD, Person

SHOTS = os.environ.get("PATENTDESK_SCREENSHOTS")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@contextmanager
def browser_page(
    browser: Any, live_server: Any, viewport: str = "desktop", locale: str = "zh-CN"
) -> Iterator[Any]:
    """A page of its own (a second person works in a second one), that fails the test when
    the Content-Security-Policy blocks anything."""
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport=VIEWPORTS[viewport]
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    try:
        yield page
    finally:
        context.close()
    assert not blocked, f"blocked by the Content-Security-Policy: {blocked}"


def log_in(page: Any, data_dir: Path, person: Person, role: str | None = None) -> None:
    """Password and SMS code, then the role on My Desk (``handler:<org>``, ``sub:<id>``)."""
    web_login(page, data_dir, person.phone, PASSWORD)
    if role:
        page.select_option("#role", role)
        page.click("#role-submit")
        page.wait_for_load_state()


def log_in_main_account(page: Any, uscc: str) -> None:
    page.goto("/login")
    page.fill("#account", uscc)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/desk")


def field(page: Any, path: str) -> Any:
    return page.locator(f'[name="{path}"]:not([type=hidden])')


def new_draft(page: Any, business_type: str) -> str:
    page.goto("/drafts")
    page.select_option("#business-type", business_type)
    page.click("#draft-create")
    page.wait_for_selector("#draft-form")
    return str(page.url).rstrip("/").rsplit("/", 1)[-1]


def save(page: Any) -> None:
    page.click("#draft-save")
    page.wait_for_selector("#form-status:has-text('已保存'), #form-status:has-text('Saved')")


def upload(page: Any, role: str, name: str, text: str) -> None:
    page.select_option("#upload-role", role)
    page.set_input_files(
        "#upload-file", {"name": name, "mimeType": "text/plain", "buffer": text.encode()}
    )
    page.click("#upload-submit")
    try:
        page.wait_for_selector(f"tr[data-role='{role}']")
    except Exception as exc:
        note = page.locator("#attachments-section").inner_text()
        raise AssertionError(f"the {role} upload did not arrive: {note}") from exc


def wait_valid(page: Any, ok: bool = True) -> None:
    want = "true" if ok else "false"
    try:
        page.wait_for_selector(f"#validation-result[data-ok={want}]")
    except Exception as exc:
        findings = page.locator("#validation").inner_text()
        raise AssertionError(f"validation did not become ok={ok}: {findings}") from exc


def sign(page: Any, phone: ApiPhone, prefix: str = "", *, by_code: bool = False) -> None:
    """«签名» → the phone approves what the page shows (the QR payload, or with ``by_code``
    the short text code typed into the phone, A12) → the submit page."""
    page.click("#draft-sign")
    page.wait_for_selector("#sign-code[data-payload]")
    if prefix:
        shot(page, f"{prefix}-sign")
    payload = page.locator("#sign-code").get_attribute("data-payload")
    code = page.locator("#sign-short-code").inner_text().strip()
    assert payload and len(code) == 10
    if by_code:
        r = phone.client.get(f"/api/v1/qr/code/{code}", headers=phone.headers)
        assert r.status_code == 200, r.text
        from patentdesk.pki.payload import peek_payload

        typed = r.json()["payload"]  # signed afresh: the same request, not the same bytes
        assert peek_payload(typed)[1]["id"] == peek_payload(payload)[1]["id"]
        payload = typed
    r = phone.decide_signing(payload)
    assert r.status_code == 200, r.text
    page.wait_for_url("**/submit", timeout=15_000)  # moved on by itself
    if prefix:
        shot(page, f"{prefix}-submit")


def sign_and_submit(page: Any, phone: ApiPhone, prefix: str = "", *, by_code: bool = False) -> str:
    """Signs, submits and waits for the receipt page; returns the number it shows."""
    sign(page, phone, prefix, by_code=by_code)
    page.click("#submit-button")
    page.wait_for_url("**/receipts/**", timeout=30_000)
    page.wait_for_selector("#receipt-verification[data-valid=true]")
    if prefix:
        shot(page, f"{prefix}-receipt")
    return str(page.locator("#receipt-number").inner_text()).strip()


def fill_invention(page: Any, uscc: str, title: str = "一种折叠式电动自行车") -> None:
    from tests.support.filing import ABSTRACT, CLAIMS, DESCRIPTION

    field(page, "title").fill(title)
    page.click("[data-add=applicants]")
    field(page, "applicants.0.name").fill("杭州某某科技有限公司")
    field(page, "applicants.0.uscc").fill(uscc)
    field(page, "applicants.0.address").fill("浙江省杭州市西湖区文三路1号")
    field(page, "applicants.0.postal_code").fill("310012")
    page.click("[data-add=inventors]")
    field(page, "inventors.0.name").fill("张三")
    save(page)
    upload(page, "claims", "claims.txt", CLAIMS)
    upload(page, "description", "description.txt", DESCRIPTION)
    upload(page, "abstract", "abstract.txt", ABSTRACT)
