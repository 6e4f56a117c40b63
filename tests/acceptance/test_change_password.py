"""修改密码: a logged-in user changes the password with the current one, through the API,
the mobile app and the account page; other logins end unless the user keeps them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from patentdesk.audit import AuditEvent
from tests.support.browser import web_login
from tests.support.factories import PASSWORD, auth
from tests.support.inproc import ApiPhone

NEW = "Changed2026pass"


def _change(client, token, current=PASSWORD, new=NEW, **extra):
    body = {"current_password": current, "new_password": new, **extra}
    return client.post("/api/v1/me/password", json=body, headers=auth(token) if token else {})


def _password_login(client, account: str, password: str, kind: str = "web"):
    return client.post(
        "/api/v1/auth/password-login",
        json={"account": account, "password": password, "client_kind": kind},
    )


def test_change_password_ends_the_other_logins(client, app, world):
    person = world.person("张三")
    web = world.token(person)
    other_web = world.token(person)
    phone = ApiPhone(world, person)  # the app's own session

    r = _change(client, web)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": True, "ended_sessions": 2}
    # This session goes on; the other browser and the phone are logged out.
    assert client.get("/api/v1/me", headers=auth(web)).status_code == 200
    assert client.get("/api/v1/me", headers=auth(other_web)).status_code == 401
    assert client.get("/api/v1/me", headers=auth(phone.token)).status_code == 401
    # The old password no longer opens anything; the new one does.
    assert _password_login(client, person.phone, PASSWORD).status_code == 401
    assert _password_login(client, person.phone, NEW).status_code == 200
    assert _password_login(client, person.phone, NEW, kind="app").status_code == 200
    # The user is told, and the audit log has it.
    texts = [m["text"] for m in client.get("/api/v1/me/messages", headers=auth(web)).json()]
    assert any("密码已于" in t and "其他 2 个登录" in t for t in texts)
    with app.state.db.unit_of_work() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert "user.password_changed" in actions


def test_other_logins_can_be_kept(client, world):
    person = world.person()
    web, other = world.token(person), world.token(person)
    r = _change(client, web, end_other_sessions=False)
    assert r.json()["ended_sessions"] == 0
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "status", "code"),
    [
        ("Wrong2026pass", NEW, 403, "CURRENT_PASSWORD_WRONG"),
        (PASSWORD, PASSWORD, 422, "PASSWORD_UNCHANGED"),
        (PASSWORD, "short1", 422, "WEAK_PASSWORD"),
        (PASSWORD, "onlyletterspassword", 422, "WEAK_PASSWORD"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(client, world, current, new, status, code):
    person = world.person()
    web, other = world.token(person), world.token(person)
    r = _change(client, web, current=current, new=new)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200
    assert _password_login(client, person.phone, PASSWORD).status_code == 200


def test_guessing_the_current_password_is_throttled(client, world, settings):
    person = world.person()
    web = world.token(person)
    for _ in range(settings.login_max_failures):
        assert _change(client, web, current="Guess2026pass").status_code == 403
    r = _change(client, web)  # even the right password waits now
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0


def test_every_kind_of_account_changes_its_own_password(client, app, world):
    from tests.acceptance.test_authz_matrix import _office_token

    assert _change(client, None).status_code == 401
    handler = world.person("经办人")
    org = world.agency(handler)
    sub_person = world.person("子账户")
    sub = world.sub_account(org, sub_person)
    tokens = {
        "handler": org["handler_token"],
        "sub": world.sub_token(sub_person, sub["account_id"]),
        "main": world.main_token(org),
        "office": _office_token(client, world),
    }
    for role, token in tokens.items():
        r = _change(client, token, end_other_sessions=False)
        assert r.status_code == 200, (role, r.text)
    # The main account logs in with its new password (its USCC is the account).
    assert _password_login(client, org["uscc"], NEW).status_code == 200


def test_mobile_change_password(phone, client):
    phone.register("李四")
    r = phone.run("change-password", "--password-stdin", input=f"{PASSWORD}\n{NEW}\n")
    assert r.returncode == 0, r.stderr
    assert r.json["changed"] is True
    # The phone stays logged in: it can still show its certificate and devices.
    assert phone.run("devices").returncode == 0
    wrong = phone.run("change-password", "--password-stdin", input=f"{PASSWORD}\n{NEW}x1\n")
    assert wrong.returncode != 0
    assert wrong.error["code"] == "CURRENT_PASSWORD_WRONG"


@pytest.mark.browser
def test_account_page_changes_the_password(page, client, world, settings):
    person = world.person("王五")
    other = world.token(person)
    web_login(page, settings.data, person.phone, PASSWORD)
    page.goto("/account")
    # Two different new passwords: a clear error, nothing changes.
    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", NEW)
    page.fill("#new-password-confirm", NEW + "x")
    page.click("#change-password-submit")
    assert "两次输入的新密码不一致" in page.locator("#password-error").inner_text()
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200
    # Then right: the flash says how many other logins ended.
    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", NEW)
    page.fill("#new-password-confirm", NEW)
    page.click("#change-password-submit")
    assert "已结束其他 1 个登录" in page.locator("#password-flash").inner_text()
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 401
    assert page.locator("#sessions tr[data-session]").count() == 1
