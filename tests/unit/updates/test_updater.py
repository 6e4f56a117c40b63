"""The updater's normal life: install, patch, repair, roll back, follow key rotation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patentdesk.updates import errors
from patentdesk.updates.install import Installation
from patentdesk.updates.package import patch_target
from patentdesk.updates.repository import ReleaseRepository
from patentdesk.updates.updater import ClientUpdater
from tests.unit.updates.helpers import MIRROR, Mirror, installed_program, make_package


def test_first_update_installs_the_full_package(repo, packages, make_updater, home):
    repo.publish("1.0.0", make_package(packages, "1.0.0"))

    result = make_updater().update()

    assert result | {"events": []} == {
        "current": "1.0.0",
        "available": "1.0.0",
        "applied": True,
        "method": "full",
        "previous": None,
        "repaired": False,
        "self_check": "not_a_client_build",  # this test package holds no runnable client
        "events": [],
    }
    assert installed_program(home) == "1.0.0"
    assert not list((home / "updater" / "pending").iterdir())


def test_update_applies_the_patch_and_keeps_the_previous_version(installed, make_updater, mirror):
    result = make_updater().update()

    assert (result["current"], result["method"], result["previous"]) == ("1.1.0", "patch", "1.0.0")
    assert mirror.target_key(patch_target("1.0.0", "1.1.0")) in mirror.requests
    assert not any(r.startswith("targets/full/") and "1.1.0" in r for r in mirror.requests)
    inst = Installation(installed)
    assert inst.previous() == "1.0.0"
    assert (inst.versions_dir / "1.0.0" / "VERSION").read_text() == "1.0.0"


def test_check_reports_without_changing_anything(installed, make_updater):
    result = make_updater().check()

    assert (result["current"], result["available"], result["applied"]) == ("1.0.0", "1.1.0", False)
    assert result["update_available"] is True
    assert Installation(installed).current() == "1.0.0"


def test_up_to_date_client_applies_nothing(installed, make_updater):
    make_updater().update()
    result = make_updater().update()
    assert (result["current"], result["applied"]) == ("1.1.0", False)


def test_antivirus_truncating_the_pending_patch_is_caught_before_applying(
    installed, make_updater, mirror
):
    """Seed B1: the patch in pending/ shrank after download; it is fetched again."""
    first = make_updater().update(download_only=True)
    pending = installed / "updater" / "pending"
    info = json.loads((pending / "update-info.json").read_text())
    assert first["downloaded"] == "patch" and first["applied"] is False
    assert info["kind"] == "patch" and info["base_version"] == "1.0.0"
    patch = pending / info["file"]
    assert patch.stat().st_size == info["length"]
    patch.write_bytes(patch.read_bytes()[:100])  # what the antivirus left

    result = make_updater().update()

    assert (result["current"], result["method"]) == ("1.1.0", "patch")
    assert result["events"][0]["problem"] == "changed_after_download"
    assert mirror.requests.count(mirror.target_key(patch_target("1.0.0", "1.1.0"))) == 2


def test_downloaded_pending_file_is_reused_when_intact(installed, make_updater, mirror):
    make_updater().update(download_only=True)
    key = mirror.target_key(patch_target("1.0.0", "1.1.0"))
    result = make_updater().update()
    assert result["method"] == "patch"
    assert mirror.requests.count(key) == 1


def test_missing_base_package_means_full_package(installed, make_updater):
    Installation(installed).package_path("1.0.0").unlink()
    result = make_updater().update()
    assert result["method"] == "full"
    assert result["events"][0]["problem"] == "base_missing"


def test_damaged_installation_is_repaired_from_the_full_package(repo, packages, make_updater, home):
    """Seed B4: files quarantined by antivirus; the update reinstalls the same version."""
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    make_updater().update()
    inst = Installation(home)
    (inst.current_dir() / "lib" / "core.bin").unlink()
    assert inst.verify() == [{"path": "lib/core.bin", "problem": "missing"}]

    result = make_updater().update()

    assert (result["current"], result["applied"], result["repaired"]) == ("1.0.0", True, True)
    assert inst.verify() == []
    assert inst.current_dir().name == "1.0.0~2"  # a fresh folder, switched atomically


def test_rollback_returns_to_the_previous_version(installed, make_updater):
    make_updater().update()
    result = make_updater().rollback()
    assert (result["current"], result["rolled_back_from"]) == ("1.0.0", "1.1.0")
    assert installed_program(installed) == "1.0.0"
    # And forward again: the newer version is still on disk.
    assert make_updater().rollback()["current"] == "1.1.0"


def test_rollback_without_previous_version_is_refused(repo, packages, make_updater):
    repo.publish("1.0.0", make_package(packages, "1.0.0"))
    make_updater().update()
    with pytest.raises(errors.NoPrevious):
        make_updater().rollback()


def test_downgrade_is_refused(installed, make_updater, tmp_path):
    make_updater().update()
    # A different server whose newest release is older than what is installed.
    other = ReleaseRepository(tmp_path / "other")
    other.publish("1.0.5", make_package(tmp_path / "o", "1.0.5"))
    root = tmp_path / "other-root.json"
    root.write_bytes(other.root_bytes())
    updater = ClientUpdater(installed, MIRROR, fetcher=Mirror(other))
    updater.install_root(root)
    with pytest.raises(errors.DowngradeRefused):
        updater.update()
    assert Installation(installed).current() == "1.1.0"


def test_client_follows_key_rotation(installed, repo, make_updater):
    make_updater().check()
    repo.rotate_keys("root")
    repo.rotate_keys("targets")
    repo.rotate_keys("timestamp")
    repo.rotate_keys("snapshot")
    assert make_updater().update()["current"] == "1.1.0"
    history = installed / "updater" / "metadata" / "root_history"
    assert sorted(p.name for p in history.iterdir())[-1] == "5.root.json"


def test_without_trusted_root_nothing_is_downloaded(home, mirror):
    with pytest.raises(errors.RootMissing):
        ClientUpdater(home, MIRROR, fetcher=mirror).update()
    assert mirror.requests == []


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"signed": {"_type": "timestamp"}}', None],
    ids=["garbage", "not-root", "missing"],
)
def test_install_root_refuses_what_is_not_a_root(home, tmp_path, content):
    path = tmp_path / "root.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(errors.RootInvalid):
        ClientUpdater(home, MIRROR).install_root(path)


def test_install_root_refuses_a_root_not_signed_by_its_keys(home, tmp_path, repo):
    from securesystemslib.signer import CryptoSigner
    from tuf.api.metadata import Metadata

    repo.init()
    md = Metadata.from_bytes(repo.root_bytes())
    md.signatures.clear()
    md.sign(CryptoSigner.generate_ed25519())
    path = tmp_path / "root.json"
    path.write_bytes(md.to_bytes())
    with pytest.raises(errors.RootInvalid):
        ClientUpdater(home, MIRROR).install_root(path)


def test_empty_repository_has_nothing_to_apply(repo, make_updater):
    repo.init()
    result = make_updater().update()
    assert (result["current"], result["available"], result["applied"]) == (None, None, False)


def test_installation_is_never_half_switched(installed, make_updater, monkeypatch):
    """A failure while unpacking leaves current.json and the old files as they were."""
    import shutil

    real_copy = shutil.copyfileobj

    def disk_full_while_unpacking(src, dst, *args):
        if ".staging-" in str(getattr(dst, "name", "")):
            raise OSError(28, "No space left on device")
        return real_copy(src, dst, *args)

    monkeypatch.setattr(shutil, "copyfileobj", disk_full_while_unpacking)
    with pytest.raises(errors.UpdateError) as caught:
        make_updater().update()
    assert "No space left" in caught.value.en
    inst = Installation(installed)
    assert inst.current() == "1.0.0" and inst.verify() == []
    assert [p.name for p in inst.versions_dir.iterdir()] == ["1.0.0"]


def test_pending_path_is_the_seed_layout(installed, make_updater):
    make_updater().update(download_only=True)
    pending: Path = installed / "updater" / "pending"
    names = sorted(p.name for p in pending.iterdir())
    assert names == ["patentdesk-client-1.0.0-to-1.1.0.bsdiff", "update-info.json"]


def test_file_changed_between_download_and_apply_is_fetched_again(
    installed, make_updater, mirror, monkeypatch
):
    """Antivirus acting in the same run, right after the download: the check just before
    applying the patch catches it."""
    real_fetch = ClientUpdater._fetch
    calls = []

    def fetch_then_quarantine(self, tuf, info, version):
        path = real_fetch(self, tuf, info, version)
        calls.append(info.path)
        if len(calls) == 1 and path is not None:
            path.write_bytes(b"")  # emptied by a scanner
        return path

    monkeypatch.setattr(ClientUpdater, "_fetch", fetch_then_quarantine)
    result = make_updater().update()

    assert (result["current"], result["method"]) == ("1.1.0", "patch")
    assert result["events"] == [
        {
            "target": patch_target("1.0.0", "1.1.0"),
            "problem": "changed_after_download",
            "action": "discard",
        }
    ]
