"""The phone and the desktop client in-process over the HTTP API (TestClient): fast enough
to run many filing tests on both databases. The CLI-process tests prove the same flows
through the real commands."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from typing import Any

from patentdesk.packages import add_signature, manifest_bytes
from patentdesk.packages.editing import Editor, add_attachment, new_package, set_fields
from patentdesk.pki.cms import KeySigner
from patentdesk.pki.keys import generate_key, load_certificate, public_key_pem
from patentdesk.pki.payload import peek_payload, sign_payload
from tests.support.factories import PASSWORD, Person, World, app_login, auth, valid_uscc
from tests.support.filing import ABSTRACT, CLAIMS, DESCRIPTION


class ApiPhone:
    """A bound phone: device key and signing key made here, certificate from the server."""

    def __init__(self, world: World, person: Person) -> None:
        self.client = world.client
        self.person = person
        r = app_login(self.client, world.data_dir, person.phone, PASSWORD)
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        self.device_key = generate_key()
        self.signing_key = generate_key()

        def proof(kind: str, key: Any) -> str:
            return sign_payload({"t": kind, "uid": person.user_id, "iat": int(time.time())}, key)

        r = self.client.post(
            "/api/v1/devices",
            json={
                "name": "test phone",
                "device_public_key": public_key_pem(self.device_key.public_key()),
                "signing_public_key": public_key_pem(self.signing_key.public_key()),
                "device_proof": proof("device", self.device_key),
                "signing_proof": proof("signing", self.signing_key),
            },
            headers=auth(self.token),
        )
        assert r.status_code == 201, r.text
        self.device_id = r.json()["device_id"]
        self.certificate = load_certificate(r.json()["certificate_pem"])

    def approval(self, payload: str, decision: str = "approve") -> tuple[str, dict[str, Any]]:
        _h, claims = peek_payload(payload)
        token = sign_payload(
            {"id": claims["id"], "n": claims["n"], "d": decision, "iat": int(time.time())},
            self.device_key,
        )
        return token, claims

    def approve_login(self, payload: str, decision: str = "approve") -> Any:
        token, claims = self.approval(payload, decision)
        return self.client.post(
            f"/api/v1/auth/qr/{claims['id']}/decision",
            json={"approval": token},
            headers=auth(self.token),
        )

    def approve_signature(self, payload: str, digest: str, decision: str = "approve") -> Any:
        token, claims = self.approval(payload, decision)
        signature = KeySigner(self.signing_key, self.certificate).sign_digest(bytes.fromhex(digest))
        return self.client.post(
            f"/api/v1/signing-requests/{claims['id']}/decision",
            json={"approval": token, "signature": base64.b64encode(signature).decode()},
            headers=auth(self.token),
        )

    def desktop_login(self, role: str | None = None) -> str:
        r = self.client.post("/api/v1/auth/qr", json={"client_kind": "desktop", "role": role})
        assert r.status_code == 201, r.text
        start = r.json()
        assert self.approve_login(start["payload"]).status_code == 200
        r = self.client.post(
            f"/api/v1/auth/qr/{start['request_id']}/poll", json={"secret": start["secret"]}
        )
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        return str(r.json()["token"])

    def sign(self, desktop_token: str, package: Path) -> Any:
        manifest = manifest_bytes(package)
        digest = hashlib.sha256(manifest).hexdigest()
        r = self.client.post(
            "/api/v1/signing-requests", json={"digest": digest}, headers=auth(desktop_token)
        )
        if r.status_code != 201:
            return r
        start = r.json()
        assert self.approve_signature(start["payload"], digest).status_code == 200
        r = self.client.post(
            f"/api/v1/signing-requests/{start['request_id']}/poll", json={"secret": start["secret"]}
        )
        assert r.status_code == 200, r.text
        add_signature(package, base64.b64decode(r.json()["signature"]))
        return r


def build_invention(
    path: Path,
    *,
    title: str = "一种折叠式电动自行车",
    internal_number: str | None = "AG-2026-0001",
    editor: Editor | None = None,
    extra: tuple[str, ...] = (),
) -> Path:
    new_package("invention", path, editor)
    fields = [
        f"title={title}",
        "applicants.0.name=杭州某某科技有限公司",
        f"applicants.0.uscc={valid_uscc()}",
        "applicants.0.address=浙江省杭州市西湖区文三路1号",
        "applicants.0.postal_code=310012",
        "inventors.0.name=张三",
        *extra,
    ]
    if internal_number:
        fields.append(f"internal_number={internal_number}")
    set_fields(path, fields, editor)
    for role, text in (("claims", CLAIMS), ("description", DESCRIPTION), ("abstract", ABSTRACT)):
        add_attachment(path, role, text.encode("utf-8"), filename=f"{role}.txt")
    return path


def build_followup(path: Path, kind: str, *fields: str, editor: Editor | None = None) -> Path:
    """A follow-up package with the fields given and a short text for every required part."""
    from patentdesk.packages import get_business_type

    new_package(kind, path, editor)
    if fields:
        set_fields(path, list(fields), editor)
    for role in get_business_type(kind).required_roles:
        add_attachment(path, role, f"{role}：意见陈述。".encode(), filename=f"{role}.txt")
    return path


def submit(client: Any, token: str, package: Path, key: str | None = None) -> Any:
    headers = {**auth(token), "Content-Type": "application/zip"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/submissions", content=package.read_bytes(), headers=headers)


def office_token(client: Any, app: Any) -> str:
    from patentdesk.identity.service import Context, create_office_user
    from tests.support.factories import unique_phone

    phone = unique_phone()
    with app.state.db.unit_of_work() as s:
        create_office_user(
            s, Context(app.state.settings), phone=phone, name="审查员", password=PASSWORD
        )
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": phone, "password": PASSWORD, "client_kind": "web"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])
