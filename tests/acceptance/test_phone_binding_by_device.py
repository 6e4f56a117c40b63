"""Binding a new phone with the approval of a phone already bound, instead of the SMS code
(issue 15 item 4, SPEC §10 `mobile login`): the password and a scan on the bound phone."""

from __future__ import annotations

from typing import Any

from tests.support.apiphone import ApiPhone
from tests.support.factories import PASSWORD


def _start(client: Any, phone: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/api/v1/auth/password-login",
        json={
            "account": phone,
            "password": password,
            "client_kind": "app",
            "second_factor": "device",
            "device_name": "备用手机",
        },
    )


def test_a_bound_phone_approves_the_new_one(client, world, settings):
    person = world.person()
    old = ApiPhone.bind(client, person, name="旧手机")
    r = _start(client, person.phone)
    assert r.status_code == 200, r.text
    started = r.json()
    assert started["second_factor"] == "device" and "token" not in started
    assert started["payload"] and started["secret"] and started["short_code"]
    # The bound phone sees that a phone asks to be bound, then approves.
    shown = old.describe(started["payload"])
    assert shown["client_kind"] == "app" and shown["device_name"] == "备用手机"
    poll = f"/api/v1/auth/qr/{started['request_id']}/poll"
    assert client.post(poll, json={"secret": started["secret"]}).json()["status"] == "pending"
    assert old.decide_login(started["payload"]).status_code == 200
    r = client.post(poll, json={"secret": started["secret"]})
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    new = ApiPhone(client, person)
    new.token = r.json()["token"]
    bound = new.register_device("备用手机")
    assert bound.status_code == 201, bound.text
    kinds = [m["kind"] for m in client.get("/api/v1/me/messages", headers=new.headers).json()]
    assert "device" in kinds


def test_only_the_accounts_own_phone_can_approve(client, world):
    person, stranger = world.person(), world.person("李四")
    ApiPhone.bind(client, person)
    other = ApiPhone.bind(client, stranger)
    started = _start(client, person.phone).json()
    r = other.decide_login(started["payload"])
    assert r.status_code in (403, 404), r.text
    r = client.post(
        f"/api/v1/auth/qr/{started['request_id']}/poll", json={"secret": started["secret"]}
    )
    assert r.json()["status"] == "pending"


def test_the_password_is_still_needed_and_a_phone_must_be_bound(client, world):
    person = world.person()
    assert _start(client, person.phone, "Wrong2026pw").status_code == 401
    r = _start(client, person.phone)  # no phone bound yet: the SMS code is the way
    assert r.status_code == 409 and r.json()["error"]["code"] == "NO_BOUND_PHONE", r.text


def test_a_qr_login_for_the_app_cannot_be_started_without_the_password(client):
    r = client.post("/api/v1/auth/qr", json={"client_kind": "app"})
    assert r.status_code == 422


def test_cli_a_spare_phone_is_bound_by_a_scan_on_the_bound_one(phone, tmp_path):
    import subprocess
    import sys

    from tests.support.actors import PendingLogin, Phone

    phone.register("张三")
    spare = Phone(tmp_path / "spare", phone.server)
    qr_file = tmp_path / "bind-qr.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "patentdesk", "mobile", "login", "--phone", phone.phone,
         "--password-stdin", "--by-bound-phone", "--qr-text", str(qr_file), "--timeout", "30",
         "--json"],
        env=spare.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(PASSWORD + "\n")
    proc.stdin.flush()
    pending = PendingLogin(proc, qr_file)
    shown = phone.run("scan", pending.payload())
    assert shown.returncode == 0 and shown.json["requester"]["client_kind"] == "app", shown.stderr
    approved = phone.scan(pending.payload())
    assert approved.returncode == 0 and approved.json["status"] == "approved", approved.stderr
    result = pending.result()
    assert result.returncode == 0, result.stderr
    assert result.json["user_id"] == phone.user_id and result.json["certificate_serial"]
    listed = spare.run("devices")
    assert len(listed.json) == 2
