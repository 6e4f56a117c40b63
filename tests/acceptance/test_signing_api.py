"""Signing, QR login and no-scan windows through the HTTP API: who may sign, in which role,
and every way an attacker or an unlucky user gets refused with a clear error code."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
import uuid
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.pki.ca import CertificateAuthority
from patentdesk.pki.cms import KeySigner, Signer
from patentdesk.pki.errors import CertificateKeyMismatch
from patentdesk.pki.keys import generate_key, load_certificate, public_key_pem
from patentdesk.pki.payload import sign_payload
from patentdesk.timeutil import now
from tests.support.apiphone import ApiDesktop, ApiPhone, verify
from tests.support.factories import auth

MANIFEST = b'{"format":"patentdesk-case/1","files":[{"path":"forms/request.json"}]}'


def _error(r: Any) -> str:
    return str(r.json()["error"]["code"])


@pytest.fixture
def signer(client, world):
    """A natural person with a bound phone, logged in on a desktop by scanning."""
    person = world.person("张三")
    phone = ApiPhone.bind(client, person)
    desktop = ApiDesktop(client)
    desktop.login_with(phone)
    return person, phone, desktop


# ---------------------------------------------------------------- who signs, in which role


@pytest.mark.seed("A3")
@pytest.mark.seed("A9")
def test_handler_and_sub_account_sign_and_the_record_names_role_and_domain(client, world):
    handler = world.person("王经办")
    org = world.agency(handler)
    branch = world.branch(org, "上海分所")
    colleague = world.person("赵代理")
    sub = world.sub_account(org, colleague, branch=branch)
    for person, role, expected_role in (
        (handler, f"handler:{org['org_id']}", "handler"),
        (colleague, f"sub:{sub['account_id']}", "sub"),
    ):
        phone = ApiPhone.bind(client, person)
        desktop = ApiDesktop(client)
        session = desktop.login_with(phone, role=role)
        manifest = MANIFEST + person.phone.encode()
        result = desktop.sign_by_scan(phone, manifest)
        checked = verify(client, desktop.token, manifest, base64.b64decode(result["signature"]))
        assert checked.status_code == 200, checked.text
        claim = checked.json()
        assert claim["role"] == expected_role
        assert claim["domain"] == session["domain"]
        assert claim["org_id"] == org["org_id"]
        assert claim["user_id"] == person.user_id
        assert claim["method"] == "scan"
        assert claim["certificate_serial"] == phone.certificate_serial
    assert claim["account_id"] == sub["account_id"]
    assert claim["domain"] == sub["domain"]  # the branch's domain, not the main institution's


@pytest.mark.seed("A10")
def test_the_main_account_cannot_sign(client, world):
    org = world.agency(world.person("王经办"))
    r = client.post(
        "/api/v1/signing-requests",
        json={"digest": "ab" * 32},
        headers=auth(world.main_token(org)),
    )
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "USER_ID_LOOKUP_FAILED"
    assert error["message"].startswith("查询用户 ID 失败")
    assert "经办人或子账户" in error["message"]


@pytest.mark.seed("C2")
def test_signing_without_a_valid_login_is_refused_clearly(client, signer):
    _person, _phone, desktop = signer
    for headers in ({}, auth("not-a-token")):
        r = client.post("/api/v1/signing-requests", json={"digest": "ab" * 32}, headers=headers)
        assert r.status_code == 403 and _error(r) == "USER_ID_LOOKUP_FAILED"
        assert "未登录" in r.json()["error"]["message"]
    assert client.post("/api/v1/auth/logout", headers=desktop.headers).status_code == 200
    r = desktop.start_signing(MANIFEST)
    assert r.status_code == 403 and _error(r) == "USER_ID_LOOKUP_FAILED"


def test_a_user_without_a_phone_is_told_to_use_the_app(client, world):
    r = client.post(
        "/api/v1/signing-requests",
        json={"digest": "ab" * 32},
        headers=auth(world.token(world.person())),
    )
    assert r.status_code == 403 and _error(r) == "DEVICE_REQUIRED"


# ---------------------------------------------------------------- QR codes under attack


def test_a_replayed_approval_and_a_second_collection_are_refused(client, world):
    phone = ApiPhone.bind(client, world.person())
    desktop = ApiDesktop(client)
    started = desktop.start_login()
    approval = phone.approval(started["payload"])
    path = f"/api/v1/auth/qr/{started['request_id']}/decision"
    assert client.post(path, json={"approval": approval}, headers=phone.headers).status_code == 200
    replay = client.post(path, json={"approval": approval}, headers=phone.headers)
    assert replay.status_code == 409 and _error(replay) == "QR_ALREADY_USED"
    assert desktop.poll(started).json()["status"] == "approved"
    again = desktop.poll(started)  # the session is handed out once
    assert again.status_code == 409 and _error(again) == "QR_ALREADY_USED"


def test_an_expired_code_cannot_be_approved_or_collected(client, world):
    phone = ApiPhone.bind(client, world.person())
    desktop = ApiDesktop(client)
    started = desktop.start_login()
    ttl = client.app.state.settings.qr_ttl_seconds
    with time_machine.travel(now() + dt.timedelta(seconds=ttl + 1), tick=True):
        r = phone.decide_login(started["payload"])
        assert r.status_code == 410 and _error(r) == "QR_EXPIRED"
        r = desktop.poll(started)
        assert r.status_code == 410 and _error(r) == "QR_EXPIRED"
        assert client.get(f"/api/v1/qr/code/{started['short_code']}", headers=phone.headers).json()[
            "error"
        ]["code"] == ("QR_EXPIRED")


def test_only_the_client_that_made_the_code_gets_the_session(client, world):
    """QRLJacking: a relayed code or a guessed secret gives nothing to another client."""
    phone = ApiPhone.bind(client, world.person())
    desktop = ApiDesktop(client)
    started = desktop.start_login()
    assert phone.decide_login(started["payload"]).status_code == 200
    for secret in ("", "x" * 43, ApiDesktop(client).start_login()["secret"]):
        r = desktop.poll(started, secret=secret)
        assert r.status_code == 403 and _error(r) == "QR_SECRET_INVALID"
    assert desktop.poll(started).json()["status"] == "approved"  # still there for its owner


def test_approvals_not_signed_by_the_sessions_phone_are_refused(client, world):
    phone = ApiPhone.bind(client, world.person())
    started = ApiDesktop(client).start_login()
    path = f"/api/v1/auth/qr/{started['request_id']}/decision"
    stranger = ApiPhone(client, phone.person, token=phone.token)  # same session, other key
    r = client.post(
        path, json={"approval": stranger.approval(started["payload"])}, headers=phone.headers
    )
    assert r.status_code == 422 and _error(r) == "PAYLOAD_SIGNATURE_INVALID"
    other = ApiDesktop(client).start_login()  # an approval for another code
    r = client.post(
        path, json={"approval": phone.approval(other["payload"])}, headers=phone.headers
    )
    assert r.status_code == 409 and _error(r) == "QR_ALREADY_USED"
    web = world.token(phone.person)  # a web session is not a phone
    r = client.post(path, json={"approval": phone.approval(started["payload"])}, headers=auth(web))
    assert r.status_code == 403 and _error(r) == "DEVICE_REQUIRED"


def _race(client: Any, path: str, bodies: list[tuple[dict[str, Any], dict[str, str]]]) -> list[int]:
    """Posts every body at the same moment, one thread each; returns the status codes."""
    barrier = threading.Barrier(len(bodies))
    results: list[int] = []

    def post(body: dict[str, Any], headers: dict[str, str]) -> None:
        barrier.wait()
        results.append(client.post(path, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=post, args=item) for item in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


def test_two_racing_approvals_exactly_one_wins(client, world):
    phones = [ApiPhone.bind(client, world.person(name)) for name in ("甲", "乙")]
    for _round in range(3):
        started = ApiDesktop(client).start_login()
        path = f"/api/v1/auth/qr/{started['request_id']}/decision"
        bodies = [({"approval": p.approval(started["payload"])}, p.headers) for p in phones]
        assert _race(client, path, bodies) == [200, 409]


def test_two_racing_signatures_exactly_one_wins(client, signer):
    _person, phone, desktop = signer
    started = desktop.start_signing(MANIFEST).json()
    path = f"/api/v1/signing-requests/{started['request_id']}/decision"
    signature = base64.b64encode(phone.signer.sign_detached(MANIFEST)).decode()
    body = {"approval": phone.approval(started["payload"]), "signature": signature}
    assert _race(client, path, [(body, phone.headers), (body, phone.headers)]) == [200, 409]


def test_another_users_signing_request_is_hidden_from_the_phone(client, world, signer):
    _person, _phone, desktop = signer
    started = desktop.start_signing(MANIFEST).json()
    other = ApiPhone.bind(client, world.person("李四"))
    request_id = started["request_id"]
    assert client.get(f"/api/v1/qr/{request_id}", headers=other.headers).status_code == 404
    r = other.decide_signing(started["payload"], signature=b"x")
    assert r.status_code == 403 and _error(r) == "SIGNER_MISMATCH"


# ---------------------------------------------------------------- signatures refused


def test_a_signature_over_altered_bytes_is_refused(client, signer):
    _person, phone, desktop = signer
    signature = base64.b64decode(desktop.sign_by_scan(phone, MANIFEST)["signature"])
    assert verify(client, desktop.token, MANIFEST, signature).status_code == 200
    r = verify(client, desktop.token, MANIFEST.replace(b"request", b"REQUEST"), signature)
    assert r.status_code == 422 and _error(r) == "SIGNATURE_INVALID"


def test_the_phone_must_sign_the_digest_it_was_shown(client, signer):
    _person, phone, desktop = signer
    started = desktop.start_signing(MANIFEST).json()
    r = phone.decide_signing(started["payload"], signature=phone.signer.sign_detached(b"other"))
    assert r.status_code == 422 and _error(r) == "SIGNATURE_INVALID"


def test_a_signature_made_outside_the_signing_flow_is_refused(client, signer):
    _person, phone, desktop = signer
    r = verify(client, desktop.token, MANIFEST, phone.signer.sign_detached(MANIFEST))
    assert r.status_code == 403 and _error(r) == "SIGNER_MISMATCH"


@pytest.mark.seed("A5")
def test_another_environments_certificate_is_refused_with_the_re_register_message(client, signer):
    person, phone, desktop = signer
    trial = CertificateAuthority.create("trial")
    key = generate_key()
    cert = trial.issue_user_certificate(key.public_key(), person.user_id, person.name)
    foreign = KeySigner(key, cert)
    r = verify(client, desktop.token, MANIFEST, foreign.sign_detached(MANIFEST))
    assert r.status_code == 422 and _error(r) == "CERTIFICATE_FOREIGN_ENVIRONMENT"
    assert "重新注册并下载新证书" in r.json()["error"]["message"]
    started = desktop.start_signing(MANIFEST).json()  # and the phone cannot use it either
    r = phone.decide_signing(started["payload"], signature=foreign.sign_detached(MANIFEST))
    assert r.status_code == 422 and _error(r) == "CERTIFICATE_FOREIGN_ENVIRONMENT"


def test_a_lost_phone_is_revoked_at_once(client, world, signer):
    person, phone, desktop = signer
    signature = base64.b64decode(desktop.sign_by_scan(phone, MANIFEST)["signature"])
    web = world.token(person)
    r = client.post(f"/api/v1/me/devices/{phone.device_id}/lost", headers=auth(web))
    assert r.status_code == 200 and r.json()["revoked_at"]
    r = verify(client, web, MANIFEST, signature)
    assert r.status_code == 422 and _error(r) == "CERTIFICATE_REVOKED"
    crl = client.get("/api/v1/pki/crl?format=pem")
    assert crl.status_code == 200 and b"X509 CRL" in crl.content
    assert client.get("/api/v1/me", headers=phone.headers).status_code == 401  # app session ended
    r = desktop.start_signing(MANIFEST)
    assert r.status_code == 403 and _error(r) == "DEVICE_REQUIRED"
    again = ApiPhone(client, person, device_key=phone.device_key, signing_key=phone.signing_key)
    again.log_in()
    r = again.register_device()  # the found phone's old keys stay dead
    assert r.status_code == 409 and _error(r) == "DEVICE_REVOKED"


def test_an_expired_certificate_cannot_sign(client, world, signer):
    person, phone, desktop = signer
    signed = base64.b64decode(desktop.sign_by_scan(phone, MANIFEST)["signature"])
    settings = client.app.state.settings
    settings.qr_ttl_seconds = 10 * 365 * 86400  # the request and the app's session
    settings.session_ttl_hours = 10 * 365 * 24  # outlive the certificate
    phone.log_in()
    assert phone.register_device().status_code == 201
    started = desktop.start_signing(MANIFEST).json()
    with time_machine.travel(now() + dt.timedelta(days=2 * 365 + 1), tick=True):
        r = phone.decide_signing(started["payload"])
        assert r.status_code == 422 and _error(r) == "CERTIFICATE_EXPIRED"
        assert "更新证书" in r.json()["error"]["message"]
        late = ApiDesktop(client, token=world.token(person))
        r = late.start_signing(MANIFEST)
        assert r.status_code == 403 and _error(r) == "DEVICE_REQUIRED"
        assert "更新证书" in r.json()["error"]["message"]
        # What it signed while valid, the server accepted then: that stays signed.
        assert verify(client, late.token, MANIFEST, signed).status_code == 200


def test_signatures_outlive_a_renewed_certificate(client, signer):
    _person, phone, desktop = signer
    signed = base64.b64decode(desktop.sign_by_scan(phone, MANIFEST)["signature"])
    phone.signing_key = generate_key()
    r = client.post(
        f"/api/v1/me/devices/{phone.device_id}/renew",
        json={
            "signing_public_key": public_key_pem(phone.signing_key.public_key()),
            "signing_proof": phone.proof("signing", phone.signing_key),
        },
        headers=phone.headers,
    )
    assert r.status_code == 200, r.text
    phone.certificate_pem = r.json()["certificate_pem"]
    assert verify(client, desktop.token, MANIFEST, signed).status_code == 200
    newer = base64.b64decode(desktop.sign_by_scan(phone, MANIFEST + b" ")["signature"])
    assert verify(client, desktop.token, MANIFEST + b" ", newer).status_code == 200
    rows = client.get("/api/v1/me/certificates", headers=desktop.headers).json()
    assert [bool(row["revoked_at"]) for row in rows] == [False, True]  # newest first


def test_the_signer_must_have_acted_in_the_claimed_domain(client, world, signer):
    from patentdesk.identity.service import Context
    from patentdesk.pki.signing import SignerOutsideDomain, verify_package_signature

    _person, phone, desktop = signer
    signature = base64.b64decode(desktop.sign_by_scan(phone, MANIFEST)["signature"])
    ctx = Context(client.app.state.settings)
    with client.app.state.db.unit_of_work() as s:
        claim = verify_package_signature(s, ctx, signature, MANIFEST)
        assert str(claim.record.domain_id) == desktop.session["domain"]
        with pytest.raises(SignerOutsideDomain):
            verify_package_signature(s, ctx, signature, MANIFEST, domain_id=uuid.uuid4())


# ---------------------------------------------------------------- no-scan window (C6)


@pytest.mark.seed("C6")
def test_inside_a_window_the_desktop_signs_without_a_scan(client, signer):
    _person, phone, desktop = signer
    r = phone.open_window(30, desktop.session["session_id"])
    assert r.status_code == 201, r.text
    started = desktop.start_signing(MANIFEST).json()
    assert started["mode"] == "window" and started["payload"] is None
    r = desktop.complete_in_window(started, MANIFEST)
    assert r.status_code == 200, r.text
    signature_serial = r.json()["certificate_serial"]
    listed = client.get("/api/v1/me/sign-windows", headers=phone.headers).json()
    assert [w["session_id"] for w in listed] == [desktop.session["session_id"]]
    # A second computer of the same user still needs a scan.
    other = ApiDesktop(client)
    other.login_with(phone)
    assert other.start_signing(MANIFEST).json()["mode"] == "scan"
    assert signature_serial != phone.certificate_serial  # the window's delegated certificate


@pytest.mark.seed("C6")
def test_after_close_or_expiry_a_scan_is_needed_again(client, signer):
    _person, phone, desktop = signer
    session_id = desktop.session["session_id"]
    assert phone.open_window(10, session_id).status_code == 201
    inside = desktop.start_signing(MANIFEST).json()
    assert desktop.complete_in_window(inside, MANIFEST).status_code == 200
    window_signature = desktop.last_signature
    pending = desktop.start_signing(MANIFEST + b" ").json()
    assert client.post("/api/v1/sign-windows/close", headers=phone.headers).json()["closed"] == 1
    assert desktop.start_signing(MANIFEST).json()["mode"] == "scan"
    r = desktop.complete_in_window(pending, MANIFEST + b" ")  # asked inside, signed after
    assert r.status_code == 422 and _error(r) == "CERTIFICATE_REVOKED"

    assert phone.open_window(1, session_id).status_code == 201
    pending = desktop.start_signing(MANIFEST).json()
    assert pending["mode"] == "window"
    with time_machine.travel(now() + dt.timedelta(minutes=2), tick=True):
        assert desktop.start_signing(MANIFEST).json()["mode"] == "scan"
        r = desktop.complete_in_window(pending, MANIFEST)
        assert r.status_code == 422 and _error(r) == "CERTIFICATE_EXPIRED"
        assert client.get("/api/v1/me/sign-windows", headers=phone.headers).json() == []
        # What was signed inside the first window stays signed after it ended.
        r = verify(client, desktop.token, MANIFEST, window_signature)
        assert r.status_code == 200 and r.json()["method"] == "window"


@pytest.mark.seed("C6")
def test_a_day_long_window_outlives_the_twelve_hour_login(client, signer):
    _person, phone, desktop = signer
    settings = client.app.state.settings
    minutes = settings.sign_window_max_minutes
    assert minutes > settings.session_ttl_hours * 60
    assert phone.open_window(minutes, desktop.session["session_id"]).status_code == 201
    later = now() + dt.timedelta(hours=settings.session_ttl_hours + 1)
    with time_machine.travel(later, tick=True):
        started = desktop.start_signing(MANIFEST).json()
        assert started["mode"] == "window"
        assert desktop.complete_in_window(started, MANIFEST).status_code == 200
    with time_machine.travel(now() + dt.timedelta(minutes=minutes + 1), tick=True):
        # The window is over, and with it the login: a scan again, as before it.
        assert client.get("/api/v1/me", headers=desktop.headers).status_code == 401


def test_a_stolen_session_token_alone_cannot_sign_in_the_window(client, signer):
    _person, phone, desktop = signer
    assert phone.open_window(30, desktop.session["session_id"]).status_code == 201
    thief = ApiDesktop(client, token=desktop.token, session=desktop.session)  # own key only
    started = thief.start_signing(MANIFEST).json()
    assert started["mode"] == "window"
    with pytest.raises(CertificateKeyMismatch):
        thief.complete_in_window(started, MANIFEST)
    delegated = load_certificate(started["delegated_certificate_pem"])

    class Forger(Signer):
        """The window's certificate around the thief's own key."""

        key = generate_key()

        @property
        def certificate(self) -> Any:
            return delegated

        def sign_raw(self, message: bytes) -> bytes:
            return self.key.sign(message, ec.ECDSA(hashes.SHA256()))

    forged = Forger().sign_detached(MANIFEST)
    r = client.post(
        f"/api/v1/signing-requests/{started['request_id']}/complete",
        json={"secret": started["secret"], "signature": base64.b64encode(forged).decode()},
        headers=thief.headers,
    )
    assert r.status_code == 422 and _error(r) == "SIGNATURE_INVALID"


def test_window_rules(client, world, signer):
    person, phone, desktop = signer
    session_id = desktop.session["session_id"]
    limit = client.app.state.settings.sign_window_max_minutes
    r = phone.open_window(limit + 1, session_id)
    assert r.status_code == 422 and _error(r) == "SIGN_WINDOW_TOO_LONG"
    web = ApiPhone(client, person, token=world.token(person), device_key=phone.device_key)
    r = web.open_window(5, session_id)  # only the phone opens windows
    assert r.status_code == 403 and _error(r) == "DEVICE_REQUIRED"
    stale = sign_payload(  # an approval captured ten minutes ago
        {"t": "sign-window", "m": 5, "s": session_id, "iat": int(time.time()) - 600},
        phone.device_key,
    )
    body = {"minutes": 5, "approval": stale, "session_id": session_id}
    r = client.post("/api/v1/sign-windows", json=body, headers=phone.headers)
    assert r.status_code == 422 and _error(r) == "KEY_PROOF_INVALID"
    no_key = ApiDesktop(client)
    no_key.token = world.token(person)  # a web login has no session key
    me = client.get("/api/v1/me", headers=no_key.headers).json()
    r = phone.open_window(5, me["session_id"])
    assert r.status_code == 409 and _error(r) == "NO_CLIENT_KEY"


def test_a_lost_phone_closes_its_windows(client, world, signer):
    person, phone, desktop = signer
    assert phone.open_window(30, desktop.session["session_id"]).status_code == 201
    pending = desktop.start_signing(MANIFEST).json()
    r = client.post(f"/api/v1/me/devices/{phone.device_id}/lost", headers=auth(world.token(person)))
    assert r.status_code == 200
    r = desktop.complete_in_window(pending, MANIFEST)
    assert r.status_code == 422 and _error(r) == "CERTIFICATE_REVOKED"
    assert client.get("/api/v1/me/sign-windows", headers=desktop.headers).json() == []


# ---------------------------------------------------------------- phones and certificates


def test_a_phone_logging_in_again_keeps_its_certificate_and_ends_its_old_session(client, world):
    person = world.person()
    phone = ApiPhone.bind(client, person)
    old_token = phone.token
    phone.log_in()
    r = phone.register_device()
    assert r.status_code == 201, r.text
    assert r.json()["device_id"] == phone.device_id
    assert r.json()["certificate_serial"] == phone.certificate_serial
    assert client.get("/api/v1/me", headers=auth(old_token)).status_code == 401
    assert ApiDesktop(client).login_with(phone)["user_id"] == person.user_id


def test_each_phone_approves_with_its_own_key(client, world):
    person = world.person()
    first = ApiPhone.bind(client, person, name="旧手机")
    second = ApiPhone.bind(client, person, name="新手机")
    for phone in (first, second):
        assert ApiDesktop(client).login_with(phone)["user_id"] == person.user_id
    devices = client.get("/api/v1/me/devices", headers=first.headers).json()
    assert [d["name"] for d in devices] == ["旧手机", "新手机"]


def test_keys_are_bound_only_from_the_phone(client, world):
    person = world.person()
    phone = ApiPhone(client, person, token=world.token(person))  # a web session
    r = phone.register_device()
    assert r.status_code == 403 and _error(r) == "DEVICE_REQUIRED"
    bound = ApiPhone.bind(client, world.person("李四"))
    thief = ApiPhone(client, person, device_key=bound.device_key)
    thief.log_in()
    r = thief.register_device()  # another account's device key
    assert r.status_code == 422 and _error(r) == "KEY_PROOF_INVALID"


def test_certificates_are_listed_and_downloaded(client, world, signer):
    _person, phone, desktop = signer
    rows = client.get("/api/v1/me/certificates", headers=desktop.headers).json()
    assert [r["serial"] for r in rows] == [phone.certificate_serial]
    r = client.get(f"/api/v1/me/certificates/{phone.certificate_serial}", headers=desktop.headers)
    assert r.status_code == 200 and r.text == phone.certificate_pem
    stranger = world.token(world.person("李四"))
    path = f"/api/v1/me/certificates/{phone.certificate_serial}"
    assert client.get(path, headers=auth(stranger)).status_code == 404
