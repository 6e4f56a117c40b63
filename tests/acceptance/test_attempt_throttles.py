"""Login and SMS throttles as users and strangers meet them (issue 15, items 12 and 15).

A stranger who knows an account (a main account's login name is its public USCC) must not
be able to lock its owner out; a source that keeps guessing is refused; refusals and wrong
SMS codes are audited; SMS codes are limited per number, per source and in total."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from patentdesk.audit import AuditEvent
from tests.support.factories import PASSWORD, last_sms_code, unique_phone


@pytest.fixture
def stranger(app: Any) -> Iterator[TestClient]:
    """Another client, from its own address."""
    with TestClient(app, client=("203.0.113.7", 40000)) as c:
        yield c


def _client_from(app: Any, ip: str) -> TestClient:
    return TestClient(app, client=(ip, 40000))


def _login(client: TestClient, account: str, password: str) -> Any:
    return client.post(
        "/api/v1/auth/password-login",
        json={"account": account, "password": password, "client_kind": "web"},
    )


def _actions(db: Any, action: str) -> list[AuditEvent]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_stranger_guessing_a_main_accounts_public_uscc_does_not_lock_the_owner_out(
    client, stranger, world, settings
):
    org = world.agency(world.person())
    for _ in range(settings.login_max_failures):
        assert _login(stranger, org["uscc"], "Wrong12345").status_code == 401
    r = _login(stranger, org["uscc"], "Wrong12345")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    # The stranger's source is refused even with the right password …
    assert _login(stranger, org["uscc"], PASSWORD).status_code == 429
    # … the owner, from where they work, is not.
    r = _login(client, org["uscc"], PASSWORD)
    assert r.status_code == 200, r.text


def test_guesses_spread_over_many_sources_stop_at_the_accounts_ceiling(
    app, client, world, settings
):
    settings.login_account_max_failures = 6
    person = world.person()
    first = _client_from(app, "198.51.100.1")
    second = _client_from(app, "198.51.100.2")
    for _ in range(settings.login_max_failures):
        assert _login(first, person.phone, "Wrong12345").status_code == 401
    assert _login(second, person.phone, "Wrong12345").status_code == 401  # the sixth
    # The ceiling is reached: a source that has failed on this account is refused …
    assert _login(second, person.phone, "Wrong12345").status_code == 429
    assert _login(second, person.phone, PASSWORD).status_code == 429
    # … one that has not still gets the answer its password deserves (the owner's).
    assert _login(client, person.phone, PASSWORD).status_code == 200


def test_one_source_spraying_many_accounts_is_refused(app, world, settings):
    settings.login_source_max_failures = 3
    sprayer = _client_from(app, "198.51.100.9")
    people = [world.person() for _ in range(4)]
    for person in people[:3]:
        assert _login(sprayer, person.phone, "Wrong12345").status_code == 401
    r = _login(sprayer, people[3].phone, PASSWORD)
    assert r.status_code == 429


def test_refused_attempts_and_wrong_sms_codes_are_audited(client, stranger, world, db, settings):
    person = world.person()
    for _ in range(settings.login_max_failures + 2):
        _login(stranger, person.phone, "Wrong12345")
    limited = _actions(db, "login.rate_limited")
    assert len(limited) == 2
    assert {e.ip for e in limited} == {"203.0.113.7"}

    r = _login(client, person.phone, PASSWORD)
    challenge = r.json()["challenge_id"]
    good = last_sms_code(settings.data, person.phone)
    bad = "000000" if good != "000000" else "111111"
    r = client.post(
        "/api/v1/auth/password-login/verify", json={"challenge_id": challenge, "code": bad}
    )
    assert r.status_code == 400
    (wrong,) = _actions(db, "sms_code.wrong")
    assert wrong.actor_user_id is not None and str(wrong.actor_user_id) == person.user_id
    assert wrong.ip == "testclient"


# ---------------------------------------------------------------- SMS sending (item 15)


def _ask(client: TestClient, phone: str, purpose: str = "complete") -> Any:
    return client.post("/api/v1/identity/sms-codes", json={"phone": phone, "purpose": purpose})


def test_one_source_cannot_send_codes_to_any_number_without_limit(app, client, settings):
    settings.sms_max_per_source_per_hour = 3
    pumper = _client_from(app, "198.51.100.20")
    for _ in range(3):
        assert _ask(pumper, unique_phone()).status_code == 202
    r = _ask(pumper, unique_phone())
    assert r.status_code == 429
    error = r.json()["error"]
    assert error["code"] == "SMS_RATE_LIMITED"
    assert error["details"]["scope"] == "source"
    assert "短信" in error["message"] and "SMS" in error["message_en"]
    assert int(r.headers["Retry-After"]) > 0
    # Other sources are not affected.
    assert _ask(client, unique_phone()).status_code == 202


def test_codes_stop_at_the_global_hourly_limit(app, settings):
    settings.sms_max_per_hour = 4
    for i in range(4):
        assert _ask(_client_from(app, f"198.51.100.{30 + i}"), unique_phone()).status_code == 202
    r = _ask(_client_from(app, "198.51.100.99"), unique_phone())
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "SMS_RATE_LIMITED"
    assert r.json()["error"]["details"]["scope"] == "global"


def test_the_per_number_limit_answers_the_same_stable_code(client, settings):
    phone = unique_phone()
    for _ in range(settings.sms_max_per_phone_per_hour):
        assert _ask(client, phone).status_code == 202
    r = _ask(client, phone)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "SMS_RATE_LIMITED"
    assert r.json()["error"]["details"]["scope"] == "phone"
