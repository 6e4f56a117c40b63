"""The client release repository on the server: TUF metadata, packages and patches.

Layout in the data folder (``PATENTDESK_DATA/updates``)::

    keys/<role>.pem          private Ed25519 keys, one per top-level role (0600, folder 0700)
    metadata/root.json       newest root; also N.root.json for every version (rotation chain)
    metadata/N.targets.json  N.snapshot.json (consistent snapshots), timestamp.json
    metadata/targets.json    snapshot.json: the newest of each, for the repository's own use
    targets/<hash>.<name>    every target stored under its SHA-256 (consistent snapshots)

Publishing writes new files only, and ``timestamp.json`` last with an atomic rename: a
client that reads the repository mid-publish sees either the old or the new release.
The metadata is made with python-tuf's Metadata API and read by its ``ngclient``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from patentdesk.timeutil import iso, now
from patentdesk.updates.errors import (
    BaseVersionUnknown,
    MetadataNotFound,
    RepositoryMissing,
    RoleUnknown,
    VersionExists,
    VersionNotNewer,
)
from patentdesk.updates.package import (
    CUSTOM_KEY,
    INDEX_TARGET,
    full_target,
    package_files,
    parse_version,
    patch_target,
    sha256_file,
)

ROLES = ("root", "targets", "snapshot", "timestamp")
# How long each role's signature holds. The timestamp is short so that a frozen mirror is
# noticed within a day; the operator's daily `admin release refresh` (and every publish
# and server start) re-signs what is close to expiry.
DEFAULT_LIFETIMES: dict[str, dt.timedelta] = {
    "root": dt.timedelta(days=365),
    "targets": dt.timedelta(days=7),
    "snapshot": dt.timedelta(days=7),
    "timestamp": dt.timedelta(days=1),
}
# Patches are made from this many earlier versions unless the operator names them.
DEFAULT_PATCH_BASES = 3
_METADATA_NAME = re.compile(r"^(?:[1-9][0-9]{0,9}\.)?(root|targets|snapshot|timestamp)\.json$")
_TARGET_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class ReleaseRepository:
    """One TUF repository of client releases in a folder of the server's data directory."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], dt.datetime] = now,
        lifetimes: dict[str, dt.timedelta] | None = None,
    ) -> None:
        self.path = path
        self.clock = clock
        self.lifetimes = {**DEFAULT_LIFETIMES, **(lifetimes or {})}

    @classmethod
    def in_data(cls, data: Path, **kwargs: Any) -> ReleaseRepository:
        return cls(data / "updates", **kwargs)

    # --- folders ------------------------------------------------------------------------

    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    @property
    def metadata_dir(self) -> Path:
        return self.path / "metadata"

    @property
    def targets_dir(self) -> Path:
        return self.path / "targets"

    def exists(self) -> bool:
        return (self.metadata_dir / "timestamp.json").is_file()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # One writer at a time (two operators publishing, or publish during a refresh).
        # The server runs on POSIX; imported here so the client never needs fcntl.
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.path / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # --- reading (also used by the HTTP routes, which never write) ------------------------

    def metadata_file(self, name: str) -> Path:
        """The file behind ``/updates/metadata/{name}``; only metadata names resolve."""
        if not _METADATA_NAME.match(name):
            raise MetadataNotFound()
        path = self.metadata_dir / name
        if not path.is_file():
            raise MetadataNotFound()
        return path

    def target_file(self, target: str) -> Path:
        """The file behind ``/updates/targets/{target}``; nothing outside targets/ resolves."""
        parts = target.split("/")
        if len(parts) > 3 or not all(_TARGET_PART.match(p) for p in parts):
            raise MetadataNotFound()
        base = self.targets_dir.resolve()
        path = (base / target).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise MetadataNotFound()
        return path

    def root_bytes(self) -> bytes:
        """The newest root metadata, to ship with a client build as its trust anchor."""
        path = self.metadata_dir / "root.json"
        if not path.is_file():
            raise RepositoryMissing()
        return path.read_bytes()

    def releases(self) -> dict[str, Any]:
        """The release index: ``{"latest", "releases": [{"version","full","patches",…}]}``."""
        if not self.exists():
            raise RepositoryMissing()
        targets = self._load("targets")
        info = targets.signed.targets.get(INDEX_TARGET)
        if info is None:
            return {"latest": None, "releases": []}
        return json.loads(self._stored_target(info).read_bytes())

    def status(self) -> dict[str, Any]:
        """Versions and expiry of each role, for operators."""
        if not self.exists():
            raise RepositoryMissing()
        roles = {}
        for role in ROLES:
            md = self._load(role)
            roles[role] = {
                "version": md.signed.version,
                "expires": iso(md.signed.expires),
                "keyids": self._load("root").signed.roles[role].keyids,
            }
        return {"roles": roles, "latest": self.releases()["latest"]}

    # --- writing --------------------------------------------------------------------------

    def init(self) -> bool:
        """Creates keys and the first metadata; returns False if it already existed."""
        with self._locked():
            if self.exists():
                return False
            self._init()
            return True

    def publish(
        self, version: str, package: Path, from_versions: list[str] | None = None
    ) -> dict[str, Any]:
        """Stores a full package and patches from earlier versions, then signs new metadata."""
        import bsdiff4
        from tuf.api.metadata import TargetFile

        parse_version(version)
        package_files(package)  # refuse anything the client could not install
        with self._locked():
            if not self.exists():
                self._init()
            index = self.releases()
            published = {r["version"]: r for r in index["releases"]}
            if version in published:
                raise VersionExists(version=version)
            latest = index["latest"]
            if latest is not None and parse_version(version) <= parse_version(latest):
                raise VersionNotNewer(version=version, latest=latest)
            if from_versions:
                bases = list(dict.fromkeys(from_versions))
                for base in bases:
                    parse_version(base)
                    if base not in published:
                        raise BaseVersionUnknown(version=base)
            else:
                ordered = sorted(published, key=parse_version)
                bases = ordered[-DEFAULT_PATCH_BASES:]

            targets_md = self._load("targets")
            targets = targets_md.signed.targets
            full_sha, full_len = sha256_file(package)
            full_info = TargetFile(
                full_len,
                {"sha256": full_sha},
                full_target(version),
                {"custom": {CUSTOM_KEY: {"kind": "full", "version": version}}},
            )
            self._store_target(full_info, package)
            targets[full_info.path] = full_info

            patches: dict[str, str] = {}
            report_patches = []
            skipped = []
            for base in bases:
                base_info = targets[published[base]["full"]]
                base_file = self._stored_target(base_info)
                with tempfile.TemporaryDirectory(dir=self.path) as tmp:
                    out = Path(tmp) / "patch"
                    bsdiff4.file_diff(str(base_file), str(package), str(out))
                    patch_sha, patch_len = sha256_file(out)
                    if patch_len >= full_len:
                        # A patch no smaller than the package only costs the client time.
                        skipped.append(base)
                        continue
                    info = TargetFile(
                        patch_len,
                        {"sha256": patch_sha},
                        patch_target(base, version),
                        {
                            "custom": {
                                CUSTOM_KEY: {
                                    "kind": "patch",
                                    "version": version,
                                    "base_version": base,
                                    "base_sha256": base_info.hashes["sha256"],
                                    "base_length": base_info.length,
                                    "result_sha256": full_sha,
                                    "result_length": full_len,
                                }
                            }
                        },
                    )
                    self._store_target(info, out)
                targets[info.path] = info
                patches[base] = info.path
                report_patches.append(
                    {"from": base, "path": info.path, "length": patch_len, "sha256": patch_sha}
                )

            entry = {
                "version": version,
                "full": full_info.path,
                "patches": patches,
                "published_at": iso(self.clock()),
            }
            index = {
                "latest": version,
                "releases": sorted(
                    [*index["releases"], entry], key=lambda r: parse_version(r["version"])
                ),
            }
            self._put_index(targets_md, index)
            self._resign("targets", targets_md)
            self._chain_from("snapshot")
            return {
                "version": version,
                "full": {"path": full_info.path, "length": full_len, "sha256": full_sha},
                "patches": report_patches,
                "skipped_patches": skipped,
                "metadata": self._versions(),
            }

    def refresh(self, *, force: bool = False) -> dict[str, Any]:
        """Re-signs every role whose signature expires within half its lifetime.

        The timestamp is always re-signed: run this daily so that clients never meet an
        expired timestamp (a freeze attack looks the same to them and they refuse it).
        """
        with self._locked():
            if not self.exists():
                raise RepositoryMissing()
            refreshed = []
            moment = self.clock()
            for role in ("root", "targets", "snapshot"):
                md = self._load(role)
                if force or md.signed.expires - moment < self.lifetimes[role] / 2:
                    refreshed.append(role)
            if "root" in refreshed:
                self._resign("root", self._load("root"))
            if "targets" in refreshed:
                self._resign("targets", self._load("targets"))
                refreshed.append("snapshot")
            self._chain_from("snapshot" if "snapshot" in refreshed else "timestamp")
            refreshed.append("timestamp")
            return {"refreshed": list(dict.fromkeys(refreshed)), "metadata": self._versions()}

    def rotate_keys(self, role: str) -> dict[str, Any]:
        """Replaces ``role``'s key: a new root version names the new key (signed by the old
        and new root keys when the root key itself changes), then the role is re-signed."""
        from securesystemslib.signer import CryptoSigner

        if role not in ROLES:
            raise RoleUnknown(role=role)
        with self._locked():
            if not self.exists():
                raise RepositoryMissing()
            root_md = self._load("root")
            root = root_md.signed
            old_keyids = list(root.roles[role].keyids)
            old_root_signers = [self._signer("root")]
            signer = CryptoSigner.generate_ed25519()
            for keyid in old_keyids:
                root.revoke_key(keyid, role)
            root.add_key(signer.public_key, role)
            new_key = self.keys_dir / f"{role}.pem.new"
            self._write_private(new_key, signer.private_bytes)
            extra = old_root_signers if role == "root" else []
            try:
                self._resign(
                    "root",
                    root_md,
                    signers=[signer] if role == "root" else None,
                    extra_signers=extra,
                )
            except BaseException:
                new_key.unlink(missing_ok=True)
                raise
            os.replace(new_key, self.keys_dir / f"{role}.pem")
            if role == "targets":
                self._resign("targets", self._load("targets"))
                self._chain_from("snapshot")
            elif role == "snapshot":
                self._chain_from("snapshot")
            elif role == "timestamp":
                self._chain_from("timestamp")
            return {
                "role": role,
                "old_keyids": old_keyids,
                "new_keyid": signer.public_key.keyid,
                "metadata": self._versions(),
            }

    # --- internals ------------------------------------------------------------------------

    def _init(self) -> None:
        from securesystemslib.signer import CryptoSigner
        from tuf.api.metadata import Metadata, Root, Targets

        for folder in (self.keys_dir, self.metadata_dir, self.targets_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.keys_dir, 0o700)
        root = Root(expires=self._expiry("root"), consistent_snapshot=True)
        for role in ROLES:
            signer = CryptoSigner.generate_ed25519()
            self._write_private(self.keys_dir / f"{role}.pem", signer.private_bytes)
            root.add_key(signer.public_key, role)
        self._write(Metadata(root), "root", self._signer("root"))
        targets = Metadata(Targets(expires=self._expiry("targets")))
        self._put_index(targets, {"latest": None, "releases": []})
        self._write(targets, "targets", self._signer("targets"))
        self._chain_from("snapshot")

    def _expiry(self, role: str) -> dt.datetime:
        return (self.clock() + self.lifetimes[role]).replace(microsecond=0)

    def _signer(self, role: str) -> Any:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        from securesystemslib.signer import CryptoSigner

        pem = (self.keys_dir / f"{role}.pem").read_bytes()
        return CryptoSigner(load_pem_private_key(pem, None))

    def _load(self, role: str) -> Any:
        from tuf.api.metadata import Metadata

        return Metadata.from_file(str(self.metadata_dir / f"{role}.json"))

    def _versions(self) -> dict[str, int]:
        return {role: self._load(role).signed.version for role in ROLES}

    def _resign(
        self,
        role: str,
        md: Any,
        *,
        signers: list[Any] | None = None,
        extra_signers: list[Any] | None = None,
    ) -> None:
        md.signed.version += 1
        md.signed.expires = self._expiry(role)
        md.signatures.clear()
        for signer in [*(signers or [self._signer(role)]), *(extra_signers or [])]:
            md.sign(signer, append=True)
        self._write(md, role, None)

    def _chain_from(self, role: str) -> None:
        """Re-signs snapshot (naming the current targets) and/or timestamp (naming the
        snapshot): every change below them makes both new."""
        from tuf.api.metadata import Metadata, MetaFile, Snapshot, Timestamp

        if role == "snapshot":
            targets_bytes = (self.metadata_dir / "targets.json").read_bytes()
            version = self._load("targets").signed.version
            meta = MetaFile.from_data(version, targets_bytes, ["sha256"])
            if (self.metadata_dir / "snapshot.json").is_file():
                snapshot = self._load("snapshot")
                snapshot.signed.meta["targets.json"] = meta
                self._resign("snapshot", snapshot)
            else:
                snapshot = Metadata(
                    Snapshot(expires=self._expiry("snapshot"), meta={"targets.json": meta})
                )
                self._write(snapshot, "snapshot", self._signer("snapshot"))
        snapshot_bytes = (self.metadata_dir / "snapshot.json").read_bytes()
        snap_version = self._load("snapshot").signed.version
        meta = MetaFile.from_data(snap_version, snapshot_bytes, ["sha256"])
        if (self.metadata_dir / "timestamp.json").is_file():
            timestamp = self._load("timestamp")
            timestamp.signed.snapshot_meta = meta
            self._resign("timestamp", timestamp)
        else:
            timestamp = Metadata(Timestamp(expires=self._expiry("timestamp"), snapshot_meta=meta))
            self._write(timestamp, "timestamp", self._signer("timestamp"))

    def _write(self, md: Any, role: str, signer: Any | None) -> None:
        from tuf.api.serialization.json import JSONSerializer

        if signer is not None:
            md.signatures.clear()
            md.sign(signer)
        data = md.to_bytes(JSONSerializer(compact=False))
        if role != "timestamp":
            # Versioned copies first: clients fetch N.<role>.json by the version the newer
            # metadata names, so they must exist before anything points at them.
            self._atomic_write(self.metadata_dir / f"{md.signed.version}.{role}.json", data)
        self._atomic_write(self.metadata_dir / f"{role}.json", data)

    def _put_index(self, targets_md: Any, index: dict[str, Any]) -> None:
        from tuf.api.metadata import TargetFile

        data = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True).encode()
        info = TargetFile.from_data(INDEX_TARGET, data, ["sha256"])
        with tempfile.NamedTemporaryFile(dir=self.path, delete=False) as tmp:
            tmp.write(data)
        try:
            self._store_target(info, Path(tmp.name))
        finally:
            Path(tmp.name).unlink(missing_ok=True)
        targets_md.signed.targets[INDEX_TARGET] = info

    def _stored_path(self, info: Any) -> Path:
        directory, _, name = info.path.rpartition("/")
        folder = self.targets_dir / directory if directory else self.targets_dir
        return folder / f"{info.hashes['sha256']}.{name}"

    def _stored_target(self, info: Any) -> Path:
        path = self._stored_path(info)
        if not path.is_file():
            raise MetadataNotFound(
                "发布仓库缺少文件 {name}", "The release repository lacks {name}", name=info.path
            )
        return path

    def _store_target(self, info: Any, source: Path) -> None:
        path = self._stored_path(info)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            return  # content-addressed: the same bytes are already there
        tmp = path.with_name(f".{path.name}.tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, path)

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    @staticmethod
    def _write_private(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(path, 0o600)


def refresh_on_start(settings: Any) -> None:
    """Bootstrap step: a server that was down for a day comes back with fresh signatures."""
    repo = ReleaseRepository.in_data(settings.data)
    if repo.exists():
        repo.refresh()
