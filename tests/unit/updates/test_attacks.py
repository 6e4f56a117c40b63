"""Attacks on the update channel, in the style of python-tuf's own tests.

A ``Mirror`` serves the real release repository and plays the attacker. Each attack is
refused (metadata) or repaired (targets: fetch again, then the full package), and in
every case the client keeps running the version it had: ``current.json`` is unchanged
and every installed file still matches the install manifest.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import time_machine

from patentdesk.updates import errors
from patentdesk.updates.install import Installation
from patentdesk.updates.package import full_target, patch_target
from patentdesk.updates.repository import ReleaseRepository
from tests.unit.updates.helpers import Mirror, installed_program, make_package


def assert_still_runs(home: Path, version: str = "1.0.0") -> None:
    inst = Installation(home)
    assert inst.current() == version
    assert inst.verify() == []
    assert installed_program(home) == version


# --- metadata attacks: refused ---------------------------------------------------------


def test_rollback_attack_on_timestamp_is_refused(installed, mirror: Mirror, make_updater):
    old_timestamp = (mirror.repo.metadata_dir / "timestamp.json").read_bytes()
    mirror.repo.refresh()
    make_updater().check()  # the client has now seen the newer timestamp
    mirror.tamper("metadata/timestamp.json", lambda data, n: old_timestamp)

    with pytest.raises(errors.MetadataRollback):
        make_updater().update()
    assert_still_runs(installed)


def test_rollback_attack_on_snapshot_is_refused(installed, mirror: Mirror, make_updater):
    repo = mirror.repo
    version = repo._load("snapshot").signed.version
    older = (repo.metadata_dir / f"{version - 1}.snapshot.json").read_bytes()
    mirror.tamper(f"metadata/{version}.snapshot.json", lambda data, n: older)

    with pytest.raises(errors.MetadataRefused):
        make_updater().update()
    assert_still_runs(installed)


def test_freeze_attack_expired_timestamp_is_refused(installed, mirror: Mirror, make_updater):
    # The mirror stops at today's metadata; two days later its timestamp has expired.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    with time_machine.travel(later, tick=False), pytest.raises(errors.MetadataExpired) as caught:
        make_updater().update()
    assert caught.value.code == "UPDATE_METADATA_EXPIRED"
    assert_still_runs(installed)


def test_freeze_is_lifted_by_refresh(installed, mirror: Mirror, make_updater):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    with time_machine.travel(later, tick=False):
        mirror.repo.refresh()  # the operator's daily re-signing
        assert make_updater().update()["current"] == "1.1.0"


def test_mix_and_match_targets_from_an_older_release_is_refused(
    installed, mirror: Mirror, make_updater
):
    repo = mirror.repo
    version = repo._load("targets").signed.version
    older = (repo.metadata_dir / f"{version - 1}.targets.json").read_bytes()
    mirror.tamper(f"metadata/{version}.targets.json", lambda data, n: older)

    with pytest.raises(errors.MetadataRefused):
        make_updater().update()
    assert_still_runs(installed)


def test_metadata_signed_by_an_unknown_key_is_refused(installed, mirror: Mirror, make_updater):
    from securesystemslib.signer import CryptoSigner
    from tuf.api.metadata import Metadata

    forged = Metadata.from_bytes((mirror.repo.metadata_dir / "timestamp.json").read_bytes())
    forged.signed.version += 1
    forged.signatures.clear()
    forged.sign(CryptoSigner.generate_ed25519())
    mirror.tamper("metadata/timestamp.json", lambda data, n: forged.to_bytes())

    with pytest.raises(errors.MetadataRefused) as caught:
        make_updater().update()
    assert "UnsignedMetadataError" in caught.value.en
    assert_still_runs(installed)


def test_endless_metadata_is_cut_off(installed, mirror: Mirror, make_updater):
    mirror.tamper("metadata/timestamp.json", lambda data, n: itertools.repeat(b" " * 4096))

    with pytest.raises(errors.DownloadTooLarge):
        make_updater().update()
    assert_still_runs(installed)


# --- target attacks: repaired (fetch again, then full), or refused ---------------------


def test_endless_patch_falls_back_to_the_full_package(installed, mirror: Mirror, make_updater):
    key = mirror.target_key(patch_target("1.0.0", "1.1.0"))
    mirror.tamper(key, lambda data, n: itertools.repeat(b"\0" * 65536))

    result = make_updater().update()

    assert (result["current"], result["method"]) == ("1.1.0", "full")
    assert [e["problem"] for e in result["events"]] == ["too_long", "too_long"]
    assert installed_program(installed) == "1.1.0"


def test_truncated_patch_is_fetched_again_then_repaired(installed, mirror: Mirror, make_updater):
    key = mirror.target_key(patch_target("1.0.0", "1.1.0"))
    # Truncated once (a broken transfer), then served whole.
    mirror.tamper(key, lambda data, n: data[: len(data) // 2] if n == 1 else data)

    result = make_updater().update()

    assert (result["current"], result["method"]) == ("1.1.0", "patch")
    assert [(e["problem"], e["action"]) for e in result["events"]] == [
        ("length_or_hash_mismatch", "discard")
    ]
    assert mirror.requests.count(key) == 2


def test_truncated_patch_every_time_falls_back_to_full(installed, mirror: Mirror, make_updater):
    key = mirror.target_key(patch_target("1.0.0", "1.1.0"))
    mirror.tamper(key, lambda data, n: data[:10])

    result = make_updater().update()

    assert (result["current"], result["method"]) == ("1.1.0", "full")
    assert mirror.requests.count(key) == 2
    assert Installation(installed).verify() == []


def test_wrong_target_everywhere_is_refused_and_nothing_changes(
    installed, mirror: Mirror, make_updater
):
    for target in (patch_target("1.0.0", "1.1.0"), full_target("1.1.0")):
        key = mirror.target_key(target)
        # Same length, different bytes: what a malicious mirror would try.
        mirror.tamper(key, lambda data, n: bytes(b ^ 0xFF for b in data[:64]) + data[64:])

    with pytest.raises(errors.TargetUnverifiable):
        make_updater().update()
    assert_still_runs(installed)
    pending = installed / "updater" / "pending"
    assert not [p for p in pending.iterdir() if p.suffix in (".zip", ".bsdiff")]


def test_patch_whose_result_differs_from_the_full_build_is_not_installed(
    installed, mirror: Mirror, make_updater, packages: Path
):
    """A correctly signed patch that does not produce the full build (an operator's
    mistake) is caught by the result hash; the full package is used instead."""
    import bsdiff4

    repo = mirror.repo
    wrong = bsdiff4.diff(
        (packages / "client-1.0.0.zip").read_bytes(),
        make_package(packages / "other", "1.1.0", changed=b"not the release").read_bytes(),
    )
    _replace_target(repo, patch_target("1.0.0", "1.1.0"), wrong)

    result = make_updater().update()

    assert (result["current"], result["method"]) == ("1.1.0", "full")
    assert ("result_mismatch", "fallback_full") in [
        (e["problem"], e["action"]) for e in result["events"]
    ]
    assert Installation(installed).verify() == []


def _replace_target(repo: ReleaseRepository, target: str, data: bytes) -> None:
    """Re-signs ``target`` with new content but the same custom metadata."""
    from tuf.api.metadata import TargetFile

    md = repo._load("targets")
    old = md.signed.targets[target]
    info = TargetFile.from_data(target, data, ["sha256"])
    info.unrecognized_fields["custom"] = old.custom
    tmp = repo.path / "replacement"
    tmp.write_bytes(data)
    repo._store_target(info, tmp)
    md.signed.targets[target] = info
    repo._resign("targets", md)
    repo._chain_from("snapshot")
