"""No endpoint buffers an unbounded body: too large is refused by Content-Length before a byte
is read, and while streaming when the body comes chunked."""

from __future__ import annotations

from patentdesk.app import DEFAULT_BODY_LIMIT


def _chunks(total: int, size: int = 1024 * 1024):
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_a_body_past_the_limit_is_refused_before_it_is_read(client):
    r = client.post(
        "/api/v1/auth/password-login",
        content=b"{" + b" " * DEFAULT_BODY_LIMIT + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "UPLOAD_TOO_LARGE"


def test_a_chunked_body_is_cut_off_at_the_limit(client):
    r = client.post(
        "/api/v1/auth/password-login",
        content=_chunks(DEFAULT_BODY_LIMIT + 2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "UPLOAD_TOO_LARGE"


def test_the_anonymous_bank_callback_stops_reading_at_64_kib(client):
    r = client.post(
        "/api/v1/payments/callbacks/simulated",
        content=_chunks(8 * 1024 * 1024, 16 * 1024),
        headers={"X-Bank-Signature": "t=1,v1=00"},
    )
    assert r.status_code == 400
    assert "too long" in r.json()["error"]["message_en"]


def test_ordinary_bodies_pass(client, world):
    person = world.person()
    r = client.post(
        "/api/v1/auth/password-login", json={"account": person.phone, "password": "Wrong12345"}
    )
    assert r.status_code == 401  # read, parsed, answered: the limit is not in the way
