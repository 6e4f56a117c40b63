from __future__ import annotations

from pathlib import Path

import pytest

from patentdesk.updates.repository import ReleaseRepository
from patentdesk.updates.updater import ClientUpdater
from tests.unit.updates.helpers import MIRROR, Mirror, db_url, make_package  # noqa: F401


@pytest.fixture
def repo(tmp_path: Path) -> ReleaseRepository:
    return ReleaseRepository(tmp_path / "server" / "updates")


@pytest.fixture
def mirror(repo: ReleaseRepository) -> Mirror:
    return Mirror(repo)


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return tmp_path / "packages"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def make_updater(home: Path, mirror: Mirror, repo: ReleaseRepository, tmp_path: Path):
    """A client of the mirror with the repository's root installed as its trust anchor."""

    def make() -> ClientUpdater:
        updater = ClientUpdater(home, MIRROR, fetcher=mirror)
        if not updater.trusted_root.exists():
            root = tmp_path / "root.json"
            root.write_bytes(repo.root_bytes())
            updater.install_root(root)
        return updater

    return make


@pytest.fixture
def installed(repo: ReleaseRepository, packages: Path, make_updater, home: Path):
    """Client 1.0.0 installed from the full package; 1.1.0 published with a patch."""
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    assert make_updater().update()["current"] == "1.0.0"
    repo.publish("1.1.0", make_package(packages, "1.1.0", changed=b"new feature"))
    return home
