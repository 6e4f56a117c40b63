"""Filing, notices and office endpoints × every role × own/other domain.

Listed in test_authz_matrix.EXTRA_COVERED through FILING_ENDPOINTS."""

from __future__ import annotations

import pytest

from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit

ROLES = ["anonymous", "natural", "handler", "sub", "main", "office", "other_handler"]
SAME_DOMAIN = {"handler", "sub", "main"}

FILING_ENDPOINTS = {
    ("GET", "/api/v1/cases/by-number/{number}"),
    ("GET", "/api/v1/cases/{case_id}"),
    ("GET", "/api/v1/deadlines"),
    ("GET", "/api/v1/deadlines.ics"),
    ("GET", "/api/v1/notices"),
    ("GET", "/api/v1/notices/{notice_id}"),
    ("GET", "/api/v1/notices/{notice_id}/pdf"),
    ("GET", "/api/v1/office/worklist"),
    ("GET", "/api/v1/receipts/{receipt_id}"),
    ("GET", "/api/v1/submissions/{submission_id}"),
    ("GET", "/api/v1/uploads/{upload_id}"),
    ("POST", "/api/v1/notices/download"),
    ("POST", "/api/v1/notices/{notice_id}/confirm"),
    ("POST", "/api/v1/office/notices"),
    ("POST", "/api/v1/office/submissions/{submission_id}/accept"),
    ("POST", "/api/v1/office/submissions/{submission_id}/refuse"),
    ("POST", "/api/v1/submissions"),
    ("POST", "/api/v1/uploads"),
    ("PUT", "/api/v1/uploads/{upload_id}"),
}


@pytest.fixture
def filed(client, app, world, tmp_path):
    handler = world.person("经办人")
    org = world.agency(handler)
    sub_person = world.person("子账户")
    sub = world.sub_account(org, sub_person)
    phone = ApiPhone(world, handler)
    token = phone.desktop_login(f"handler:{org['org_id']}")
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    out = submit(client, token, package).json()
    office = office_token(client, app)
    accepted = client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept", headers=auth(office)
    ).json()
    notice = accepted["notices"][0]
    case = client.get(
        f"/api/v1/cases/by-number/{out['application_number']}", headers=auth(token)
    ).json()
    upload = client.post(
        "/api/v1/uploads", json={"size": 10, "sha256": "0" * 64}, headers=auth(token)
    ).json()
    tokens = {
        "anonymous": None,
        "natural": world.token(world.person("路人")),
        "handler": token,
        "sub": world.sub_token(sub_person, sub["account_id"]),
        "main": world.main_token(org),
        "office": office,
        "other_handler": world.agency(world.person("别家"))["handler_token"],
    }
    return {"out": out, "notice": notice, "case": case, "upload": upload, "tokens": tokens}


def _call(client, token, method, path, headers=None, **kw):
    return client.request(
        method, path, headers={**(auth(token) if token else {}), **(headers or {})}, **kw
    )


def _expect(results, allowed, hidden=(), forbidden=()):
    """allowed → 2xx; hidden → 404; forbidden → 403; anonymous → 401 unless named."""
    failures = []
    for role, status in results.items():
        if role in allowed:
            ok = 200 <= status < 300
        elif role in hidden:
            ok = status == 404
        elif role in forbidden:
            ok = status == 403
        elif role == "anonymous":
            ok = status == 401
        else:
            ok = status in (403, 404)
        if not ok:
            failures.append((role, status))
    return failures


def test_domain_owned_objects(client, filed):
    out, notice, case = filed["out"], filed["notice"], filed["case"]
    others = {"natural", "other_handler"}
    table = [
        ("GET", f"/api/v1/cases/{case['id']}", SAME_DOMAIN | {"office"}, others, ()),
        (
            "GET",
            f"/api/v1/cases/by-number/{out['application_number']}",
            SAME_DOMAIN | {"office"},
            others,
            (),
        ),
        (
            "GET",
            f"/api/v1/submissions/{out['submission_id']}",
            SAME_DOMAIN | {"office"},
            others,
            (),
        ),
        ("GET", f"/api/v1/receipts/{out['receipt_id']}", SAME_DOMAIN, others, {"office"}),
        ("GET", f"/api/v1/notices/{notice['id']}", SAME_DOMAIN | {"office"}, others, ()),
        ("GET", f"/api/v1/notices/{notice['id']}/pdf", SAME_DOMAIN, others, {"office"}),
        ("POST", f"/api/v1/notices/{notice['id']}/confirm", SAME_DOMAIN, others, {"office"}),
    ]
    failures = []
    for method, path, allowed, hidden, forbidden in table:
        results = {
            r: _call(client, t, method, path).status_code for r, t in filed["tokens"].items()
        }
        failures += [(method, path, *f) for f in _expect(results, allowed, hidden, forbidden)]
    results = {
        r: _call(
            client, t, "POST", "/api/v1/notices/download", json={"ids": [notice["id"]]}
        ).status_code
        for r, t in filed["tokens"].items()
    }
    failures += [("bulk", *f) for f in _expect(results, SAME_DOMAIN, others, {"office"})]
    assert not failures, failures


def test_lists_show_only_the_domain(client, filed):
    serial = filed["notice"]["serial"]
    for role, token in filed["tokens"].items():
        for path in ("/api/v1/notices", "/api/v1/deadlines"):
            r = _call(client, token, "GET", path, params={"include_past": True})
            if role == "anonymous":
                assert r.status_code == 401
                continue
            assert r.status_code == 200, (role, path, r.text)
            seen = {n.get("serial") for n in r.json()}
            assert (serial in seen) == (
                role in SAME_DOMAIN | {"office"}
            ) or path != "/api/v1/notices", (role, path)
        ics = _call(client, token, "GET", "/api/v1/deadlines.ics")
        assert ics.status_code == (401 if role == "anonymous" else 200)


def test_office_endpoints_are_office_only(client, filed):
    out = filed["out"]
    table = [
        ("GET", "/api/v1/office/worklist", None),
        (
            "POST",
            "/api/v1/office/notices",
            {"application_number": out["application_number"], "code": "210301", "text": "x"},
        ),
        ("POST", f"/api/v1/office/submissions/{out['submission_id']}/refuse", {"reason": "x"}),
        ("POST", f"/api/v1/office/submissions/{out['submission_id']}/accept", None),
    ]
    for method, path, body in table:
        for role, token in filed["tokens"].items():
            if role == "office":
                continue
            r = _call(client, token, method, path, json=body)
            assert r.status_code == (401 if role == "anonymous" else 403), (role, path)
    assert (
        _call(client, filed["tokens"]["office"], "GET", "/api/v1/office/worklist").status_code
        == 200
    )
    # Already accepted: the office gets a clear 409, not a second decision.
    r = _call(
        client,
        filed["tokens"]["office"],
        "POST",
        f"/api/v1/office/submissions/{out['submission_id']}/accept",
    )
    assert r.status_code == 409


def test_uploads_and_submissions(client, filed):
    upload = filed["upload"]["upload_id"]
    for role, token in filed["tokens"].items():
        r = _call(client, token, "GET", f"/api/v1/uploads/{upload}")
        expected = {"anonymous": 401, "handler": 200}.get(role, 404)
        assert r.status_code == expected, (role, r.text)
        r = _call(
            client, token, "PUT", f"/api/v1/uploads/{upload}", params={"offset": 0}, content=b"x"
        )
        expected = {"anonymous": 403, "handler": 200, "main": 403, "office": 403}.get(role, 404)
        assert r.status_code == expected, (role, r.text)
        r = _call(client, token, "POST", "/api/v1/uploads", json={"size": 1, "sha256": "0" * 64})
        expected = {"anonymous": 401, "main": 403, "office": 403}.get(role, 201)
        assert r.status_code == expected, (role, r.text)
        r = _call(
            client,
            token,
            "POST",
            "/api/v1/submissions",
            content=b"not a zip",
            headers={**(auth(token) if token else {}), "Content-Type": "application/zip"},
        )
        if role in ("anonymous", "main", "office"):
            assert r.status_code == 403, (role, r.text)
        else:
            assert r.status_code in (400, 422), (role, r.text)


@pytest.mark.seed("A9")
def test_a_moved_sub_account_signs_for_its_new_branch_at_once(client, world, tmp_path):
    handler = world.person("经办人")
    org = world.agency(handler)
    htoken = ApiPhone(world, handler).desktop_login(f"handler:{org['org_id']}")
    branch = world.branch(org, "杭州分部")
    person = world.person("子账户甲")
    sub = world.sub_account(org, person)  # in the main institution
    phone = ApiPhone(world, person)
    token = phone.desktop_login(f"sub:{sub['account_id']}")
    r = client.patch(
        f"/api/v1/org/subaccounts/{sub['account_id']}",
        json={"branch": branch},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 200, r.text
    package = build_invention(tmp_path / "p.zip")
    phone.sign(token, package)  # the session it logged in with before the move
    # Its signature is the branch's now: the main institution cannot file with it …
    r = submit(client, htoken, package)
    assert r.status_code == 403 and r.json()["error"]["code"] == "SIGNER_NOT_IN_DOMAIN"
    # … the branch (the sub-account itself) can.
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
