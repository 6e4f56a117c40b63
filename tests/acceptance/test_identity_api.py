"""Registration, 补录, password login with SMS, recovery and sessions through the HTTP API."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from patentdesk.identity.models import User
from patentdesk.identity.sms import read_outbox
from tests.support.factories import (
    PASSWORD,
    auth,
    data_dir_of,
    last_sms_code,
    register_person,
    unique_phone,
    valid_id_number,
)


def register(client, phone=None, **over):
    """Both steps of 自然人注册 (the code read from the outbox)."""
    body = {
        "phone": phone or unique_phone(),
        "name": "张三",
        "id_number": valid_id_number(),
        "password": PASSWORD,
        **over,
    }
    return register_person(client, data_dir_of(client), body)


@pytest.mark.seed("A1")
def test_duplicate_phone_is_refused_with_409(client):
    phone = unique_phone()
    assert register(client, phone).status_code == 201
    r = register(client, phone, name="李四")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "PHONE_TAKEN"
    assert r.json()["error"]["message"] == "该手机号已注册"


@pytest.mark.seed("A1")
def test_incomplete_profile_cannot_log_in_until_completed(client, db, world):
    person = world.person()
    with db.unit_of_work() as s:  # an account migrated from the old system without an ID
        s.execute(update(User).where(User.phone == person.phone).values(id_number=None))
    r = client.post(
        "/api/v1/auth/password-login", json={"account": person.phone, "password": PASSWORD}
    )
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "PROFILE_INCOMPLETE"
    assert "需要补录" in err["message"]
    assert err["details"]["missing"] == ["id_number"]
    assert "/complete-profile?account=" in err["details"]["completion_url"]
    # The completion flow proves the account with its password and supplies the ID.
    r = client.post(
        "/api/v1/identity/complete-profile",
        json={"account": person.phone, "password": PASSWORD, "id_number": "123"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_ID_NUMBER"
    completed_id = valid_id_number()
    r = client.post(
        "/api/v1/identity/complete-profile",
        json={"account": person.phone, "password": PASSWORD, "id_number": completed_id},
    )
    assert r.status_code == 200 and r.json()["complete"] is True
    assert world.web_login(person)["role"] == "natural"
    # Once complete, the password alone does not rewrite the real name or the ID number.
    r = client.post(
        "/api/v1/identity/complete-profile",
        json={
            "account": person.phone,
            "password": PASSWORD,
            "name": "李四",
            "id_number": valid_id_number(),
        },
    )
    assert r.status_code == 200
    with db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.phone == person.phone))
        assert user is not None and user.name == person.name
        assert user.id_number == completed_id


@pytest.mark.seed("A1")
@pytest.mark.seed("A4")
def test_password_recovery_by_sms_code(client, world, settings):
    person = world.person()
    session = world.web_login(person)
    r = client.post(
        "/api/v1/identity/sms-codes", json={"phone": person.phone, "purpose": "recover"}
    )
    assert r.status_code == 202
    code = last_sms_code(settings.data, person.phone)
    r = client.post(
        "/api/v1/identity/password-reset",
        json={
            "phone": person.phone,
            "code": "000000" if code != "000000" else "111111",
            "new_password": "NewSecret99",
        },
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "SMS_CODE_INVALID"
    r = client.post(
        "/api/v1/identity/password-reset",
        json={"phone": person.phone, "code": code, "new_password": "NewSecret99"},
    )
    assert r.status_code == 200
    # Old password gone, old sessions ended, a code works only once.
    r = client.post(
        "/api/v1/auth/password-login", json={"account": person.phone, "password": PASSWORD}
    )
    assert r.status_code == 401
    assert client.get("/api/v1/me", headers=auth(session["token"])).status_code == 401
    r = client.post(
        "/api/v1/identity/password-reset",
        json={"phone": person.phone, "code": code, "new_password": "Another123"},
    )
    assert r.status_code == 400
    person.password = "NewSecret99"
    assert world.web_login(person)["user_id"] == person.user_id


def test_recovery_does_not_reveal_unregistered_phones(client, settings):
    phone = unique_phone()
    r = client.post("/api/v1/identity/sms-codes", json={"phone": phone, "purpose": "recover"})
    assert r.status_code == 202
    from patentdesk.identity.sms import read_outbox

    assert read_outbox(settings.data, phone) == []


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("phone", "12345", "INVALID_PHONE"),
        ("phone", "23800138000", "INVALID_PHONE"),
        ("id_number", "110105194912310021", "INVALID_ID_NUMBER"),
        ("id_number", "1101051949123", "INVALID_ID_NUMBER"),
        ("name", "", "INVALID_NAME"),
        ("name", "长" * 60, "INVALID_NAME"),
        ("password", "short1", "WEAK_PASSWORD"),
        ("password", "onlyletters", "WEAK_PASSWORD"),
    ],
)
def test_bad_registration_input_is_refused_and_nothing_written(client, db, field, value, code):
    phone = value if field == "phone" else unique_phone()
    over = {} if field == "phone" else {field: value}
    r = register(client, phone, **over)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["details"]["field"] == field
    with db.unit_of_work() as s:
        assert s.query(User).filter(User.phone == phone).count() == 0


def test_over_long_fields_are_refused_by_schema(client):
    r = register(client, None, name="x" * 101)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_FAILED"
    assert "name" in r.json()["error"]["message"]


def test_wrong_passwords_past_the_rate_limit_get_429(client, world, settings):
    person = world.person()
    for _ in range(settings.login_max_failures):
        r = client.post(
            "/api/v1/auth/password-login", json={"account": person.phone, "password": "Wrong12345"}
        )
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "INVALID_CREDENTIALS"
    r = client.post(
        "/api/v1/auth/password-login", json={"account": person.phone, "password": PASSWORD}
    )
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    assert int(r.headers["Retry-After"]) > 0


def test_the_rate_limit_holds_however_the_account_is_written(client, world, settings):
    person = world.person()
    p = person.phone
    spellings = [p, f"+86{p}", f"0086{p}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"{p[:3]} {p[3:]}"]
    for i in range(settings.login_max_failures):
        account = spellings[i % len(spellings)]
        r = client.post(
            "/api/v1/auth/password-login", json={"account": account, "password": "Wrong12345"}
        )
        assert r.status_code == 401, (account, r.text)
    for account in [*spellings, person.user_id]:  # the user id names the account too
        r = client.post(
            "/api/v1/auth/password-login", json={"account": account, "password": PASSWORD}
        )
        assert r.status_code == 429, account


def test_strangers_asking_for_codes_do_not_lock_the_owner_out(client, world, settings):
    person = world.person()
    for _ in range(settings.sms_max_per_phone_per_hour + 1):
        r = client.post(
            "/api/v1/identity/sms-codes", json={"phone": person.phone, "purpose": "recover"}
        )
    assert r.status_code == 429  # recovery codes are throttled …
    before = len(read_outbox(settings.data, person.phone))
    r = client.post(
        "/api/v1/identity/sms-codes", json={"phone": person.phone, "purpose": "complete"}
    )
    assert r.status_code == 202  # the same answer, but a registered phone gets no 补录 code
    assert len(read_outbox(settings.data, person.phone)) == before
    # … and their quota is not the login's: the owner still logs in with password + SMS.
    assert world.web_login(person)["role"] == "natural"


def test_wrong_sms_code_attempts_are_limited(client, world, settings):
    person = world.person()
    r = client.post(
        "/api/v1/auth/password-login", json={"account": person.phone, "password": PASSWORD}
    )
    challenge = r.json()["challenge_id"]
    good = last_sms_code(settings.data, person.phone)
    bad = "000000" if good != "000000" else "111111"
    for _ in range(5):
        r = client.post(
            "/api/v1/auth/password-login/verify", json={"challenge_id": challenge, "code": bad}
        )
        assert r.status_code == 400
    r = client.post(
        "/api/v1/auth/password-login/verify", json={"challenge_id": challenge, "code": good}
    )
    assert r.status_code == 400  # the code is burnt after five wrong tries


def test_natural_person_password_login_is_web_only(client, world):
    person = world.person()
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": person.phone, "password": PASSWORD, "client_kind": "desktop"},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "PASSWORD_LOGIN_NOT_ALLOWED"


def test_sessions_are_listed_and_each_can_be_ended(client, world):
    person = world.person()
    first = world.web_login(person)
    second = world.web_login(person)
    sessions = client.get("/api/v1/me/sessions", headers=auth(first["token"])).json()
    assert {s["id"] for s in sessions} >= {first["session_id"], second["session_id"]}
    r = client.delete(f"/api/v1/me/sessions/{second['session_id']}", headers=auth(first["token"]))
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=auth(second["token"])).status_code == 401
    assert client.get("/api/v1/me", headers=auth(first["token"])).status_code == 200
    # Another user's session is invisible: 404, not 403.
    other = world.web_login(world.person("李四"))
    r = client.delete(f"/api/v1/me/sessions/{other['session_id']}", headers=auth(first["token"]))
    assert r.status_code == 404
    messages = client.get("/api/v1/me/messages", headers=auth(first["token"])).json()
    assert any("新登录" in m["text"] for m in messages)


@pytest.mark.seed("A5")
def test_every_response_names_the_environment(client, world):
    assert client.get("/api/v1/health").json()["environment"] == "test"
    person = world.person()
    session = world.web_login(person)
    assert session["environment"] == "test"
    r = client.get("/api/v1/me", headers=auth(session["token"]))
    assert r.headers["X-PatentDesk-Environment"] == "test"
    assert "测试环境" in client.get("/login").text


def test_audit_log_records_and_verifies(client, world, db):
    from patentdesk.audit import verify_chain

    person = world.person()
    client.post(
        "/api/v1/auth/password-login", json={"account": person.phone, "password": "Wrong12345"}
    )
    world.web_login(person)
    with db.unit_of_work() as s:
        report = verify_chain(s)
        assert report.ok and report.events >= 3
        from sqlalchemy import select

        from patentdesk.audit import AuditEvent

        actions = set(s.scalars(select(AuditEvent.action)))
    assert {"user.register", "login.failed", "login.success"} <= actions


def test_audit_log_is_append_only_in_the_database(world, db):
    import sqlalchemy.exc

    world.person()
    with pytest.raises(sqlalchemy.exc.DBAPIError), db.unit_of_work() as s:
        s.execute(__import__("sqlalchemy").text("UPDATE audit_events SET action = 'x'"))
    with pytest.raises(sqlalchemy.exc.DBAPIError), db.unit_of_work() as s:
        s.execute(__import__("sqlalchemy").text("DELETE FROM audit_events"))
