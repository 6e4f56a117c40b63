"""The release repository: keys, signed metadata, packages, patches, expiry, rotation."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import bsdiff4
import pytest
from tuf.api.metadata import Metadata, Root

from patentdesk.updates import errors
from patentdesk.updates.package import CUSTOM_KEY, full_target, patch_target
from patentdesk.updates.repository import ReleaseRepository
from tests.unit.updates.helpers import make_package


def _md(repo: ReleaseRepository, role: str) -> Metadata:
    return Metadata.from_file(str(repo.metadata_dir / f"{role}.json"))


def test_keys_are_private_to_the_server_account(repo):
    repo.init()
    assert stat.S_IMODE(repo.keys_dir.stat().st_mode) == 0o700
    for role in ("root", "targets", "snapshot", "timestamp"):
        assert stat.S_IMODE((repo.keys_dir / f"{role}.pem").stat().st_mode) == 0o600


def test_every_role_is_signed_by_the_key_root_names(repo, packages):
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    root = _md(repo, "root")
    root.verify_delegate("root", root)
    for role in ("targets", "snapshot", "timestamp"):
        root.verify_delegate(role, _md(repo, role))


def test_expiry_follows_the_role_lifetimes(repo, packages):
    moment = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    repo.clock = lambda: moment
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    expected = {"timestamp": 1, "snapshot": 7, "targets": 7, "root": 365}
    for role, days in expected.items():
        assert _md(repo, role).signed.expires == moment + dt.timedelta(days=days)


def test_publish_stores_full_package_and_patch_with_custom_metadata(repo, packages):
    old = make_package(packages, "1.0.0")
    new = make_package(packages, "1.1.0", changed=b"x")
    repo.publish("1.0.0", old)

    result = repo.publish("1.1.0", new)

    targets = _md(repo, "targets").signed.targets
    full = targets[full_target("1.1.0")]
    patch = targets[patch_target("1.0.0", "1.1.0")]
    assert patch.custom[CUSTOM_KEY] == {
        "kind": "patch",
        "version": "1.1.0",
        "base_version": "1.0.0",
        "base_sha256": targets[full_target("1.0.0")].hashes["sha256"],
        "base_length": old.stat().st_size,
        "result_sha256": full.hashes["sha256"],
        "result_length": new.stat().st_size,
    }
    assert full.custom[CUSTOM_KEY] == {"kind": "full", "version": "1.1.0"}
    assert result["patches"][0]["length"] < new.stat().st_size // 10
    stored = repo.target_file(f"patches/{patch.hashes['sha256']}.{patch.path.split('/')[1]}")
    assert bsdiff4.patch(old.read_bytes(), stored.read_bytes()) == new.read_bytes()
    assert repo.releases()["latest"] == "1.1.0"


def test_patches_from_named_versions_only(repo, packages):
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        repo.publish(version, make_package(packages, version))
    result = repo.publish("1.3.0", make_package(packages, "1.3.0"), ["1.1.0"])
    assert [p["from"] for p in result["patches"]] == ["1.1.0"]
    entry = repo.releases()["releases"][-1]
    assert entry["patches"] == {"1.1.0": patch_target("1.1.0", "1.3.0")}


def test_patch_no_smaller_than_the_package_is_skipped(repo, tmp_path):
    import random
    import zipfile

    def random_package(name: str, seed: int) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("blob", random.Random(seed).randbytes(2000))
        return path

    repo.publish("1.0.0", random_package("a.zip", 1))
    result = repo.publish("2.0.0", random_package("b.zip", 2))
    assert result["patches"] == [] and result["skipped_patches"] == ["1.0.0"]


@pytest.mark.parametrize(
    ("version", "error"),
    [
        ("1.0.0", errors.VersionExists),
        ("0.9", errors.VersionNotNewer),
        ("1.0", errors.VersionNotNewer),  # the same release as 1.0.0
        ("v1.1", errors.VersionInvalid),
        ("1.1-beta", errors.VersionInvalid),
    ],
)
def test_bad_versions_are_refused(repo, packages, version, error):
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    before = _md(repo, "timestamp").signed.version
    with pytest.raises(error):
        repo.publish(version, make_package(packages, "x"))
    assert _md(repo, "timestamp").signed.version == before


def test_unknown_patch_base_is_refused(repo, packages):
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    with pytest.raises(errors.BaseVersionUnknown):
        repo.publish("1.1.0", make_package(packages, "1.1.0"), ["0.9.0"])


def test_refresh_resigns_timestamp_and_whatever_is_close_to_expiry(repo, packages):
    moment = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    repo.clock = lambda: moment
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    versions = {r: _md(repo, r).signed.version for r in ("root", "targets", "snapshot")}

    assert repo.refresh()["refreshed"] == ["timestamp"]
    moment += dt.timedelta(days=5)  # targets and snapshot have 2 of 7 days left
    assert repo.refresh()["refreshed"] == ["targets", "snapshot", "timestamp"]
    assert _md(repo, "targets").signed.version == versions["targets"] + 1
    assert _md(repo, "timestamp").signed.expires == moment + dt.timedelta(days=1)
    assert _md(repo, "root").signed.version == versions["root"]
    assert repo.refresh(force=True)["refreshed"] == ["root", "targets", "snapshot", "timestamp"]


def test_refresh_without_repository_is_a_clear_error(repo):
    with pytest.raises(errors.RepositoryMissing):
        repo.refresh()


def test_root_rotation_is_signed_by_old_and_new_root_keys(repo):
    repo.init()
    old_root = _md(repo, "root")

    result = repo.rotate_keys("root")

    new_root = Metadata[Root].from_bytes((repo.metadata_dir / "2.root.json").read_bytes())
    old_root.verify_delegate("root", new_root)  # the chain a client follows
    new_root.verify_delegate("root", new_root)
    assert new_root.signed.roles["root"].keyids == [result["new_keyid"]]
    assert result["old_keyids"] != [result["new_keyid"]]
    assert not (repo.keys_dir / "root.pem.new").exists()


def test_rotating_targets_key_resigns_targets(repo):
    repo.init()
    result = repo.rotate_keys("targets")
    root = _md(repo, "root")
    root.verify_delegate("targets", _md(repo, "targets"))
    assert root.signed.roles["targets"].keyids == [result["new_keyid"]]


def test_unknown_role_is_refused(repo):
    repo.init()
    with pytest.raises(errors.RoleUnknown):
        repo.rotate_keys("mirror")


@pytest.mark.parametrize(
    "name",
    ["../keys/root.pem", "root.pem", "..%2Froot.json", "0.root.json", "x.timestamp.json", ""],
)
def test_only_metadata_names_resolve(repo, name):
    repo.init()
    with pytest.raises(errors.MetadataNotFound):
        repo.metadata_file(name)


@pytest.mark.parametrize(
    "target",
    [
        "../keys/root.pem",
        "../metadata/root.json",
        "/etc/passwd",
        ".lock",
        "full/../../keys/root.pem",
        "full",
        "a/b/c/d",
    ],
)
def test_only_targets_resolve(repo, target):
    repo.init()
    with pytest.raises(errors.MetadataNotFound):
        repo.target_file(target)


def test_release_index_is_a_signed_target(repo, packages):
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    info = _md(repo, "targets").signed.targets["releases.json"]
    stored = repo.target_file(f"{info.hashes['sha256']}.releases.json")
    info.verify_length_and_hashes(stored.read_bytes())
    assert json.loads(stored.read_bytes())["latest"] == "1.0.0"
