"""Organisations, branches, sub-accounts and permission domains through the HTTP API."""

from __future__ import annotations

import pytest

from tests.support.factories import PASSWORD, auth, valid_uscc


def test_register_agency_makes_the_person_its_handler(client, world):
    handler = world.person("王经办")
    org = world.agency(handler)
    me = client.get("/api/v1/me", headers=auth(org["handler_token"])).json()
    assert me["role"] == "handler" and me["org_id"] == org["org_id"]
    assert me["domain_name"] == "主机构"
    specs = {r["spec"] for r in me["roles"]}
    assert {"natural", f"handler:{org['org_id']}"} <= specs
    # The main account logs in with its password and sees the same main institution.
    main = client.get("/api/v1/me", headers=auth(world.main_token(org))).json()
    assert main["role"] == "main" and main["domain"] == me["domain"]


@pytest.mark.parametrize(
    "body,code",
    [
        (
            {
                "kind": "agency",
                "name": "某代理",
                "uscc": "91110108MA01ABCD0X",
                "agency_code": "11001",
            },
            "INVALID_USCC",
        ),
        (
            {"kind": "agency", "name": "某代理所", "uscc": None, "agency_code": "1100"},
            "INVALID_AGENCY_CODE",
        ),
        (
            {"kind": "legal", "name": "某公司", "uscc": None, "agency_code": "11001"},
            "VALIDATION_FAILED",
        ),
        ({"kind": "legal", "name": "x", "uscc": None}, "INVALID_ORG_NAME"),
    ],
)
def test_bad_organisation_input(client, world, body, code):
    token = world.token(world.person())
    body = {**body, "uscc": body["uscc"] or valid_uscc()}
    r = client.post("/api/v1/orgs", json=body, headers=auth(token))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


def test_duplicate_uscc_is_refused(client, world):
    org = world.agency(world.person())
    token = world.token(world.person())
    r = client.post(
        "/api/v1/orgs",
        json={"kind": "legal", "name": "另一家公司", "uscc": org["uscc"]},
        headers=auth(token),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "USCC_TAKEN"


def test_only_a_natural_person_registers_an_organisation(client, world):
    org = world.agency(world.person())
    r = client.post(
        "/api/v1/orgs",
        json={"kind": "legal", "name": "另一家公司", "uscc": valid_uscc()},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 403


@pytest.mark.seed("A2")
def test_handler_as_natural_person_sees_only_my_account(client, world):
    handler = world.person("王经办")
    org = world.agency(handler)
    natural = world.token(handler)  # the same person, logged in as a plain natural person
    assert client.get("/api/v1/org/subaccounts", headers=auth(natural)).status_code == 403
    assert client.get("/api/v1/me", headers=auth(natural)).json()["role"] == "natural"
    r = client.get("/api/v1/org/subaccounts", headers=auth(org["handler_token"]))
    assert r.status_code == 200
    # Switching the session's role to handler opens account management.
    r = client.post("/api/v1/me/role", json={"role": "handler"}, headers=auth(natural))
    assert r.status_code == 200 and r.json()["role"] == "handler"
    assert client.get("/api/v1/org/subaccounts", headers=auth(natural)).status_code == 200


@pytest.mark.seed("A3")
def test_sub_accounts_one_phone_each_and_unlimited(client, world):
    org = world.agency(world.person())
    people = [world.person(f"代理师{i}") for i in range(25)]
    for person in people:
        world.sub_account(org, person)
    listed = client.get("/api/v1/org/subaccounts", headers=auth(org["handler_token"])).json()
    assert len(listed) == 25
    assert len({s["phone"] for s in listed}) == 25
    # The same phone cannot be a second sub-account: one phone, one operator.
    r = client.post(
        "/api/v1/org/subaccounts",
        json={"phone": people[0].phone, "name": people[0].name},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_MEMBER"
    # A phone nobody registered cannot become a sub-account.
    r = client.post(
        "/api/v1/org/subaccounts",
        json={"phone": "13012345678", "name": "某人"},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "PERSON_NOT_MATCHED"
    r = client.post(
        "/api/v1/org/subaccounts",
        json={"phone": people[1].phone, "name": "别人"},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "PERSON_NOT_MATCHED"


@pytest.mark.seed("A6")
def test_many_users_of_one_domain_log_in_at_once_with_the_same_rights(client, world):
    org = world.agency(world.person())
    a, b = world.person("甲"), world.person("乙")
    sa, sb = world.sub_account(org, a), world.sub_account(org, b)
    ta, tb = world.sub_token(a, sa["account_id"]), world.sub_token(b, sb["account_id"])
    ma = client.get("/api/v1/me", headers=auth(ta)).json()
    mb = client.get("/api/v1/me", headers=auth(tb)).json()
    assert ma["domain"] == mb["domain"] == sa["domain"]
    assert ma["role"] == mb["role"] == "sub"
    # Both are logged in simultaneously, and neither manages accounts.
    for token in (ta, tb):
        assert client.get("/api/v1/org/subaccounts", headers=auth(token)).status_code == 403


@pytest.mark.seed("A8")
def test_handler_creates_sub_accounts_under_account_management(client, world):
    org = world.agency(world.person())
    branch = world.branch(org, "上海分所")
    person = world.person("赵代理")
    r = client.post(
        "/api/v1/org/subaccounts",
        json={"phone": person.phone, "name": "赵代理", "branch": "上海分所"},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 201
    assert r.json()["domain"] == branch
    session = world.web_login(person, role=f"sub:{r.json()['account_id']}")
    assert session["role"] == "sub" and session["domain"] == branch


@pytest.mark.seed("A9")
def test_domains_are_isolated_and_moving_moves_access(client, world):
    org = world.agency(world.person())
    branch = world.branch(org, "深圳分所")
    person = world.person("钱代理")
    sub = world.sub_account(org, person)
    token = world.sub_token(person, sub["account_id"])
    main_domain = client.get("/api/v1/me", headers=auth(token)).json()["domain"]
    assert main_domain != branch
    r = client.patch(
        f"/api/v1/org/subaccounts/{sub['account_id']}",
        json={"branch": branch},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 200 and r.json()["domain"] == branch
    # The same session now acts in the branch: access moved with the sub-account.
    assert client.get("/api/v1/me", headers=auth(token)).json()["domain"] == branch
    r = client.patch(
        f"/api/v1/org/subaccounts/{sub['account_id']}",
        json={"disabled": True},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401


def test_other_organisations_objects_are_404(client, world):
    org1 = world.agency(world.person())
    org2 = world.agency(world.person())
    b2 = world.branch(org2, "分所")
    person = world.person()
    sub2 = world.sub_account(org2, person)
    h1 = auth(org1["handler_token"])
    assert (
        client.patch(f"/api/v1/org/branches/{b2}", json={"name": "x"}, headers=h1).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/org/subaccounts/{sub2['account_id']}", json={"disabled": True}, headers=h1
        ).status_code
        == 404
    )
    r = client.post(
        "/api/v1/org/subaccounts",
        json={"phone": person.phone, "name": person.name, "branch": b2},
        headers=h1,
    )
    assert r.status_code == 404


def test_branch_names_are_checked(client, world):
    org = world.agency(world.person())
    world.branch(org, "北京分所")
    h = auth(org["handler_token"])
    r = client.post("/api/v1/org/branches", json={"name": "北京分所"}, headers=h)
    assert r.status_code == 409
    r = client.post("/api/v1/org/branches", json={"name": "  "}, headers=h)
    assert r.status_code == 422


def test_main_account_manages_but_a_sub_account_does_not(client, world):
    org = world.agency(world.person())
    main = world.main_token(org)
    r = client.post("/api/v1/org/branches", json={"name": "广州分所"}, headers=auth(main))
    assert r.status_code == 201
    person = world.person()
    sub = world.sub_account(org, person)
    token = world.sub_token(person, sub["account_id"])
    assert (
        client.post("/api/v1/org/branches", json={"name": "x"}, headers=auth(token)).status_code
        == 403
    )


def test_main_account_password_login_is_rate_limited(client, world, settings):
    org = world.agency(world.person())
    for _ in range(settings.login_max_failures):
        client.post(
            "/api/v1/auth/password-login", json={"account": org["uscc"], "password": "nope12345"}
        )
    r = client.post(
        "/api/v1/auth/password-login", json={"account": org["uscc"], "password": PASSWORD}
    )
    assert r.status_code == 429
