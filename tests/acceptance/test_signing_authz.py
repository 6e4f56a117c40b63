"""Authorization matrix of the PKI endpoints: every caller (anonymous, natural person,
handler, sub-account, main account, office, the phone's app session) against every
endpoint, with the exact status each gets. Listed in test_authz_matrix's EXTRA_COVERED."""

from __future__ import annotations

from typing import Any

import pytest

from patentdesk.pki.keys import generate_key, public_key_pem
from tests.acceptance.test_signing_api import MANIFEST
from tests.support.apiphone import ApiDesktop, ApiPhone
from tests.support.factories import auth

CALLERS = ["anonymous", "natural", "handler", "sub", "main", "office", "app"]
GARBAGE = "not-a-signed-payload"


def _office_token(client: Any) -> str:
    from patentdesk.identity.service import Context, create_office_user
    from tests.support.factories import PASSWORD, unique_phone

    phone = unique_phone()
    with client.app.state.db.unit_of_work() as s:
        create_office_user(
            s, Context(client.app.state.settings), phone=phone, name="审查员", password=PASSWORD
        )
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": phone, "password": PASSWORD, "client_kind": "web"},
    )
    return str(r.json()["token"])


@pytest.fixture
def pki_world(client, world):
    """Every kind of caller, the natural person with a phone, and objects to aim at."""
    person = world.person("张三")
    phone = ApiPhone.bind(client, person)
    handler = world.person("王经办")
    org = world.agency(handler)
    ApiPhone.bind(client, handler)
    colleague = world.person("赵代理")
    sub = world.sub_account(org, colleague)
    ApiPhone.bind(client, colleague)
    tokens = {
        "anonymous": None,
        "natural": world.token(person),
        "handler": org["handler_token"],
        "sub": world.sub_token(colleague, sub["account_id"]),
        "main": world.main_token(org),
        "office": _office_token(client),
        "app": phone.token,
    }
    login = ApiDesktop(client).start_login()
    signing = ApiDesktop(client, token=tokens["natural"]).start_signing(MANIFEST).json()
    return {
        "tokens": tokens,
        "serial": phone.certificate_serial,
        "device": phone.device_id,
        "login": login,
        "signing": signing,
        "public_key": public_key_pem(generate_key().public_key()),
    }


NOBODYS_WINDOW = "00000000-0000-4000-8000-000000000000"


def expect(default: int, **by_caller: int) -> dict[str, int]:
    """Status per caller: ``default`` for logged-in web callers, 401 for anonymous."""
    table = {c: default for c in CALLERS}
    table["anonymous"] = 401
    table.update(by_caller)
    return table


def _pki_rows(w: dict[str, Any]) -> list[tuple[str, str, Any, dict[str, int]]]:
    login, signing = w["login"], w["signing"]
    everyone_200 = {c: 200 for c in CALLERS}
    device_body = {
        "name": "x",
        "device_public_key": w["public_key"],
        "signing_public_key": w["public_key"],
        "device_proof": GARBAGE,
        "signing_proof": GARBAGE,
    }
    return [
        ("GET", "/api/v1/pki/ca.pem", None, everyone_200),
        ("GET", "/api/v1/pki/office.pem", None, everyone_200),
        ("GET", "/api/v1/pki/crl", None, everyone_200),
        ("POST", "/api/v1/auth/qr", {"client_kind": "web"}, {c: 201 for c in CALLERS}),
        ("GET", "/api/v1/me/certificates", None, expect(200)),
        ("GET", "/api/v1/me/devices", None, expect(200)),
        ("GET", "/api/v1/me/sign-windows", None, expect(200)),
        # One's own certificate only: another user's is 404.
        ("GET", f"/api/v1/me/certificates/{w['serial']}", None, expect(404, natural=200, app=200)),
        # The phone's own business: web sessions are told to use the app.
        ("POST", "/api/v1/devices", device_body, expect(403, app=422)),
        ("GET", f"/api/v1/qr/{login['request_id']}", None, expect(403, app=200)),
        ("GET", f"/api/v1/qr/code/{login['short_code']}", None, expect(403, app=200)),
        (
            "POST",
            f"/api/v1/auth/qr/{login['request_id']}/decision",
            {"approval": GARBAGE},
            expect(403, app=422),
        ),
        (
            "POST",
            f"/api/v1/signing-requests/{signing['request_id']}/decision",
            {"approval": GARBAGE},
            expect(403, app=422),
        ),
        ("POST", "/api/v1/sign-windows", {"minutes": 5, "approval": GARBAGE}, expect(403, app=422)),
        ("POST", "/api/v1/sign-windows/close", None, expect(403, app=200)),
        # One window by id: web sessions are told to use the app; a window that is not the
        # caller's (here: nobody's) is not found.
        (
            "POST",
            f"/api/v1/sign-windows/{NOBODYS_WINDOW}/close",
            None,
            expect(403, app=404),
        ),
        (
            "POST",
            f"/api/v1/me/devices/{w['device']}/renew",
            {"signing_public_key": w["public_key"], "signing_proof": GARBAGE},
            expect(403, app=422),
        ),
        # Results go only to the holder of the secret, whoever asks.
        (
            "POST",
            f"/api/v1/auth/qr/{login['request_id']}/poll",
            {"secret": "guess"},
            {c: 403 for c in CALLERS},
        ),
        (
            "POST",
            f"/api/v1/signing-requests/{signing['request_id']}/poll",
            {"secret": "guess"},
            {c: 403 for c in CALLERS},
        ),
        # Signing: the main account and anyone not logged in get «查询用户 ID 失败».
        (
            "POST",
            "/api/v1/signing-requests",
            {"digest": "ab" * 32},
            expect(201, anonymous=403, main=403, office=403),
        ),
        (
            "POST",
            f"/api/v1/signing-requests/{signing['request_id']}/complete",
            {"secret": "guess", "signature": "AAAA"},
            {c: 403 for c in CALLERS},
        ),
        (
            "POST",
            "/api/v1/signatures/verify",
            {"manifest": "AAAA", "signature": "AAAA"},
            expect(422),
        ),
        (
            "POST",
            "/api/v1/me/client-key",
            {"public_key": w["public_key"], "proof": GARBAGE},
            expect(422),
        ),
        # Last: only the owner reports the phone lost, which ends its app session at once.
        (
            "POST",
            f"/api/v1/me/devices/{w['device']}/lost",
            None,
            expect(404, natural=200, app=401),
        ),
    ]


PKI_ENDPOINTS = {
    ("GET", "/api/v1/pki/ca.pem"),
    ("GET", "/api/v1/pki/office.pem"),
    ("GET", "/api/v1/pki/crl"),
    ("POST", "/api/v1/auth/qr"),
    ("GET", "/api/v1/me/certificates"),
    ("GET", "/api/v1/me/devices"),
    ("GET", "/api/v1/me/sign-windows"),
    ("GET", "/api/v1/me/certificates/{serial}"),
    ("POST", "/api/v1/devices"),
    ("GET", "/api/v1/qr/{request_id}"),
    ("GET", "/api/v1/qr/code/{short_code}"),
    ("POST", "/api/v1/auth/qr/{request_id}/decision"),
    ("POST", "/api/v1/signing-requests/{request_id}/decision"),
    ("POST", "/api/v1/sign-windows"),
    ("POST", "/api/v1/sign-windows/close"),
    ("POST", "/api/v1/sign-windows/{window_id}/close"),
    ("POST", "/api/v1/me/devices/{device_id}/renew"),
    ("POST", "/api/v1/auth/qr/{request_id}/poll"),
    ("POST", "/api/v1/signing-requests/{request_id}/poll"),
    ("POST", "/api/v1/signing-requests"),
    ("POST", "/api/v1/signing-requests/{request_id}/complete"),
    ("POST", "/api/v1/signatures/verify"),
    ("POST", "/api/v1/me/client-key"),
    ("POST", "/api/v1/me/devices/{device_id}/lost"),
}


def test_pki_authorization_matrix(client, pki_world):
    failures = []
    rows = _pki_rows(pki_world)
    for method, path, body, statuses in rows:
        for caller in CALLERS:
            token = pki_world["tokens"][caller]
            headers = auth(token) if token else {}
            r = client.request(method, path, json=body, headers=headers)
            if r.status_code != statuses[caller]:
                failures.append(
                    (method, path, caller, statuses[caller], r.status_code, r.text[:120])
                )
    assert not failures, "\n".join(map(str, failures))


def test_the_pki_matrix_covers_every_pki_endpoint(app, pki_world):
    from tests.acceptance.test_authz_matrix import api_endpoints

    w = pki_world
    templated = {
        (
            m,
            p.replace(w["login"]["request_id"], "{request_id}")
            .replace(w["signing"]["request_id"], "{request_id}")
            .replace(w["login"]["short_code"], "{short_code}")
            .replace(w["serial"], "{serial}")
            .replace(w["device"], "{device_id}")
            .replace(NOBODYS_WINDOW, "{window_id}"),
        )
        for m, p, _b, _s in _pki_rows(w)
    }
    assert templated == PKI_ENDPOINTS
    pki = {
        e
        for e in api_endpoints(app)
        if e in PKI_ENDPOINTS
        or "/sign" in e[1]
        or "/qr" in e[1]
        or "/pki/" in e[1]
        or "/devices" in e[1]
        or "certificates" in e[1]
        or "client-key" in e[1]
    }
    assert pki == PKI_ENDPOINTS
