"""Adding people to an organisation without telling who is registered, and leaving it
(issue 15, item 10).

A handler adding a handler or sub-account gets one answer whether the phone is not
registered or the name does not match, and only a few such answers; registration's
«该手机号已注册» is throttled too. The person added is told on their phone and can leave."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentdesk.identity.sms import read_outbox
from tests.support.factories import PASSWORD, auth, unique_phone, valid_id_number, valid_uscc


def _add_sub(client: TestClient, org: dict[str, Any], phone: str, name: str) -> Any:
    return client.post(
        "/api/v1/org/subaccounts",
        json={"phone": phone, "name": name},
        headers=auth(org["handler_token"]),
    )


def _add_handler(client: TestClient, org: dict[str, Any], phone: str, name: str) -> Any:
    return client.post(
        "/api/v1/org/handlers",
        json={"phone": phone, "name": name},
        headers=auth(org["handler_token"]),
    )


@pytest.mark.parametrize("add", [_add_sub, _add_handler])
def test_unknown_phone_and_wrong_name_get_one_answer(client, world, add):
    org = world.agency(world.person())
    person = world.person("李四")
    unknown = add(client, org, unique_phone(), "李四")
    mismatch = add(client, org, person.phone, "王五")
    assert unknown.status_code == mismatch.status_code == 404
    assert unknown.json() == mismatch.json()
    assert unknown.json()["error"]["code"] == "PERSON_NOT_MATCHED"


def test_failed_lookups_are_throttled_per_handler(client, world, settings):
    settings.lookup_max_failures = 3
    org = world.agency(world.person())
    person = world.person("李四")
    for _ in range(3):
        assert _add_sub(client, org, unique_phone(), "某人").status_code == 404
    # Even a right pair is refused now: the answer would tell it from a wrong one.
    r = _add_sub(client, org, person.phone, "李四")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    assert int(r.headers["Retry-After"]) > 0


def test_registration_answers_phone_taken_only_a_few_times(client, world, settings):
    settings.lookup_max_failures = 3
    taken = [world.person() for _ in range(4)]

    def register(phone: str) -> Any:
        return client.post(
            "/api/v1/identity/register",
            json={
                "phone": phone,
                "name": "探子",
                "id_number": valid_id_number(),
                "password": PASSWORD,
            },
        )

    for person in taken[:3]:
        assert register(person.phone).json()["error"]["code"] == "PHONE_TAKEN"
    r = register(taken[3].phone)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "RATE_LIMITED"


def _messages(client: TestClient, token: str) -> list[str]:
    return [m["text"] for m in client.get("/api/v1/me/messages", headers=auth(token)).json()]


@pytest.mark.parametrize("add", [_add_sub, _add_handler])
def test_the_person_added_is_told_on_their_phone(client, world, settings, add):
    org = world.agency(world.person())
    person = world.person("李四")
    before = len(read_outbox(settings.data, person.phone))
    assert add(client, org, person.phone, "李四").status_code == 201
    sms = read_outbox(settings.data, person.phone)[before:]
    assert len(sms) == 1
    assert org["name"] in sms[0]["text"] and sms[0]["code"] is None
    assert any(org["name"] in text for text in _messages(client, world.token(person)))


def test_the_person_added_can_leave_the_organisation(client, world, settings):
    org = world.agency(world.person())
    person = world.person("李四")
    sub = _add_sub(client, org, person.phone, "李四").json()
    assert _add_handler(client, org, person.phone, "李四").status_code == 201
    sub_token = world.sub_token(person, sub["account_id"])
    token = world.token(person)

    listed = client.get("/api/v1/me/organisations", headers=auth(token)).json()
    assert [(m["org_id"], sorted(m["roles"])) for m in listed] == [
        (org["org_id"], ["handler", "sub"])
    ]
    r = client.post(f"/api/v1/me/organisations/{org['org_id']}/leave", headers=auth(token))
    assert r.status_code == 200, r.text
    assert sorted(r.json()["left"]) == ["handler", "sub"]
    assert client.get("/api/v1/me/organisations", headers=auth(token)).json() == []
    # Its sessions in the organisation end at once; the person's own role stays.
    assert client.get("/api/v1/me", headers=auth(sub_token)).status_code == 401
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
    # The organisation sees who left and cannot switch them back on …
    subs = client.get("/api/v1/org/subaccounts", headers=auth(org["handler_token"])).json()
    (row,) = [s for s in subs if s["account_id"] == sub["account_id"]]
    assert row["disabled"] is True and row["left_at"]
    r = client.patch(
        f"/api/v1/org/subaccounts/{sub['account_id']}",
        json={"disabled": False},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "MEMBER_LEFT"
    # … only add them again, which tells them again.
    before = len(read_outbox(settings.data, person.phone))
    assert _add_sub(client, org, person.phone, "李四").status_code == 201
    assert len(read_outbox(settings.data, person.phone)) == before + 1
    subs = client.get("/api/v1/org/subaccounts", headers=auth(org["handler_token"])).json()
    (row,) = [s for s in subs if s["account_id"] == sub["account_id"]]
    assert row["disabled"] is False and row["left_at"] is None


def test_leaving_an_organisation_one_is_not_in_is_404(client, world):
    org = world.agency(world.person())
    stranger = world.person("王五")
    r = client.post(
        f"/api/v1/me/organisations/{org['org_id']}/leave", headers=auth(world.token(stranger))
    )
    assert r.status_code == 404
    r = client.post(f"/api/v1/me/organisations/{org['org_id']}/leave")
    assert r.status_code == 401


def test_leaving_from_the_command_line(desktop, phone, live_server, tmp_path):
    from tests.support.actors import Phone

    phone.register("王经办")
    desktop.login_with(phone)
    org = desktop.run(
        "org",
        "register",
        "--kind",
        "legal",
        "--name",
        "测试科技有限公司",
        "--uscc",
        valid_uscc(),
        "--main-password-stdin",
        "--json",
        input=PASSWORD + "\n",
    )
    assert org.returncode == 0, org.stderr
    desktop.login_with(phone, role=f"handler:{org.json['org_id']}")
    colleague = Phone(tmp_path / "colleague", live_server.url)
    colleague.register("李代理")
    sub = desktop.run(
        "org", "subaccount", "add", "--phone", colleague.phone, "--name", "李代理", "--json"
    )
    assert sub.returncode == 0, sub.stderr
    # The colleague, on their own computer, sees the organisation and leaves it.
    own = type(desktop)(tmp_path / "colleague-desktop", live_server.url)
    own.login_with(colleague)
    listed = own.run("org", "memberships", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [m["org_id"] for m in listed.json] == [org.json["org_id"]]
    left = own.run("org", "leave", org.json["org_id"], "--json")
    assert left.returncode == 0, left.stderr
    assert left.json["left"] == ["sub"]
    assert own.run("org", "memberships", "--json").json == []
