"""Names from registration to certificate (issue 15, items 8 and 9): what registers can be
certified, and control, bidi-override and zero-width characters are refused with an error
that names the field, wherever a person's name enters."""

from __future__ import annotations

import pytest

from tests.support.apiphone import ApiPhone
from tests.support.factories import (
    PASSWORD,
    Person,
    auth,
    data_dir_of,
    register_person,
    unique_phone,
    valid_id_number,
)


def _register(client, name):
    body = {"phone": unique_phone(), "name": name, "id_number": valid_id_number(),
            "password": PASSWORD}  # fmt: skip
    return body, register_person(client, data_dir_of(client), body)


def test_a_name_too_long_for_the_certificate_is_refused_at_registration(client):
    _body, r = _register(client, "张" * 22)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "INVALID_NAME" and error["details"]["field"] == "name"
    assert "21" in error["message"]


@pytest.mark.parametrize("name", ["张" * 21, "Maximilian Alexander Montgomery-Smith von Habsburg"])
def test_the_longest_names_that_register_also_get_a_certificate(client, name):
    body, r = _register(client, name)
    assert r.status_code == 201, r.text
    person = Person(body["phone"], name, r.json()["user_id"])
    phone = ApiPhone.bind(client, person)
    assert phone.certificate_serial


@pytest.mark.parametrize(
    "name,char",
    [
        ("张\x00三", "U+0000"),
        ("张三\x07", "U+0007"),
        ("张\u202e三", "U+202E"),
        ("张\u200b三", "U+200B"),
    ],
)
def test_hostile_characters_in_a_name_are_refused_naming_the_field(client, settings, name, char):
    from patentdesk.identity.sms import read_outbox

    body, r = _register(client, name)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "INVALID_NAME" and error["details"]["field"] == "name"
    assert char in error["message"] and char in error["message_en"]
    assert read_outbox(settings.data, body["phone"]) == []  # refused before a code is sent


def test_sub_accounts_and_handlers_refuse_hostile_names(client, world):
    handler = world.person("王经办")
    org = world.agency(handler)
    colleague = world.person("赵代理")
    for path in ("/api/v1/org/subaccounts", "/api/v1/org/handlers"):
        r = client.post(
            path,
            json={"phone": colleague.phone, "name": "赵\u202e代理"},
            headers=auth(org["handler_token"]),
        )
        assert r.status_code == 422, (path, r.text)
        assert r.json()["error"]["details"]["field"] == "name"
        assert "U+202E" in r.json()["error"]["message"]


def test_branch_and_organisation_names_refuse_hostile_characters(client, world):
    handler = world.person("王经办")
    org = world.agency(handler)
    r = client.post(
        "/api/v1/org/branches", json={"name": "上海\u200b分所"}, headers=auth(org["handler_token"])
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "name", r.text
    assert "U+200B" in r.json()["error"]["message"]
