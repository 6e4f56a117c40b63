"""Every API endpoint × every role × own/other domain.

The table below names, for each endpoint, the roles that may use it; every other role must be
refused (401 without login, 403 for a role without the permission, 404 for another domain's
object). A new endpoint without a row fails ``test_every_endpoint_is_in_the_matrix``: every
resource gets its permission tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.acceptance.test_query_authz import QUERY_ENDPOINTS
from tests.support.factories import auth

ANON = "anonymous"
ROLES = ["natural", "handler", "sub", "main", "office", "other_handler"]
PUBLIC = "public"


@dataclass
class Row:
    method: str
    path: str
    allowed: set[str]  # roles that get a 2xx; PUBLIC: also anonymous
    body: Any = None
    # For paths with an object of the handler's organisation: roles outside it get 404.
    owned: bool = False


def _rows(w: dict[str, Any]) -> list[Row]:
    own_branch = w["branch"]
    own_sub = w["sub_account"]
    return [
        Row("GET", "/api/v1/health", {PUBLIC}),
        Row("GET", "/api/v1/me", set(ROLES)),
        Row("GET", "/api/v1/me/sessions", set(ROLES)),
        Row("GET", "/api/v1/me/messages", set(ROLES)),
        Row("GET", "/api/v1/org", {"handler", "main", "other_handler"}),
        Row("GET", "/api/v1/org/branches", {"handler", "main", "other_handler"}),
        Row("GET", "/api/v1/org/subaccounts", {"handler", "main", "other_handler"}),
        Row("GET", "/api/v1/org/handlers", {"handler", "main", "other_handler"}),
        Row(
            "PATCH",
            f"/api/v1/org/branches/{own_branch}",
            {"handler", "main"},
            {"disabled": False},
            owned=True,
        ),
        Row(
            "PATCH",
            f"/api/v1/org/subaccounts/{own_sub}",
            {"handler", "main"},
            {"disabled": False},
            owned=True,
        ),
    ]


# Endpoints whose behaviour is covered elsewhere with their own fixtures (creating data):
# path templates as FastAPI lists them.
COVERED_ELSEWHERE = {
    ("POST", "/api/v1/identity/register"),
    ("POST", "/api/v1/identity/sms-codes"),
    ("POST", "/api/v1/identity/password-reset"),
    ("POST", "/api/v1/identity/complete-profile"),
    ("POST", "/api/v1/auth/password-login"),
    ("POST", "/api/v1/auth/password-login/verify"),
    ("POST", "/api/v1/auth/logout"),
    ("DELETE", "/api/v1/me/sessions/{session_id}"),
    ("POST", "/api/v1/me/role"),
    ("POST", "/api/v1/orgs"),
    ("POST", "/api/v1/org/branches"),
    ("POST", "/api/v1/org/subaccounts"),
    ("POST", "/api/v1/org/handlers"),
}


@pytest.fixture
def matrix_world(client, world):
    handler = world.person("经办人")
    org = world.agency(handler)
    branch = world.branch(org, "分所")
    sub_person = world.person("子账户")
    sub = world.sub_account(org, sub_person)
    other_org = world.agency(world.person("别家经办人"))
    office_token = _office_token(client, world)
    tokens = {
        "natural": world.token(world.person("路人")),
        "handler": org["handler_token"],
        "sub": world.sub_token(sub_person, sub["account_id"]),
        "main": world.main_token(org),
        "office": office_token,
        "other_handler": other_org["handler_token"],
    }
    return {"tokens": tokens, "branch": branch, "sub_account": sub["account_id"], "org": org}


def _office_token(client, world):
    from patentdesk.identity.service import Context, create_office_user
    from tests.support.factories import PASSWORD, unique_phone

    phone = unique_phone()
    app = client.app
    with app.state.db.unit_of_work() as s:
        create_office_user(
            s, Context(app.state.settings), phone=phone, name="审查员", password=PASSWORD
        )
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": phone, "password": PASSWORD, "client_kind": "web"},
    )
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _call(client, row: Row, token: str | None):
    headers = auth(token) if token else {}
    return client.request(row.method, row.path, json=row.body, headers=headers)


def test_every_endpoint_is_in_the_matrix(app, matrix_world):
    from fastapi.routing import APIRoute

    listed = {(r.method, _template(r.path, matrix_world)) for r in _rows(matrix_world)}
    missing = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            key = (method, route.path)
            if key not in listed and key not in COVERED_ELSEWHERE and key not in EXTRA_COVERED:
                missing.append(key)
    assert not missing, f"endpoints without authorization tests: {sorted(missing)}"


# Domains add their own matrix rows in their own test modules and list them here.
EXTRA_COVERED: set[tuple[str, str]] = set(QUERY_ENDPOINTS)


def _template(path: str, w: dict[str, Any]) -> str:
    return path.replace(w["branch"], "{branch_id}").replace(w["sub_account"], "{account_id}")


def test_matrix(client, matrix_world):
    failures = []
    for row in _rows(matrix_world):
        anon = _call(client, row, None)
        if PUBLIC in row.allowed:
            if anon.status_code >= 400:
                failures.append((row.method, row.path, ANON, anon.status_code))
            continue
        if anon.status_code != 401:
            failures.append((row.method, row.path, ANON, anon.status_code))
        for role in ROLES:
            r = _call(client, row, matrix_world["tokens"][role])
            if role in row.allowed:
                ok = 200 <= r.status_code < 300
            elif row.owned and role in ("other_handler",):
                ok = r.status_code == 404
            else:
                ok = r.status_code in (403, 404)
            if not ok:
                failures.append((row.method, row.path, role, r.status_code))
    assert not failures, failures


def test_unknown_ids_are_404_not_500(client, matrix_world):
    h = auth(matrix_world["tokens"]["handler"])
    r = client.patch(f"/api/v1/org/branches/{uuid.uuid4()}", json={"name": "x"}, headers=h)
    assert r.status_code == 404
    r = client.patch("/api/v1/org/branches/not-a-uuid", json={"name": "x"}, headers=h)
    assert r.status_code == 422


def test_a_role_one_does_not_hold_cannot_be_taken(client, matrix_world):
    org = matrix_world["org"]
    for role in ("natural", "sub", "other_handler"):
        r = client.post(
            "/api/v1/me/role",
            json={"role": f"handler:{org['org_id']}"},
            headers=auth(matrix_world["tokens"][role]),
        )
        assert r.status_code == 403, (role, r.text)
        assert r.json()["error"]["code"] == "ROLE_UNAVAILABLE"
