"""Test helpers for client releases: packages, a repository, and an attacker's mirror.

``Mirror`` plays the part of python-tuf's ``RepositorySimulator``: it serves a real
:class:`ReleaseRepository` folder the way the HTTP routes do, to an ngclient ``Updater``
in the same process, and lets a test replace any response (older metadata, endless
data, a truncated or different target) to play the attacker or a broken network.
"""

from __future__ import annotations

import random
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tuf.api import exceptions
from tuf.ngclient.fetcher import FetcherInterface

from patentdesk.updates.errors import MetadataNotFound
from patentdesk.updates.package import full_target, patch_target
from patentdesk.updates.repository import ReleaseRepository

MIRROR = "http://mirror.test"
_CORE = random.Random(8).randbytes(120_000)


def make_package(folder: Path, version: str, *, changed: bytes = b"") -> Path:
    """A small client package; versions share most bytes, so patches stay small."""
    path = folder / f"client-{version}.zip"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in [
            ("VERSION", version.encode()),
            ("run.py", f"print('patentdesk client {version}')\n".encode()),
            ("lib/core.bin", _CORE + version.encode() + changed),
        ]:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return path


class Mirror(FetcherInterface):
    """An in-process server for the updater; ``tamper`` replaces what a URL returns."""

    def __init__(self, repo: ReleaseRepository) -> None:
        self.repo = repo
        self.requests: list[str] = []
        self._tamper: dict[str, Callable[[bytes, int], Any]] = {}

    def tamper(self, key: str, how: Callable[[bytes, int], Any]) -> None:
        """``how(original_bytes, nth_request)`` returns bytes or an iterator of chunks."""
        self._tamper[key] = how

    def target_key(self, target: str) -> str:
        info = self.repo._load("targets").signed.targets[target]
        directory, _, name = target.rpartition("/")
        prefix = f"{directory}/" if directory else ""
        return f"targets/{prefix}{info.hashes['sha256']}.{name}"

    def _fetch(self, url: str) -> Iterator[bytes]:
        assert url.startswith(f"{MIRROR}/updates/"), url
        key = url.removeprefix(f"{MIRROR}/updates/")
        self.requests.append(key)
        kind, _, rest = key.partition("/")
        try:
            path = (
                self.repo.metadata_file(rest) if kind == "metadata" else self.repo.target_file(rest)
            )
            data = path.read_bytes()
        except MetadataNotFound:
            if key not in self._tamper:
                raise exceptions.DownloadHTTPError("not found", 404) from None
            data = b""
        if key in self._tamper:
            result = self._tamper[key](data, self.requests.count(key))
            return iter([result]) if isinstance(result, bytes) else result
        return iter([data])


def installed_program(home: Path) -> str:
    """What the installed client's program would print: its own version file."""
    from patentdesk.updates.install import Installation

    folder = Installation(home).current_dir()
    assert folder is not None
    return (folder / "VERSION").read_text()


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """Releases use no database tables: one SQLite run is enough (no PostgreSQL twin)."""
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


__all__ = ["MIRROR", "Mirror", "db_url", "full_target", "make_package", "patch_target"]
