"""The read-only HTTP face of the release repository."""

from __future__ import annotations

import pytest

from patentdesk.updates.repository import ReleaseRepository
from tests.unit.updates.helpers import make_package


@pytest.fixture
def published(settings, tmp_path) -> ReleaseRepository:
    repo = ReleaseRepository.in_data(settings.data)
    repo.publish("1.0.0", make_package(tmp_path / "p", "1.0.0"))
    return repo


def test_metadata_and_targets_are_served(client, published):
    timestamp = client.get("/updates/metadata/timestamp.json")
    assert timestamp.status_code == 200
    assert timestamp.content == (published.metadata_dir / "timestamp.json").read_bytes()
    assert timestamp.headers["cache-control"] == "no-cache"
    assert client.get("/updates/metadata/1.root.json").status_code == 200
    info = published._load("targets").signed.targets["full/patentdesk-client-1.0.0.zip"]
    full = client.get(f"/updates/targets/full/{info.hashes['sha256']}.patentdesk-client-1.0.0.zip")
    assert full.status_code == 200 and len(full.content) == info.length


def test_trusted_root_endpoint(client, published):
    response = client.get("/api/v1/updates/root.json")
    assert response.status_code == 200
    assert response.content == published.root_bytes()


def test_trusted_root_before_any_release_is_a_clear_404(client):
    response = client.get("/api/v1/updates/root.json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RELEASE_REPOSITORY_MISSING"


@pytest.mark.parametrize(
    "url",
    [
        "/updates/metadata/..%2Fkeys%2Froot.pem",
        "/updates/targets/..%2Fkeys%2Froot.pem",
        "/updates/targets/%2E%2E/keys/root.pem",
        "/updates/targets/full/..%2F..%2Fkeys%2Froot.pem",
        "/updates/targets/.lock",
        "/updates/metadata/2.timestamp.json",
    ],
)
def test_nothing_outside_the_repository_is_served(client, published, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"PRIVATE KEY" not in response.content
