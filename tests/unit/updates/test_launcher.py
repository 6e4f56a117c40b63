"""Which client ``patentdesk`` starts: the installed version only when it is a client build,
not older than the built-in one, and intact."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from patentdesk.launcher import choose
from patentdesk.updates.install import Installation
from patentdesk.updates.package import sha256_file
from tests.unit.updates.helpers import make_package


def _install(home: Path, package: Path, version: str) -> Installation:
    inst = Installation(home)
    digest, length = sha256_file(package)
    inst.switch(version, inst.install(version, package, sha256=digest, length=length))
    return inst


def _client_build(folder: Path, version: str) -> Path:
    path = folder / f"build-{version}.zip"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("patentdesk/__init__.py", f'__version__ = "{version}"\n')
        archive.writestr("patentdesk/cli/main.py", "def main(): pass\n")
    return path


def test_nothing_installed_runs_the_builtin_client(tmp_path: Path):
    assert choose(tmp_path) | {"builtin_version": ""} == {
        "run": "builtin",
        "reason": "none",
        "builtin_version": "",
    }


def test_an_intact_client_build_runs(tmp_path: Path):
    _install(tmp_path, _client_build(tmp_path / "p", "9.0"), "9.0")
    chosen = choose(tmp_path)
    assert (chosen["run"], chosen["version"]) == ("installed", "9.0")
    assert chosen["folder"] == str(tmp_path / "app" / "versions" / "9.0")


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("changed", "damaged"),
        ("missing", "damaged"),
        ("older", "older"),
        ("plain", "not_a_client_build"),
    ],
)
def test_when_the_builtin_client_runs_instead(tmp_path: Path, how: str, reason: str):
    version = "0.0.1" if how == "older" else "9.0"
    package = (
        make_package(tmp_path / "p", version)
        if how == "plain"
        else _client_build(tmp_path / "p", version)
    )
    inst = _install(tmp_path, package, version)
    main = inst.versions_dir / version / "patentdesk" / "cli" / "main.py"
    if how == "changed":
        main.write_text("import os; os.system('evil')\n")
    elif how == "missing":
        main.unlink()
    chosen = choose(tmp_path)
    assert (chosen["run"], chosen["reason"]) == ("builtin", reason)
    if reason == "damaged":
        assert chosen["problems"] == [{"path": "patentdesk/cli/main.py", "problem": how}]


def test_the_builtin_client_can_be_forced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _install(tmp_path, _client_build(tmp_path / "p", "9.0"), "9.0")
    monkeypatch.setenv("PATENTDESK_LAUNCHER", "builtin")
    assert choose(tmp_path)["reason"] == "disabled"
