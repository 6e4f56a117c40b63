"""The installed client: a file tree per version under ``PATENTDESK_HOME/app``.

::

    app/current.json              {"version", "dir", "previous": {"version", "dir"} | null}
    app/versions/<dir>/…          the files of one installed version (``<dir>`` is the
                                  version, or ``<version>~N`` when reinstalled in repair)
    app/manifests/<dir>.json      install manifest: {"version", "package_sha256",
                                  "package_length", "installed_at", "files":
                                  {path: {"sha256", "length"}}}
    app/packages/<version>.zip    the verified full package: the base for the next patch

A new version is unpacked into a staging folder, checked against the package, and only
then named by ``current.json``, which is replaced atomically: whatever happens during an
update, the pointer names a complete, checked version. The previous version stays for
``patentdesk update --rollback``; older ones are removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

from patentdesk.timeutil import iso, now
from patentdesk.updates.errors import InstallDamaged, NoPrevious
from patentdesk.updates.package import package_files, safe_member_name, sha256_file


def atomic_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Installation:
    """The versions of the client installed in one state folder."""

    def __init__(self, home: Path) -> None:
        self.app_dir = home / "app"
        self.versions_dir = self.app_dir / "versions"
        self.manifests_dir = self.app_dir / "manifests"
        self.packages_dir = self.app_dir / "packages"
        self.state_file = self.app_dir / "current.json"

    # --- state --------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return {"version": None, "dir": None, "previous": None}
        if not isinstance(data, dict) or not isinstance(data.get("version"), str):
            return {"version": None, "dir": None, "previous": None}
        return data

    def current(self) -> str | None:
        version: str | None = self.state().get("version")
        return version

    def previous(self) -> str | None:
        prev = self.state().get("previous")
        return prev.get("version") if isinstance(prev, dict) else None

    def current_dir(self) -> Path | None:
        name = self.state().get("dir")
        return self.versions_dir / name if name else None

    def manifest(self, dir_name: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(
                (self.manifests_dir / f"{dir_name}.json").read_text("utf-8")
            )
        except (OSError, ValueError):
            return None
        return data

    def package_path(self, version: str) -> Path:
        return self.packages_dir / f"{version}.zip"

    # --- checks -------------------------------------------------------------------------

    def verify(self, dir_name: str | None = None) -> list[dict[str, str]]:
        """Files of an installed version that are missing or changed against its manifest.

        Antivirus software that quarantines a file shows up here as ``missing``; one that
        "cleans" it as ``changed`` (seed B4).
        """
        dir_name = dir_name or self.state().get("dir")
        if not dir_name:
            return []
        manifest = self.manifest(dir_name)
        if manifest is None:
            return [{"path": f"manifests/{dir_name}.json", "problem": "manifest_missing"}]
        root = self.versions_dir / dir_name
        problems = []
        for rel, expected in sorted(manifest.get("files", {}).items()):
            path = root / rel
            if not path.is_file():
                problems.append({"path": rel, "problem": "missing"})
                continue
            try:
                digest, length = sha256_file(path)
            except OSError:
                problems.append({"path": rel, "problem": "unreadable"})
                continue
            if length != expected.get("length") or digest != expected.get("sha256"):
                problems.append({"path": rel, "problem": "changed"})
        return problems

    # --- changes ------------------------------------------------------------------------

    def install(self, version: str, package: Path, *, sha256: str, length: int) -> str:
        """Unpacks a verified package into a new folder; returns the folder's name.

        Does not switch to it: :meth:`switch` does, atomically, once everything is in place.
        """
        files = package_files(package)
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        staging = self.versions_dir / f".staging-{version}-{uuid.uuid4().hex[:8]}"
        try:
            with zipfile.ZipFile(package) as archive:
                for info in archive.infolist():
                    name = safe_member_name(info.filename)
                    if info.is_dir() or name is None:
                        continue
                    target = staging / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            # What landed on disk is what the package holds (disk full, or a scanner
            # removing a file while we write, would otherwise go unnoticed).
            for rel, expected in files.items():
                digest, size = sha256_file(staging / rel)
                if (digest, size) != (expected["sha256"], expected["length"]):
                    raise InstallDamaged(version=version, files=rel)
            dir_name = self._free_dir_name(version)
            atomic_json(
                self.manifests_dir / f"{dir_name}.json",
                {
                    "version": version,
                    "package_sha256": sha256,
                    "package_length": length,
                    "installed_at": iso(now()),
                    "files": files,
                },
            )
            os.replace(staging, self.versions_dir / dir_name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.packages_dir.mkdir(parents=True, exist_ok=True)
        kept = self.package_path(version)
        tmp = kept.with_name(f".{kept.name}.tmp")
        shutil.copyfile(package, tmp)
        os.replace(tmp, kept)
        return dir_name

    def switch(self, version: str, dir_name: str) -> None:
        """Makes ``dir_name`` current in one atomic rename; the old current becomes previous."""
        state = self.state()
        previous = None
        if state.get("version") and state.get("version") != version:
            previous = {"version": state["version"], "dir": state["dir"]}
        elif state.get("version") == version:
            previous = state.get("previous")  # a repair keeps the rollback target
        atomic_json(
            self.state_file,
            {"version": version, "dir": dir_name, "previous": previous, "switched_at": iso(now())},
        )
        self._prune()

    def discard(self, dir_name: str) -> None:
        """Removes an installed folder that never became current (failed self-check)."""
        if dir_name in (self.state().get("dir"), (self.state().get("previous") or {}).get("dir")):
            return
        shutil.rmtree(self.versions_dir / dir_name, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.manifests_dir / f"{dir_name}.json").unlink()
        self._prune()

    def rollback(self) -> tuple[str, str]:
        """Switches back to the previous version; returns (from, to)."""
        state = self.state()
        prev = state.get("previous")
        if not isinstance(prev, dict) or not prev.get("dir"):
            raise NoPrevious()
        if not (self.versions_dir / prev["dir"]).is_dir():
            raise NoPrevious()
        damaged = self.verify(prev["dir"])
        if damaged:
            raise InstallDamaged(
                version=prev["version"], files=", ".join(p["path"] for p in damaged[:5])
            )
        atomic_json(
            self.state_file,
            {
                "version": prev["version"],
                "dir": prev["dir"],
                "previous": {"version": state["version"], "dir": state["dir"]},
                "switched_at": iso(now()),
            },
        )
        return state["version"], prev["version"]

    def _free_dir_name(self, version: str) -> str:
        name, n = version, 1
        while (self.versions_dir / name).exists() or (self.manifests_dir / f"{name}.json").exists():
            n += 1
            name = f"{version}~{n}"
        return name

    def _prune(self) -> None:
        """Removes versions other than current and previous (and leftover staging)."""
        state = self.state()
        keep_dirs = {state.get("dir")}
        keep_versions = {state.get("version")}
        if isinstance(state.get("previous"), dict):
            keep_dirs.add(state["previous"].get("dir"))
            keep_versions.add(state["previous"].get("version"))
        if not self.versions_dir.is_dir():
            return
        for child in self.versions_dir.iterdir():
            if child.name not in keep_dirs:
                shutil.rmtree(child, ignore_errors=True)
                with contextlib.suppress(OSError):
                    (self.manifests_dir / f"{child.name}.json").unlink()
        if self.packages_dir.is_dir():
            for pkg in self.packages_dir.glob("*.zip"):
                if pkg.stem not in keep_versions:
                    pkg.unlink(missing_ok=True)
