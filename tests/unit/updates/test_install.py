"""The installed client's folders: manifest checks, atomic switch, pruning, rollback."""

from __future__ import annotations

import hashlib
import json

import pytest

from patentdesk.updates import errors
from patentdesk.updates.install import Installation
from tests.unit.updates.helpers import make_package


def _install(inst: Installation, packages, version: str) -> str:
    package = make_package(packages, version)
    data = package.read_bytes()
    dir_name = inst.install(
        version, package, sha256=hashlib.sha256(data).hexdigest(), length=len(data)
    )
    inst.switch(version, dir_name)
    return dir_name


def test_nothing_installed(home):
    inst = Installation(home)
    assert (inst.current(), inst.previous(), inst.verify()) == (None, None, [])


def test_install_writes_manifest_and_keeps_package(home, packages):
    inst = Installation(home)
    _install(inst, packages, "1.0.0")
    manifest = inst.manifest("1.0.0")
    assert set(manifest["files"]) == {"VERSION", "run.py", "lib/core.bin"}
    assert inst.package_path("1.0.0").read_bytes() == (packages / "client-1.0.0.zip").read_bytes()
    assert json.loads(inst.state_file.read_text())["dir"] == "1.0.0"


def test_verify_reports_missing_and_changed_files(home, packages):
    inst = Installation(home)
    _install(inst, packages, "1.0.0")
    folder = inst.current_dir()
    (folder / "run.py").unlink()
    (folder / "VERSION").write_text("9.9.9")
    assert inst.verify() == [
        {"path": "VERSION", "problem": "changed"},
        {"path": "run.py", "problem": "missing"},
    ]


def test_only_current_and_previous_are_kept(home, packages):
    inst = Installation(home)
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        _install(inst, packages, version)
    assert sorted(p.name for p in inst.versions_dir.iterdir()) == ["1.1.0", "1.2.0"]
    assert sorted(p.name for p in inst.packages_dir.iterdir()) == ["1.1.0.zip", "1.2.0.zip"]
    assert (inst.current(), inst.previous()) == ("1.2.0", "1.1.0")


def test_rollback_refuses_a_damaged_previous_version(home, packages):
    inst = Installation(home)
    _install(inst, packages, "1.0.0")
    _install(inst, packages, "1.1.0")
    (inst.versions_dir / "1.0.0" / "run.py").unlink()
    with pytest.raises(errors.InstallDamaged):
        inst.rollback()
    assert inst.current() == "1.1.0"


def test_unreadable_state_counts_as_nothing_installed(home, packages):
    inst = Installation(home)
    _install(inst, packages, "1.0.0")
    inst.state_file.write_text("{broken")
    assert inst.current() is None
