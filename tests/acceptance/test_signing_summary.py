"""What the phone is shown before it signs (C2): the digest under the office's signature,
and the package id and number of files read by the server from the manifest itself."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from patentdesk.pki.payload import peek_payload
from tests.support.apiphone import ApiDesktop, ApiPhone


def manifest_bytes(files: int = 3) -> bytes:
    data = {
        "format": "patentdesk-case/1",
        "package_id": str(uuid.uuid4()),
        "business_type": "invention",
        "created_at": "2026-12-05T09:00:00Z",
        "files": [
            {
                "path": f"f{i}.pdf",
                "sha256": "0" * 64,
                "size": 1,
                "role": "other",
                "media_type": "application/pdf",
            }
            for i in range(files)
        ],
    }
    return json.dumps(data, sort_keys=True, indent=2).encode() + b"\n"


def start(desktop: ApiDesktop, digested: bytes, **extra: Any) -> Any:
    return desktop.client.post(
        "/api/v1/signing-requests",
        json={"digest": hashlib.sha256(digested).hexdigest(), "title": "一种杯子", **extra},
        headers=desktop.headers,
    )


def signer(client: Any, world: Any) -> tuple[ApiPhone, ApiDesktop]:
    phone = ApiPhone.bind(client, world.person("张三"))
    desktop = ApiDesktop(client)
    desktop.login_with(phone)
    return phone, desktop


def test_the_phone_sees_package_id_files_and_applicants_of_the_signed_manifest(client, world):
    phone, desktop = signer(client, world)
    manifest = manifest_bytes(files=4)
    r = start(
        desktop,
        manifest,
        manifest=base64.b64encode(manifest).decode(),
        applicants=["张三", "  ", "李四"],
    )
    assert r.status_code == 201, r.text
    payload = r.json()["payload"]
    _, claims = peek_payload(payload)
    assert claims["dg"] == hashlib.sha256(manifest).hexdigest()  # under the office signature
    shown = phone.describe(payload)
    assert shown["package_id"] == json.loads(manifest)["package_id"]
    assert shown["file_count"] == 4
    assert shown["applicants"] == ["张三", "李四"]
    assert shown["business_type"] == "invention"  # from the manifest when not given


def test_a_manifest_that_is_not_the_digested_one_is_refused(client, world):
    _, desktop = signer(client, world)
    manifest = manifest_bytes()
    other = manifest_bytes()
    r = start(desktop, manifest, manifest=base64.b64encode(other).decode())
    assert r.status_code == 422
    assert r.json()["error"]["details"]["field"] == "manifest"
    r = start(desktop, b"{}", manifest=base64.b64encode(b"{}").decode())
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "manifest"


def test_without_a_manifest_the_phone_sees_what_it_can(client, world):
    phone, desktop = signer(client, world)
    r = start(desktop, manifest_bytes())
    assert r.status_code == 201, r.text
    shown = phone.describe(r.json()["payload"])
    assert shown["package_id"] is None and shown["file_count"] is None
    assert shown["applicants"] == []
