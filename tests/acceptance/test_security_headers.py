"""Security headers on every response: pages cannot be framed (clickjacking of the QR login
page), scripts come only from /static, browsers do not sniff content types and referrers do
not leave the site. That the pages work under this policy is checked by every browser test
(``tests/support/browser.py`` fails a test on any blocked script)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/login", "/register", "/api/v1/health", "/static/app.js"])
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    policy = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_script(client):
    """What the policy would block is not written in the first place."""
    import re

    page = client.get("/login").text
    assert not re.search(r"\son[a-z]+=", page)
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/htmx.min.js" defer>',
        '<script src="/static/app.js" defer>',
    ]


def test_errors_carry_the_headers_too(client):
    r = client.get("/api/v1/no-such-endpoint")
    assert r.status_code == 404
    assert r.headers["X-Frame-Options"] == "DENY"


def test_the_interactive_api_docs_keep_working(client):
    """FastAPI's /docs loads its scripts inline and from a CDN: no policy there."""
    r = client.get("/docs")
    assert r.status_code == 200
    assert "Content-Security-Policy" not in r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"
