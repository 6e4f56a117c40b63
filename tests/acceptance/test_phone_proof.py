"""The SMS second factor on the phone (issue 15, item 4): a password alone never binds a phone
or yields a session of a natural person; registration proves the phone number; every new
phone and certificate is announced to the account."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from patentdesk.identity.models import Session, User
from patentdesk.identity.service import token_hash
from patentdesk.identity.sms import read_outbox
from patentdesk.timeutil import now
from tests.support.apiphone import ApiPhone
from tests.support.factories import PASSWORD, auth, last_sms_code, unique_phone, valid_id_number


def _app_login(client, phone, **extra):
    return client.post(
        "/api/v1/auth/password-login",
        json={"account": phone, "password": PASSWORD, "client_kind": "app", **extra},
    )


def _registration(phone=None, **over):
    return {
        "phone": phone or unique_phone(),
        "name": "张三",
        "id_number": valid_id_number(),
        "password": PASSWORD,
        **over,
    }


def test_app_password_login_alone_gives_no_token_only_an_sms_challenge(client, world, settings):
    person = world.person()
    sent_before = len(read_outbox(settings.data, person.phone))
    r = _app_login(client, person.phone)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "token" not in body
    assert body["second_factor"] == "sms" and body["challenge_id"]
    assert body["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    assert len(read_outbox(settings.data, person.phone)) == sent_before + 1


def test_app_login_completes_with_the_code_to_the_accounts_phone(client, world, settings):
    person = world.person()
    challenge = _app_login(client, person.phone).json()
    code = last_sms_code(settings.data, person.phone)
    wrong = "000000" if code != "000000" else "111111"
    r = _app_login(client, person.phone, sms_code=wrong)
    assert r.status_code == 400 and r.json()["error"]["code"] == "SMS_CODE_INVALID"
    # The script's second run: the same body plus the code.
    r = _app_login(client, person.phone, sms_code=code)
    assert r.status_code == 200, r.text
    session = r.json()
    assert session["token"] and session["user_id"] == person.user_id
    # The challenge is used up with its code: the web-style verify cannot reuse it.
    r = client.post(
        "/api/v1/auth/password-login/verify",
        json={"challenge_id": challenge["challenge_id"], "code": code},
    )
    assert r.status_code == 400
    # The code is single use.
    assert _app_login(client, person.phone, sms_code=code).status_code == 400


def test_app_login_by_challenge_verify_binds_and_announces_the_new_phone(client, world, settings):
    person = world.person()
    phone = ApiPhone.bind(client, person, name="新手机")
    me = client.get("/api/v1/me/sessions", headers=phone.headers).json()
    [app_session] = [s for s in me if s["current"]]
    assert app_session["login_method"] == "password+sms"
    texts = [m["text"] for m in read_outbox(settings.data, person.phone) if not m["code"]]
    assert any("新手机" in t and phone.certificate_serial in t for t in texts), texts
    messages = client.get("/api/v1/me/messages", headers=phone.headers).json()
    device_messages = [m for m in messages if m["kind"] == "device"]
    assert device_messages and phone.certificate_serial in device_messages[0]["text"]


def test_a_renewed_certificate_is_announced(client, world, settings):
    from patentdesk.pki.keys import generate_key, public_key_pem

    person = world.person()
    phone = ApiPhone.bind(client, person)
    key = generate_key()
    r = client.post(
        f"/api/v1/me/devices/{phone.device_id}/renew",
        json={
            "signing_public_key": public_key_pem(key.public_key()),
            "signing_proof": phone.proof("signing", key),
        },
        headers=phone.headers,
    )
    assert r.status_code == 200, r.text
    serial = r.json()["serial"]
    texts = [m["text"] for m in read_outbox(settings.data, person.phone) if not m["code"]]
    assert any(str(serial) in t and "证书" in t for t in texts), texts
    kinds = [m["kind"] for m in client.get("/api/v1/me/messages", headers=phone.headers).json()]
    assert "certificate" in kinds


def test_a_password_only_app_session_from_before_is_refused(client, app, world):
    """Sessions a password alone opened before the fix stop working."""
    person = world.person()
    with app.state.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.phone == person.phone))
        assert user is not None
        s.add(
            Session(
                user_id=user.id,
                token_hash=token_hash("legacy-app-token"),
                role="natural",
                client_kind="app",
                login_method="password",
                expires_at=now() + dt.timedelta(hours=1),
            )
        )
    assert client.get("/api/v1/me", headers=auth("legacy-app-token")).status_code == 401
    client.cookies.set("pd_session", "legacy-app-token")
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.clear()


@pytest.mark.seed("A1")
def test_registration_proves_the_phone_with_an_sms_code(client, settings):
    body = _registration()
    r = client.post("/api/v1/identity/register", json=body)
    assert r.status_code == 202, r.text
    sent = r.json()
    assert sent["sms_code_required"] is True and "user_id" not in sent
    assert sent["phone"] == body["phone"][:3] + "****" + body["phone"][-4:]
    # Nothing was created: the password does not log in yet.
    r = client.post(
        "/api/v1/auth/password-login", json={"account": body["phone"], "password": PASSWORD}
    )
    assert r.status_code == 401
    code = last_sms_code(settings.data, body["phone"])
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/api/v1/identity/register", json={**body, "sms_code": wrong})
    assert r.status_code == 400 and r.json()["error"]["code"] == "SMS_CODE_INVALID"
    r = client.post("/api/v1/identity/register", json={**body, "sms_code": code})
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] and r.json().get("session") is None


def test_a_code_for_another_phone_does_not_register(client, settings):
    mine, theirs = _registration(), _registration()
    assert client.post("/api/v1/identity/register", json=mine).status_code == 202
    code = last_sms_code(settings.data, mine["phone"])
    r = client.post("/api/v1/identity/register", json={**theirs, "sms_code": code})
    assert r.status_code == 400 and r.json()["error"]["code"] == "SMS_CODE_INVALID"


def test_bad_fields_are_refused_before_any_code_is_sent(client, settings):
    body = _registration(id_number="123")
    r = client.post("/api/v1/identity/register", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_ID_NUMBER"
    assert read_outbox(settings.data, body["phone"]) == []


def test_registration_from_the_app_returns_the_session_to_bind_with(client, settings):
    body = _registration(client_kind="app", device_name="我的手机")
    assert client.post("/api/v1/identity/register", json=body).status_code == 202
    code = last_sms_code(settings.data, body["phone"])
    r = client.post("/api/v1/identity/register", json={**body, "sms_code": code})
    assert r.status_code == 201, r.text
    session = r.json()["session"]
    assert session["token"] and session["user_id"] == r.json()["user_id"]
    me = client.get("/api/v1/me/sessions", headers=auth(session["token"])).json()
    assert [s["client_kind"] for s in me if s["current"]] == ["app"]


def test_cli_mobile_login_needs_the_sms_code(phone, settings):
    from tests.support.cli import run_cli

    phone.register("张三")
    again = phone.home.parent / "second-phone"
    env = phone.env()
    env["PATENTDESK_HOME"] = str(again)
    args = ("mobile", "login", "--phone", phone.phone, "--password-stdin", "--json")
    r = run_cli(*args, env=env, input=PASSWORD + "\n")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.error["code"] == "SMS_CODE_REQUIRED"
    assert r.error["details"]["phone"] == phone.phone[:3] + "****" + phone.phone[-4:]
    assert not (again / "app.json").exists() or "token" not in (again / "app.json").read_text()
    code = last_sms_code(settings.data, phone.phone)
    r = run_cli(*args, "--sms-code", code, env=env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert r.json["user_id"] == phone.user_id and r.json["certificate_serial"]


def test_cli_mobile_register_needs_the_sms_code(phone, settings):
    number = unique_phone()
    args = ("register", "--phone", number, "--name", "李四", "--id-number", valid_id_number())
    r = phone.run(*args, "--password-stdin", input=PASSWORD + "\n", sms=False)
    assert r.returncode == 2 and r.error["code"] == "SMS_CODE_REQUIRED", r.stderr
    code = last_sms_code(settings.data, number)
    r = phone.run(*args, "--password-stdin", "--sms-code", code, input=PASSWORD + "\n", sms=False)
    assert r.returncode == 0, r.stderr
    assert r.json["user_id"] and r.json["certificate_serial"]
