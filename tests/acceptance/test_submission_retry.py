"""A submission whose answer was lost — the server died after filing it, or the connection
broke — sent again as it was: the same idempotency key answers with the same number, also
when the package came by resumable upload, which the first filing used up (issue 14)."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import BLOB_KINDS
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention

pytestmark = pytest.mark.parametrize("blobs_kind", BLOB_KINDS, indirect=True)


def _upload(client, token: str, body: bytes) -> str:
    sha = hashlib.sha256(body).hexdigest()
    r = client.post("/api/v1/uploads", json={"size": len(body), "sha256": sha}, headers=auth(token))
    assert r.status_code == 201, r.text
    upload_id = str(r.json()["upload_id"])
    r = client.put(
        f"/api/v1/uploads/{upload_id}",
        params={"offset": 0},
        content=body,
        headers={**auth(token), "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    return upload_id


def test_a_resumable_submission_sent_again_gets_its_first_answer(
    client, world, tmp_path, blobs_kind
):
    phone = ApiPhone(world, world.person("张三"))
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    upload_id = _upload(client, token, package.read_bytes())
    request = {"upload_id": upload_id, "idempotency_key": "agency-job-17"}

    first = client.post("/api/v1/submissions", json=request, headers=auth(token))
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/submissions", json=request, headers=auth(token))
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "replay": True}

    # Without the key the upload is simply gone; another key is not this filing's.
    for other in ({"upload_id": upload_id}, {**request, "idempotency_key": "agency-job-18"}):
        r = client.post("/api/v1/submissions", json=other, headers=auth(token))
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "NOT_FOUND"


def test_the_key_of_another_domain_replays_nothing(client, world, tmp_path, blobs_kind):
    owner = ApiPhone(world, world.person("张三"))
    owner_token = owner.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    owner.sign(owner_token, package)
    upload_id = _upload(client, owner_token, package.read_bytes())
    request = {"upload_id": upload_id, "idempotency_key": "shared-words"}
    r = client.post("/api/v1/submissions", json=request, headers=auth(owner_token))
    assert r.status_code == 201, r.text

    stranger = ApiPhone(world, world.person("李四"))
    r = client.post("/api/v1/submissions", json=request, headers=auth(stranger.desktop_login()))
    assert r.status_code == 404, r.text
    assert "application_number" not in r.text
