"""A phone and a desktop speaking the HTTP API in-process (the ``client`` fixture).

The honest protocol in a few lines each, so that API-level tests run fast and can also
step off it: replay an approval, sign other bytes, use another environment's key.
The real mobile app (``patentdesk.mobile``) runs as a CLI process in the CLI tests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from patentdesk.pki.cms import KeySigner
from patentdesk.pki.keys import PrivateKey, generate_key, load_certificate, public_key_pem
from patentdesk.pki.payload import peek_payload, sign_payload
from tests.support.factories import PASSWORD, Person, app_login, auth, data_dir_of


@dataclass
class ApiPhone:
    """The mobile app of ``person``: its own app session, device key and signing key."""

    client: Any
    person: Person
    token: str = ""
    device_id: str = ""
    certificate_serial: str = ""
    device_key: PrivateKey = field(default_factory=generate_key)
    signing_key: PrivateKey = field(default_factory=generate_key)
    certificate_pem: str = ""

    @classmethod
    def bind(cls, client: Any, person: Person, name: str = "测试手机") -> ApiPhone:
        phone = cls(client, person)
        phone.log_in()
        r = phone.register_device(name)
        assert r.status_code == 201, r.text
        body = r.json()
        phone.device_id = body["device_id"]
        phone.certificate_serial = body["certificate_serial"]
        phone.certificate_pem = body["certificate_pem"]
        return phone

    def log_in(self) -> None:
        """The app's password login and its SMS code (read from the test server's outbox)."""
        r = app_login(self.client, data_dir_of(self.client), self.person.phone, PASSWORD)
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]

    def proof(self, kind: str, key: PrivateKey) -> str:
        claims = {"t": kind, "uid": self.person.user_id, "iat": int(time.time())}
        return sign_payload(claims, key)

    def register_device(self, name: str = "测试手机") -> Any:
        return self.client.post(
            "/api/v1/devices",
            json={
                "name": name,
                "device_public_key": public_key_pem(self.device_key.public_key()),
                "signing_public_key": public_key_pem(self.signing_key.public_key()),
                "device_proof": self.proof("device", self.device_key),
                "signing_proof": self.proof("signing", self.signing_key),
            },
            headers=self.headers,
        )

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token)

    @property
    def signer(self) -> KeySigner:
        return KeySigner(self.signing_key, load_certificate(self.certificate_pem))

    # ------------------------------------------------------------ scanning

    def approval(self, payload: str, decision: str = "approve") -> str:
        _header, claims = peek_payload(payload)
        return sign_payload(
            {"id": claims["id"], "n": claims["n"], "d": decision, "iat": int(time.time())},
            self.device_key,
        )

    def decide_login(self, payload: str, decision: str = "approve") -> Any:
        request_id = peek_payload(payload)[1]["id"]
        return self.client.post(
            f"/api/v1/auth/qr/{request_id}/decision",
            json={"approval": self.approval(payload, decision)},
            headers=self.headers,
        )

    def describe(self, payload: str) -> dict[str, Any]:
        request_id = peek_payload(payload)[1]["id"]
        r = self.client.get(f"/api/v1/qr/{request_id}", headers=self.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def decide_signing(
        self, payload: str, *, signature: bytes | None = None, decision: str = "approve"
    ) -> Any:
        """Signs the digest the server shows (or sends ``signature`` as given)."""
        request_id = peek_payload(payload)[1]["id"]
        if signature is None and decision == "approve":
            digest = bytes.fromhex(self.describe(payload)["digest"])
            signature = self.signer.sign_digest(digest)
        body: dict[str, Any] = {"approval": self.approval(payload, decision)}
        if signature is not None:
            body["signature"] = base64.b64encode(signature).decode()
        return self.client.post(
            f"/api/v1/signing-requests/{request_id}/decision", json=body, headers=self.headers
        )

    def open_window(self, minutes: int, session_id: str) -> Any:
        approval = sign_payload(
            {
                "t": "sign-window",
                "m": minutes,
                "s": session_id,
                "iat": int(time.time()),
                "n": secrets.token_urlsafe(12),  # two approvals in one second differ
            },
            self.device_key,
        )
        return self.client.post(
            "/api/v1/sign-windows",
            json={"minutes": minutes, "approval": approval, "session_id": session_id},
            headers=self.headers,
        )

    def close_windows(self) -> Any:
        return self.client.post("/api/v1/sign-windows/close", headers=self.headers)


@dataclass
class ApiDesktop:
    """A desktop client: QR login, its session key, signing requests."""

    client: Any
    token: str = ""
    session: dict[str, Any] = field(default_factory=dict)
    session_key: PrivateKey = field(default_factory=generate_key)
    last_signature: bytes = b""  # what complete_in_window sent

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token) if self.token else {}

    def start_login(self, role: str | None = None) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/auth/qr", json={"client_kind": "desktop", "role": role, "device_name": "pc"}
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def poll(self, started: dict[str, Any], secret: str | None = None) -> Any:
        return self.client.post(
            f"/api/v1/auth/qr/{started['request_id']}/poll",
            json={"secret": started["secret"] if secret is None else secret},
        )

    def login_with(self, phone: ApiPhone, role: str | None = None) -> dict[str, Any]:
        started = self.start_login(role)
        r = phone.decide_login(started["payload"])
        assert r.status_code == 200, r.text
        r = self.poll(started)
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        self.session = dict(r.json())
        self.token = self.session["token"]
        self.register_key()
        return self.session

    def register_key(self) -> Any:
        proof = sign_payload(
            {"t": "client-key", "s": self.session["session_id"], "iat": int(time.time())},
            self.session_key,
        )
        r = self.client.post(
            "/api/v1/me/client-key",
            json={"public_key": public_key_pem(self.session_key.public_key()), "proof": proof},
            headers=self.headers,
        )
        assert r.status_code == 200, r.text
        return r

    def start_signing(self, manifest: bytes, title: str = "一种折叠式电动自行车") -> Any:
        return self.client.post(
            "/api/v1/signing-requests",
            json={
                "digest": hashlib.sha256(manifest).hexdigest(),
                "title": title,
                "business_type": "invention",
            },
            headers=self.headers,
        )

    def collect(self, started: dict[str, Any], secret: str | None = None) -> Any:
        return self.client.post(
            f"/api/v1/signing-requests/{started['request_id']}/poll",
            json={"secret": started["secret"] if secret is None else secret},
        )

    def complete_in_window(self, started: dict[str, Any], manifest: bytes) -> Any:
        signer = KeySigner(self.session_key, load_certificate(started["delegated_certificate_pem"]))
        self.last_signature = signer.sign_detached(manifest)
        return self.client.post(
            f"/api/v1/signing-requests/{started['request_id']}/complete",
            json={
                "secret": started["secret"],
                "signature": base64.b64encode(self.last_signature).decode(),
            },
            headers=self.headers,
        )

    def sign_by_scan(self, phone: ApiPhone, manifest: bytes) -> dict[str, Any]:
        """The whole scan flow; returns the collected result (signature, serial)."""
        r = self.start_signing(manifest)
        assert r.status_code == 201, r.text
        started = r.json()
        assert started["mode"] == "scan", started
        r = phone.decide_signing(started["payload"])
        assert r.status_code == 200, r.text
        r = self.collect(started)
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        return dict(r.json())


def verify(client: Any, token: str, manifest: bytes, signature: bytes) -> Any:
    return client.post(
        "/api/v1/signatures/verify",
        json={
            "manifest": base64.b64encode(manifest).decode(),
            "signature": base64.b64encode(signature).decode(),
        },
        headers=auth(token),
    )
