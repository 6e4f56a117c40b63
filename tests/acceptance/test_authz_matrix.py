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

from tests.acceptance.test_filing_authz import FILING_ENDPOINTS
from tests.acceptance.test_query_authz import QUERY_ENDPOINTS
from tests.acceptance.test_signing_authz import PKI_ENDPOINTS
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
        Row("GET", "/api/v1/me/organisations", set(ROLES)),
        # Alert settings are the person's own, whatever role they act in.
        Row("GET", "/api/v1/me/alerts", set(ROLES)),
        Row("PUT", "/api/v1/me/alerts", set(ROLES), {"on_payments": False}),
        Row("GET", "/api/v1/org", {"handler", "main", "other_handler"}),
        Row("GET", "/api/v1/org/branches", {"handler", "main", "other_handler"}),
        Row("GET", "/api/v1/org/subaccounts", {"handler", "main", "other_handler"}),
        Row("GET", "/api/v1/org/handlers", {"handler", "main", "other_handler"}),
        # Notices: every user lists their own domain's (office users: all domains).
        Row("GET", "/api/v1/notices", set(ROLES)),
        Row("GET", "/api/v1/deadlines", set(ROLES)),
        Row("GET", "/api/v1/deadlines.ics", set(ROLES)),
        Row("GET", "/api/v1/office/worklist", {"office"}),
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
    ("POST", "/api/v1/me/password"),  # every role, anonymous: test_change_password.py
    ("POST", "/api/v1/orgs"),
    ("POST", "/api/v1/org/branches"),
    ("POST", "/api/v1/org/subaccounts"),
    ("POST", "/api/v1/org/handlers"),
    # anonymous, not a member, member: test_org_membership.py
    ("POST", "/api/v1/me/organisations/{org_id}/leave"),
    ("GET", "/api/v1/updates/root.json"),  # public; tests/unit/updates/test_routes.py
    # anonymous, no address set, own address: test_alerts.py
    ("POST", "/api/v1/me/alerts/verification"),
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


def api_endpoints(app) -> set[tuple[str, str]]:
    """Every API operation the server publishes. The OpenAPI document is the list: recent
    FastAPI versions keep included routers nested, so ``app.routes`` no longer shows them."""
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
        if method in methods
    }


def test_every_endpoint_is_in_the_matrix(app, matrix_world):
    listed = {(r.method, _template(r.path, matrix_world)) for r in _rows(matrix_world)}
    endpoints = api_endpoints(app)
    assert ("GET", "/api/v1/me") in endpoints  # the list is not empty by accident
    missing = [
        key
        for key in endpoints
        if key not in listed and key not in COVERED_ELSEWHERE and key not in EXTRA_COVERED
    ]
    assert not missing, f"endpoints without authorization tests: {sorted(missing)}"


# Domains add their own matrix rows in their own test modules and list them here.
EXTRA_COVERED: set[tuple[str, str]] = (
    set(PKI_ENDPOINTS)
    | FILING_ENDPOINTS
    | set(QUERY_ENDPOINTS)
    | {
        # PKI: test_signing_authz.py; filing, notices, office: test_filing_authz.py
        # fees: tests/acceptance/test_fees_api.py (every role, own and other domain; the bank's
        # callback is public and verified by its signature instead)
        ("GET", "/api/v1/cases/{case_id}/fees"),
        ("POST", "/api/v1/cases/{case_id}/payments"),
        ("POST", "/api/v1/cases/{case_id}/payments/{payment_id}/cancel"),
        ("GET", "/api/v1/fees/authorizations"),
        ("POST", "/api/v1/fees/authorizations"),
        ("DELETE", "/api/v1/fees/authorizations/{authorization_id}"),
        ("POST", "/api/v1/payments/callbacks/{gateway}"),
    }
)


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


# ---------------------------------------------------------------- web pages: drafts (业务采集)
# Page routes, not /api/: anonymous users are sent to the login page, the office has no
# drafts, and a draft is seen only in the permission domain it was made in (a natural
# person's own domain here): everyone else gets 404 and changes nothing.

DRAFT_CSRF = "matrix-csrf"


def all_routes(routes: Any, prefix: str = "") -> Any:
    """(path, APIRoute) of every route, also inside included routers: FastAPI (0.165) lists
    an included router as one ``_IncludedRouter`` entry of ``app.routes``."""
    from fastapi.routing import APIRoute

    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from all_routes(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _draft_rows(draft: str, files: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/drafts/{draft}"
    png = {"file": ("figure.png", files["png"])}
    return [
        ("GET", "/drafts", {}),
        ("POST", "/drafts", {"data": {"business_type": "fee"}}),
        ("POST", "/drafts/import", {"files": {"package": ("case.zip", files["package"])}}),
        ("GET", base, {}),
        ("GET", f"{base}/validation", {}),
        ("GET", f"{base}/download", {}),
        ("POST", f"{base}/form", {"data": {"title": "折叠车"}}),  # rev added for the owner
        ("POST", f"{base}/attachments", {"data": {"role": "other"}, "files": png}),
        ("POST", f"{base}/attachments/delete", {"data": {"entry": "attachments/other/figure.png"}}),
        ("POST", f"{base}/related", {"data": {"kind": "substantive_examination"}}),
        ("POST", f"{base}/related/delete", {"data": {"kind": "substantive_examination"}}),
        # Signing and submitting: the owner's draft is not valid, not signed, not a change
        # (the answers say so); everyone else gets 404 before any of that is looked at.
        ("POST", f"{base}/sign", {"_owner": 422}),
        ("GET", f"{base}/sign", {}),
        ("GET", f"{base}/sign/status", {}),
        ("GET", f"{base}/submit", {}),
        ("POST", f"{base}/submit", {"_owner": 409}),
        ("POST", f"{base}/change-item", {"data": {"item": "title"}, "_owner": 422}),
        # Starting work from a notice or a case nobody here may see: 404 for everyone.
        ("POST", f"/drafts/start/notice/{NOBODYS}/response", {"_owner": 404, "_others": 404}),
        ("POST", f"/drafts/start/notice/{NOBODYS}/reexam", {"_owner": 404, "_others": 404}),
        ("POST", f"/drafts/start/case/{NOBODYS}/change", {"_owner": 404, "_others": 404}),
        ("POST", f"{base}/delete", {}),
    ]


NOBODYS = "00000000-0000-4000-8000-000000000000"


def test_draft_pages_matrix(app, client, matrix_world, tmp_path):
    import re

    from patentdesk.packages.editing import new_package
    from tests.unit.packages.helpers import png_bytes

    tokens = matrix_world["tokens"]
    client.cookies.set("pd_csrf", DRAFT_CSRF)

    def call(method, url, token, **kw):
        headers = {"x-csrf-token": DRAFT_CSRF, **(auth(token) if token else {})}
        return client.request(method, url, headers=headers, follow_redirects=False, **kw)

    r = call("POST", "/drafts", tokens["natural"], data={"business_type": "invention"})
    assert r.status_code == 303, r.text
    draft = r.headers["location"].rsplit("/", 1)[-1]
    (stored,) = app.state.settings.data.glob(f"drafts/*/*/{draft}.zip")
    new_package("utility", tmp_path / "case.zip")
    rows = _draft_rows(draft, {"png": png_bytes(), "package": (tmp_path / "case.zip").read_bytes()})

    listed = {
        (m, p.replace(draft, "{draft_id}").replace(f"{NOBODYS}/", "{id}/")) for m, p, _ in rows
    }
    routes = {
        (m, path)
        for path, route in all_routes(app.routes)
        if path.startswith("/drafts")
        for m in route.methods - {"HEAD"}
    }
    # One route answers «答复» and «请求复审»: both kinds are in the rows.
    routes = {
        (m, path.replace("{notice_id}/{kind}", f"{{id}}/{kind}"))
        for m, path in routes
        for kind in (("response", "reexam") if "{kind}" in path else ("",))
    }
    routes = {(m, path.replace("{case_id}", "{id}")) for m, path in routes}
    assert routes == listed, f"draft pages without authorization tests: {routes ^ listed}"

    failures = []
    for method, url, kw in rows:
        kw = dict(kw)
        owner_status = kw.pop("_owner", None)
        others_status = kw.pop("_others", None)
        mine = draft in url
        before = stored.read_bytes() if stored.exists() else None
        anon = call(method, url, None, **kw)
        if anon.status_code != 303 or anon.headers["location"] != "/login":
            failures.append((method, url, ANON, anon.status_code))
        for role in ROLES:
            if role == "natural":
                continue
            r = call(method, url, tokens[role], **kw)
            expected = 403 if role == "office" else (404 if mine else others_status)
            if expected is not None and r.status_code != expected:
                failures.append((method, url, role, r.status_code))
            if expected is None and r.status_code >= 400:
                failures.append((method, url, role, r.status_code))
        if mine and before is not None and stored.read_bytes() != before:
            failures.append((method, url, "others changed the draft", 0))
        if url.endswith("/form"):
            page = call("GET", f"/drafts/{draft}", tokens["natural"]).text
            kw = {"data": {**kw["data"], "rev": re.search(r'name="rev" value="(\w+)"', page)[1]}}
        r = call(method, url, tokens["natural"], **kw)
        if (r.status_code != owner_status) if owner_status else (r.status_code >= 400):
            failures.append((method, url, "natural (owner)", r.status_code))
    assert not failures, failures
    assert not stored.exists()  # the owner's delete, last
