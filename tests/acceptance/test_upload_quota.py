"""Refused submissions leave nothing behind, and a domain's uploads have a quota (issue 15,
item 6)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from tests.support.factories import auth
from tests.support.filing import new_invention, submit
from tests.support.inproc import ApiPhone, build_invention
from tests.support.inproc import submit as submit_api

MIB = 1024 * 1024


def _blobs(data: Path) -> set[str]:
    root = data / "blobs"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _bogus_package(n: int, size: int = 5 * MIB) -> bytes:
    """A ZIP the office refuses (no manifest): 5 MiB of incompressible bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("noise.bin", hashlib.sha256(str(n).encode()).digest() * (size // 32))
    return out.getvalue()


def _resumable(client: Any, token: str, body: bytes) -> Any:
    sha = hashlib.sha256(body).hexdigest()
    r = client.post("/api/v1/uploads", json={"size": len(body), "sha256": sha}, headers=auth(token))
    if r.status_code != 201:
        return r
    upload_id = r.json()["upload_id"]
    put = client.put(
        f"/api/v1/uploads/{upload_id}",
        params={"offset": 0},
        content=body,
        headers={**auth(token), "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 200, put.text
    return client.post("/api/v1/submissions", json={"upload_id": upload_id}, headers=auth(token))


def test_refused_submissions_leave_no_blob(client, world, settings, tmp_path):
    token = world.token(world.person("孙一"))
    before = _blobs(settings.data)
    for n in range(3):
        r = client.post(
            "/api/v1/submissions",
            content=_bogus_package(n),
            headers={**auth(token), "Content-Type": "application/zip"},
        )
        assert 400 <= r.status_code < 500, r.text
    r = _resumable(client, token, _bogus_package(9))
    assert 400 <= r.status_code < 500, r.text
    assert _blobs(settings.data) == before
    assert not list((settings.data / "uploads").glob("*.part"))


def test_a_refused_body_never_removes_a_blob_it_did_not_bring(client, world, settings, tmp_path):
    """A body equal to a stored document (a receipt, a notice, another filing) is refused, and
    that document stays."""
    person = world.person("孙二")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    filed = submit_api(client, token, package)
    assert filed.status_code == 201, filed.text
    pdf = client.get(
        f"/api/v1/receipts/{filed.json()['receipt_id']}",
        params={"format": "pdf"},
        headers=auth(token),
    ).content
    sha = hashlib.sha256(pdf).hexdigest()
    assert sha in _blobs(settings.data)
    r = client.post(
        "/api/v1/submissions",
        content=pdf,
        headers={**auth(token), "Content-Type": "application/zip"},
    )
    assert 400 <= r.status_code < 500
    assert sha in _blobs(settings.data)
    assert (
        client.get(
            f"/api/v1/receipts/{filed.json()['receipt_id']}",
            params={"format": "pdf"},
            headers=auth(token),
        ).status_code
        == 200
    )
    # The filed package itself, sent again by another domain, is refused and stays too.
    other = world.token(world.person("孙三"))
    again = submit_api(client, other, package)
    assert again.status_code == 403, again.text
    assert hashlib.sha256(package.read_bytes()).hexdigest() in _blobs(settings.data)


def test_a_domain_holding_too_much_in_uploads_is_told_so(client, world, settings):
    settings.upload_quota_bytes = 12 * MIB
    person = world.person("孙四")
    token = world.token(person)
    first = client.post(
        "/api/v1/uploads", json={"size": 8 * MIB, "sha256": "a" * 64}, headers=auth(token)
    )
    assert first.status_code == 201, first.text
    second = client.post(
        "/api/v1/uploads", json={"size": 8 * MIB, "sha256": "b" * 64}, headers=auth(token)
    )
    assert second.status_code == 507, second.text
    error = second.json()["error"]
    assert error["code"] == "UPLOAD_QUOTA_EXCEEDED"
    assert error["message"] and error["message_en"]
    assert error["details"]["quota"] == 12 * MIB and error["details"]["in_use"] == 8 * MIB
    # A raw body that would pass the quota is refused the same way.
    raw = client.post(
        "/api/v1/submissions",
        content=b"x" * (5 * MIB),
        headers={**auth(token), "Content-Type": "application/zip"},
    )
    assert raw.status_code == 507 and raw.json()["error"]["code"] == "UPLOAD_QUOTA_EXCEEDED"
    # Another domain has a quota of its own.
    other = world.token(world.person("孙五"))
    assert (
        client.post(
            "/api/v1/uploads", json={"size": 8 * MIB, "sha256": "c" * 64}, headers=auth(other)
        ).status_code
        == 201
    )
    # What fits still goes up.
    assert (
        client.post(
            "/api/v1/uploads", json={"size": 4 * MIB, "sha256": "d" * 64}, headers=auth(token)
        ).status_code
        == 201
    )


def test_the_cli_names_the_quota_and_leaves_no_refused_blob(
    phone, desktop, tmp_path, live_server, app
):
    phone.register("孙六")
    desktop.login_with(phone)
    case = new_invention(desktop, tmp_path / "case.zip")
    settings = app.state.settings
    before = _blobs(settings.data)
    r = submit(desktop, case)  # unsigned: refused
    assert r.error["code"] == "PACKAGE_UNSIGNED"
    assert _blobs(settings.data) == before
    settings.upload_quota_bytes = 1024
    r = submit(desktop, case)
    assert r.returncode != 0
    assert r.error["code"] == "UPLOAD_QUOTA_EXCEEDED", r.stdout + r.stderr
