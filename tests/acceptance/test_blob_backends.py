"""Filing, receipts and notices work the same on both blob stores: the data folder and
S3-compatible object storage (a real ``rclone serve s3``). On S3 nothing lands in the
server's data folder: a second server with an empty one sees every document (issue 14)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from patentdesk.blobs import blobs_for
from tests.conftest import BLOB_KINDS
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit

pytestmark = pytest.mark.parametrize("blobs_kind", BLOB_KINDS, indirect=True)


def _local_blobs(data: Path) -> list[Path]:
    root = data / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_submit_download_receipt_and_notice(client, app, world, settings, tmp_path, blobs_kind):
    person = world.person("李四")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    out = r.json()
    store = blobs_for(settings)
    assert store.exists(hashlib.sha256(package.read_bytes()).hexdigest())

    bundle = client.get(f"/api/v1/receipts/{out['receipt_id']}", headers=auth(token))
    assert bundle.status_code == 200, bundle.text
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert set(names) == {"receipt.json", "receipt.json.p7s", "receipt.pdf", "receipt.pdf.p7s"}
    pdf = client.get(
        f"/api/v1/receipts/{out['receipt_id']}", params={"format": "pdf"}, headers=auth(token)
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert store.exists(hashlib.sha256(pdf.content).hexdigest())

    office = office_token(client, app)
    r = client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept", headers=auth(office)
    )
    assert r.status_code == 200, r.text
    notices = client.get("/api/v1/notices", headers=auth(token)).json()
    items = notices["items"] if isinstance(notices, dict) else notices
    assert items, notices
    got = client.get(f"/api/v1/notices/{items[0]['id']}/pdf", headers=auth(token))
    assert got.status_code == 200 and got.content.startswith(b"%PDF")

    if blobs_kind:  # S3: the server's own folder holds no document
        assert _local_blobs(settings.data) == []
        assert {b.sha256 for b in store.list_blobs()} >= {
            hashlib.sha256(package.read_bytes()).hexdigest(),
            hashlib.sha256(pdf.content).hexdigest(),
            hashlib.sha256(got.content).hexdigest(),
        }
    else:
        assert len(_local_blobs(settings.data)) >= 3


def test_resumable_upload_files_and_a_refused_one_leaves_nothing(
    client, world, settings, tmp_path, blobs_kind
):
    person = world.person("王五")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    body = package.read_bytes()
    store = blobs_for(settings)
    before = {b.sha256 for b in store.list_blobs()}

    bogus = io.BytesIO()
    with zipfile.ZipFile(bogus, "w") as z:
        z.writestr("noise.bin", b"x" * 1000)
    r = client.post(
        "/api/v1/submissions",
        content=bogus.getvalue(),
        headers={**auth(token), "Content-Type": "application/zip"},
    )
    assert 400 <= r.status_code < 500, r.text
    assert {b.sha256 for b in store.list_blobs()} == before  # the refused package is gone

    sha = hashlib.sha256(body).hexdigest()
    r = client.post("/api/v1/uploads", json={"size": len(body), "sha256": sha}, headers=auth(token))
    assert r.status_code == 201, r.text
    upload_id = r.json()["upload_id"]
    half = len(body) // 2
    for offset, chunk in ((0, body[:half]), (half, body[half:])):
        put = client.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=chunk,
            headers={**auth(token), "Content-Type": "application/octet-stream"},
        )
        assert put.status_code == 200, put.text
    r = client.post("/api/v1/submissions", json={"upload_id": upload_id}, headers=auth(token))
    assert r.status_code == 201, r.text
    assert store.exists(sha)
    with store.open(sha) as fh:
        assert fh.read() == body


def _second_server(settings, tmp_path):
    """Another app on the same database and blob store, with its own data folder that holds
    nothing but the environment's key files (copied, as docs/deployment.md says for a
    cluster without a key token)."""
    import importlib
    import shutil

    from fastapi.testclient import TestClient

    from patentdesk import bootstrap
    from patentdesk.app import create_app
    from patentdesk.config import Settings
    from patentdesk.db import Database

    other = Settings(**{**settings.model_dump(), "data": tmp_path / "other-data"})
    other.data.mkdir(parents=True)
    shutil.copytree(settings.data / "pki", other.data / "pki")
    for module_name, func in bootstrap.STEPS:
        getattr(importlib.import_module(module_name), func)(other)
    db = Database(other.sqlalchemy_url)
    return other, db, TestClient(create_app(other, db))


def test_one_upload_in_chunks_to_two_servers(client, world, settings, tmp_path, blobs_kind):
    """Behind a load balancer the chunks of one upload reach different servers: with an
    object store the upload continues wherever the next chunk lands."""
    if not blobs_kind:
        pytest.skip("the data folder's uploads belong to one server")
    person = world.person("赵六")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    body = package.read_bytes()
    sha = hashlib.sha256(body).hexdigest()
    other, db, b = _second_server(settings, tmp_path)
    try:
        r = client.post(
            "/api/v1/uploads", json={"size": len(body), "sha256": sha}, headers=auth(token)
        )
        assert r.status_code == 201, r.text
        upload_id = r.json()["upload_id"]
        half = len(body) // 2
        put = client.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": 0},
            content=body[:half],
            headers={**auth(token), "Content-Type": "application/octet-stream"},
        )
        assert put.status_code == 200, put.text
        # The other server knows where the upload stands and takes the rest.
        got = b.get(f"/api/v1/uploads/{upload_id}", headers=auth(token))
        assert got.status_code == 200 and got.json()["offset"] == half, got.text
        stale = b.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": 0},
            content=body[:half],
            headers={**auth(token), "Content-Type": "application/octet-stream"},
        )
        assert (
            stale.status_code == 409 and stale.json()["error"]["code"] == "UPLOAD_OFFSET_MISMATCH"
        )
        put = b.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": half},
            content=body[half:],
            headers={**auth(token), "Content-Type": "application/octet-stream"},
        )
        assert put.status_code == 200 and put.json()["complete"], put.text
        # Filed where the phone's certificate was issued (shared keys are another part of
        # issue 14), and the receipt downloads from the other server.
        r = client.post("/api/v1/submissions", json={"upload_id": upload_id}, headers=auth(token))
        assert r.status_code == 201, r.text
        receipt = b.get(f"/api/v1/receipts/{r.json()['receipt_id']}", headers=auth(token))
        assert receipt.status_code == 200
        # Finished: the upload's parts are gone from the store, nothing is on either disk.
        store = blobs_for(settings)
        assert store.list_objects("uploads/") == []
        for data in (settings.data, other.data):
            assert not (data / "uploads").exists() or not list((data / "uploads").iterdir())
    finally:
        b.close()
        db.dispose()


def test_shared_uploads_quota_and_purge(settings, blobs_kind):
    import time
    import uuid

    from patentdesk.filing.uploads import SharedUploads, UploadQuotaExceeded, uploads_for

    if not blobs_kind:
        pytest.skip("the object store's uploads")
    uploads = uploads_for(settings.model_copy(update={"upload_quota_bytes": 1000}))
    assert isinstance(uploads, SharedUploads)
    user, domain = uuid.uuid4(), uuid.uuid4()
    first = uploads.create(user, 600, "a" * 64, domain)
    with pytest.raises(UploadQuotaExceeded):
        uploads.create(user, 600, "b" * 64, domain)
    uploads.create(uuid.uuid4(), 600, "c" * 64, uuid.uuid4())  # another domain's own quota
    uploads.append(user, first.id, 0, b"x" * 10)
    assert uploads.purge_stale(time.time() - 3600) == 0  # all fresh
    assert uploads.purge_stale(time.time() + 1) == 2
    assert uploads.in_use(domain) == 0
    assert blobs_for(settings).list_objects("uploads/") == []
