"""Cookies and CSRF (issue 15, item 16): secure by default with HSTS; the CSRF token of a
logged-in browser is bound to its session and changes at login."""

from __future__ import annotations

import re
from typing import Any

import pytest

from patentdesk.config import Settings
from tests.support.factories import PASSWORD, last_sms_code


def test_cookies_are_secure_by_default():
    assert Settings(_env_file=None).secure_cookies is True  # type: ignore[call-arg]


def test_only_the_local_demo_may_keep_plain_cookies():
    from patentdesk.cli.serve import plain_cookies_allowed

    assert plain_cookies_allowed(host="127.0.0.1", demo=True, env={})
    assert plain_cookies_allowed(host="localhost", demo=True, env={})
    assert plain_cookies_allowed(host="::1", demo=True, env={})
    assert not plain_cookies_allowed(host="0.0.0.0", demo=True, env={})
    assert not plain_cookies_allowed(host="127.0.0.1", demo=False, env={})
    # An operator's explicit choice stands, either way.
    assert not plain_cookies_allowed(
        host="127.0.0.1", demo=True, env={"PATENTDESK_SECURE_COOKIES": "true"}
    )


@pytest.fixture
def secure_client(app: Any) -> Any:
    from fastapi.testclient import TestClient

    app.state.settings.secure_cookies = True
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def test_secure_deployment_sets_secure_cookies_and_hsts(secure_client):
    r = secure_client.get("/login")
    assert r.status_code == 200
    assert "max-age=" in r.headers["Strict-Transport-Security"]
    cookies = r.headers.get_list("set-cookie")
    assert cookies and all("secure" in c.lower() for c in cookies), cookies
    assert "max-age=" in secure_client.get("/api/v1/health").headers["Strict-Transport-Security"]


def test_plain_http_demo_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def _web_login(client: Any, settings: Any, phone: str) -> None:
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"csrf": token, "account": phone, "password": PASSWORD})
    assert r.status_code == 200, r.text
    challenge = re.search(r'name="challenge_id" value="([^"]+)"', r.text)
    assert challenge
    r = client.post(
        "/login/verify",
        data={
            "csrf": _csrf(r.text),
            "challenge_id": challenge.group(1),
            "code": last_sms_code(settings.data, phone),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _plant(client: Any, value: str) -> None:
    """The browser's CSRF cookie replaced by ``value`` (as a sibling subdomain could)."""
    client.cookies.delete("pd_csrf")
    client.cookies.set("pd_csrf", value)


def test_the_csrf_token_changes_at_login(client, world, settings):
    person = world.person()
    before = _csrf(client.get("/login").text)
    _web_login(client, settings, person.phone)
    after = _csrf(client.get("/account").text)
    assert after != before
    # The token the browser had before logging in (a planted one) does not act for the
    # session, even with a cookie to match it.
    _plant(client, before)
    r = client.post("/logout", data={"csrf": before}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    r = client.post("/logout", data={"csrf": after}, follow_redirects=False)
    assert r.status_code == 303


def test_a_csrf_cookie_of_the_attackers_choosing_is_refused(client, world, settings):
    """Double submit alone trusts any cookie that matches the field: a sibling subdomain
    (or a man in the middle on plain HTTP) can plant both."""
    person = world.person()
    _web_login(client, settings, person.phone)
    _plant(client, "planted-by-the-attacker")
    r = client.post("/logout", data={"csrf": "planted-by-the-attacker"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 200
