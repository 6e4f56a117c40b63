"""The client updater: verified downloads with python-tuf's ngclient, repair, atomic swap.

State in ``PATENTDESK_HOME/updater``::

    trusted-root.json     the root metadata shipped with the client: the trust anchor,
                          installed once with ``patentdesk update --install-root FILE``
    metadata/             ngclient's cache of verified metadata (root rotation history)
    pending/              the download in progress and its ``update-info.json``:
                          {"version", "kind": "patch"|"full", "target", "file", "length",
                           "sha256", "base_version", "result_sha256", "result_length",
                           "downloaded_at"}

Every file is checked against signed metadata when it is downloaded and again right
before it is used: antivirus software may truncate or quarantine a file in between
(seed B1). A patch that fails is discarded and fetched once more; if it still fails, or
the patched result differs from the full build's hash, the full package is fetched. The
installed client changes only by the atomic switch in :mod:`patentdesk.updates.install`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from patentdesk.timeutil import iso, now
from patentdesk.updates import errors
from patentdesk.updates.install import Installation, atomic_json
from patentdesk.updates.package import CUSTOM_KEY, INDEX_TARGET, parse_version, sha256_file

ATTEMPTS_PER_TARGET = 2  # the first download, then one fetch again
SELF_CHECK_SECONDS = 60


@contextlib.contextmanager
def _single_instance(lock_path: Path) -> Iterator[None]:
    """ngclient and the install folder tolerate one updater at a time per state folder."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+b") as fh:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows clients only
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _translate(exc: Exception, server: str) -> errors.PatentDeskError:
    """Turns python-tuf's exceptions into the updater's typed errors."""
    from tuf.api import exceptions as tuf_exc

    from patentdesk.cli.client import Unreachable

    reason = str(exc) or type(exc).__name__
    if isinstance(exc, tuf_exc.ExpiredMetadataError):
        return errors.MetadataExpired(reason=reason)
    if isinstance(exc, tuf_exc.BadVersionNumberError):
        return errors.MetadataRollback(reason=reason)
    if isinstance(exc, tuf_exc.RepositoryError):
        return errors.MetadataRefused(reason=f"{type(exc).__name__}: {reason}")
    if isinstance(exc, tuf_exc.DownloadLengthMismatchError):
        return errors.DownloadTooLarge(reason=reason)
    if isinstance(exc, tuf_exc.DownloadHTTPError) and exc.status_code == 404:
        return errors.NotPublished(url=server)
    if isinstance(exc, tuf_exc.DownloadError):
        cause = exc.__cause__
        return Unreachable(url=server, reason=type(cause or exc).__name__)
    if isinstance(exc, OSError):
        return errors.UpdateError(
            "无法写入更新目录：{reason}",
            "Cannot write the updater's folder: {reason}",
            reason=exc.strerror or reason,
        )
    raise exc


class ClientUpdater:
    """Checks, downloads, verifies and installs client releases from one server."""

    def __init__(
        self, home: Path, server: str, *, no_proxy: bool = False, fetcher: Any | None = None
    ) -> None:
        self.home = home
        self.server = server.rstrip("/")
        self.no_proxy = no_proxy
        self._fetcher = fetcher
        self.dir = home / "updater"
        self.metadata_dir = self.dir / "metadata"
        self.pending_dir = self.dir / "pending"
        self.trusted_root = self.dir / "trusted-root.json"
        self.info_file = self.pending_dir / "update-info.json"
        self.installation = Installation(home)
        self.events: list[dict[str, Any]] = []

    # --- trust anchor -------------------------------------------------------------------

    def install_root(self, source: Path) -> dict[str, Any]:
        """Installs the root metadata shipped with the client as the trust anchor.

        The file must be root metadata signed by a threshold of its own root keys. A new
        anchor starts a new chain of trust, so cached metadata is discarded.
        """
        from tuf.api.metadata import Metadata, Root

        try:
            data = source.read_bytes()
        except OSError as exc:
            raise errors.RootInvalid(path=str(source), reason=exc.strerror or str(exc)) from exc
        try:
            md = Metadata[Root].from_bytes(data)
            if not isinstance(md.signed, Root):
                raise ValueError(f"this is {md.signed.type} metadata, not root")
            md.signed.verify_delegate(Root.type, md.signed_bytes, md.signatures)
        except Exception as exc:  # any parse or signature failure means "not a root"
            raise errors.RootInvalid(
                path=str(source), reason=str(exc) or type(exc).__name__
            ) from exc
        with _single_instance(self.dir / ".lock"):
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = self.trusted_root.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, self.trusted_root)
            shutil.rmtree(self.metadata_dir, ignore_errors=True)
        return {
            "root_version": md.signed.version,
            "expires": iso(md.signed.expires),
            "keyids": sorted(md.signed.roles[Root.type].keyids),
        }

    # --- public operations ----------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        with _single_instance(self.dir / ".lock"):
            tuf = self._refreshed()
            index = self._index(tuf)
        current = self.installation.current()
        latest = index.get("latest")
        return self._result(
            current,
            latest,
            applied=False,
            update_available=bool(latest and (not current or _newer(latest, current))),
            damaged=self.installation.verify() if current else [],
        )

    def update(self, *, download_only: bool = False) -> dict[str, Any]:
        """Brings the installed client to the newest version, or repairs it in place."""
        with _single_instance(self.dir / ".lock"):
            current = self.installation.current()
            damaged = self.installation.verify() if current else []
            tuf = self._refreshed()
            index = self._index(tuf)
            latest = index.get("latest")
            if latest is None:
                return self._result(current, None, applied=False)
            if current and _newer(current, latest):
                raise errors.DowngradeRefused(available=latest, current=current)
            if current == latest and not damaged:
                self._clear_pending()
                return self._result(current, latest, applied=False)
            entry = next(r for r in index["releases"] if r["version"] == latest)
            full_info = self._targetinfo(tuf, entry["full"])
            package, method = self._obtain(tuf, entry, full_info, current, download_only)
            if download_only:
                return self._result(
                    current, latest, applied=False, downloaded=method, pending=str(package)
                )
            try:
                dir_name = self.installation.install(
                    latest, package, sha256=full_info.hashes["sha256"], length=full_info.length
                )
                self_check = self._self_check(latest, dir_name, current)
                self.installation.switch(latest, dir_name)
            except OSError as exc:
                raise errors.UpdateError(
                    "安装版本 {version} 失败：{reason}；当前版本保持不变",
                    "Installing version {version} failed: {reason}; the installed version "
                    "is unchanged",
                    version=latest,
                    reason=exc.strerror or str(exc),
                ) from exc
            self._clear_pending()
            return self._result(
                latest,
                latest,
                applied=True,
                method=method,
                previous=self.installation.previous(),
                repaired=current == latest,
                self_check=self_check,
            )

    def _self_check(self, version: str, dir_name: str, current: str | None) -> str:
        """Runs the new version's ``patentdesk version`` before switching to it.

        A client build that does not start, or reports another version, is removed and the
        pointer keeps naming the running version (the rollback happens before the switch,
        so no command ever runs the broken build). Packages that are not client builds
        (no ``patentdesk`` package inside) cannot be started and are not checked.
        """
        from patentdesk.launcher import ENTRY_FILE

        folder = self.installation.versions_dir / dir_name
        if not (folder / ENTRY_FILE).is_file():
            return "not_a_client_build"
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from patentdesk.cli.main import main; main(['version', '--json'])"
        )
        env = {**os.environ, "PATENTDESK_LAUNCHER": "builtin"}
        reason = ""
        try:
            proc = subprocess.run(
                [sys.executable, "-c", script, str(folder)],
                capture_output=True,
                text=True,
                timeout=SELF_CHECK_SECONDS,
                env=env,
                cwd=str(folder),
            )
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                reason = f"exit status {proc.returncode}: {tail[:300]}"
            else:
                report = json.loads(proc.stdout.strip().splitlines()[-1])
                started = Path(report["folder"]).resolve()
                if report.get("version") != version:
                    reason = f"it reports version {report.get('version')}"
                elif started != folder.resolve():
                    reason = f"it started from {started}"
        except subprocess.TimeoutExpired:
            reason = f"no answer within {SELF_CHECK_SECONDS} s"
        except (ValueError, KeyError, IndexError) as exc:
            reason = f"unreadable answer ({type(exc).__name__})"
        if not reason:
            return "passed"
        self.installation.discard(dir_name)
        self._event(version, "self_check_failed", "rollback", detail=reason)
        raise errors.SelfCheckFailed(version=version, reason=reason, current=current or "-")

    def rollback(self) -> dict[str, Any]:
        with _single_instance(self.dir / ".lock"):
            was, now_current = self.installation.rollback()
        return self._result(
            now_current, None, applied=True, method="rollback", previous=was, rolled_back_from=was
        )

    # --- TUF ------------------------------------------------------------------------------

    def _refreshed(self) -> Any:
        from tuf.ngclient import Updater

        if not self.trusted_root.is_file():
            raise errors.RootMissing()
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        fetcher = self._fetcher
        if fetcher is None:
            from patentdesk.updates.fetcher import HttpxFetcher

            fetcher = HttpxFetcher(no_proxy=self.no_proxy)
        try:
            updater = Updater(
                metadata_dir=str(self.metadata_dir),
                metadata_base_url=f"{self.server}/updates/metadata/",
                target_dir=str(self.pending_dir),
                target_base_url=f"{self.server}/updates/targets/",
                fetcher=fetcher,
                bootstrap=self.trusted_root.read_bytes(),
            )
            updater.refresh()
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        return updater

    def _targetinfo(self, tuf: Any, path: str) -> Any:
        try:
            info = tuf.get_targetinfo(path)
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        if info is None:
            raise errors.MetadataRefused(reason=f"target {path} is not in the signed metadata")
        return info

    def _index(self, tuf: Any) -> dict[str, Any]:
        """The signed release index (``releases.json``), verified like any target."""
        info = self._targetinfo(tuf, INDEX_TARGET)
        path = self.dir / "releases.json"
        try:
            if tuf.find_cached_target(info, str(path)) is None:
                tuf.download_target(info, filepath=str(path))
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        index: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return index

    # --- obtaining a verified package -----------------------------------------------------

    def _obtain(
        self,
        tuf: Any,
        entry: dict[str, Any],
        full_info: Any,
        current: str | None,
        download_only: bool,
    ) -> tuple[Path, str]:
        """A verified full package of ``entry``'s version: patched if possible, else full."""
        patch_path = entry.get("patches", {}).get(current) if current else None
        if patch_path:
            patch_info = self._targetinfo(tuf, patch_path)
            base = self._verified_base(current or "", patch_info)
            if base is not None:
                for _attempt in range(ATTEMPTS_PER_TARGET):
                    patch = self._fetch(tuf, patch_info, entry["version"])
                    if patch is None:
                        continue
                    if download_only:
                        return patch, "patch"
                    # Verified again just before use: it may have changed since download.
                    if not self._still_valid(patch, patch_info):
                        continue
                    result = self._apply_patch(base, patch, full_info)
                    if result is not None:
                        return result, "patch"
                    break  # a verified patch giving a wrong result will not improve
        for _attempt in range(ATTEMPTS_PER_TARGET):
            package = self._fetch(tuf, full_info, entry["version"])
            if package is None:
                continue
            if download_only or self._still_valid(package, full_info):
                return package, "full"
        raise errors.TargetUnverifiable(version=entry["version"])

    def _verified_base(self, current: str, patch_info: Any) -> Path | None:
        custom = (patch_info.custom or {}).get(CUSTOM_KEY, {})
        base = self.installation.package_path(current)
        if not base.is_file():
            self._event(patch_info.path, "base_missing", "fallback_full")
            return None
        digest, length = sha256_file(base)
        if (digest, length) != (custom.get("base_sha256"), custom.get("base_length")):
            self._event(patch_info.path, "base_changed", "fallback_full")
            return None
        return base

    def _fetch(self, tuf: Any, info: Any, version: str) -> Path | None:
        """The target in pending/, verified against the metadata; None after a failure.

        A file already in pending/ (from ``--download-only`` or an interrupted run) is used
        only if it still matches; otherwise it is discarded and downloaded again.
        """
        from tuf.api import exceptions as tuf_exc

        name = info.path.rsplit("/", 1)[-1]
        path = self.pending_dir / name
        recorded = self._pending_info()
        if recorded.get("target") == info.path and path.is_file():
            if self._still_valid(path, info):
                return path
            # _still_valid recorded the problem and discarded the file.
        else:
            self._clear_pending()
        try:
            tuf.download_target(info, filepath=str(path))
        except (tuf_exc.DownloadError, tuf_exc.RepositoryError) as exc:
            problem = {
                tuf_exc.DownloadLengthMismatchError: "too_long",
                tuf_exc.LengthOrHashMismatchError: "length_or_hash_mismatch",
                tuf_exc.DownloadHTTPError: "http_error",
            }.get(type(exc), type(exc).__name__)
            self._event(info.path, problem, "discard", detail=str(exc))
            path.unlink(missing_ok=True)
            return None
        custom = (info.custom or {}).get(CUSTOM_KEY, {})
        atomic_json(
            self.info_file,
            {
                "version": version,
                "kind": custom.get("kind", "full"),
                "target": info.path,
                "file": name,
                "length": info.length,
                "sha256": info.hashes.get("sha256"),
                "base_version": custom.get("base_version"),
                "result_sha256": custom.get("result_sha256"),
                "result_length": custom.get("result_length"),
                "downloaded_at": iso(now()),
            },
        )
        return path

    def _still_valid(self, path: Path, info: Any) -> bool:
        from tuf.api import exceptions as tuf_exc

        try:
            with path.open("rb") as fh:
                info.verify_length_and_hashes(fh)
            return True
        except OSError:
            problem = "missing"
        except tuf_exc.LengthOrHashMismatchError:
            problem = "changed_after_download"
        self._event(info.path, problem, "discard")
        path.unlink(missing_ok=True)
        self.info_file.unlink(missing_ok=True)
        return False

    def _apply_patch(self, base: Path, patch: Path, full_info: Any) -> Path | None:
        import bsdiff4

        out = self.pending_dir / full_info.path.rsplit("/", 1)[-1]
        tmp = out.with_name(f".{out.name}.tmp")
        try:
            bsdiff4.file_patch(str(base), str(tmp), str(patch))
        except Exception as exc:  # bsdiff4 raises ValueError/RuntimeError on bad input
            self._event(patch.name, "patch_failed", "fallback_full", detail=str(exc))
            tmp.unlink(missing_ok=True)
            return None
        digest, length = sha256_file(tmp)
        if (digest, length) != (full_info.hashes["sha256"], full_info.length):
            # The patched build must be the full build, byte for byte.
            self._event(patch.name, "result_mismatch", "fallback_full")
            tmp.unlink(missing_ok=True)
            return None
        os.replace(tmp, out)
        return out

    # --- small helpers --------------------------------------------------------------------

    def _pending_info(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.info_file.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data

    def _clear_pending(self) -> None:
        if self.pending_dir.is_dir():
            for child in self.pending_dir.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)

    def _event(self, target: str, problem: str, action: str, detail: str | None = None) -> None:
        event = {"target": target, "problem": problem, "action": action}
        if detail:
            event["detail"] = detail
        self.events.append(event)

    def _result(self, current: str | None, available: str | None, **extra: Any) -> dict[str, Any]:
        return {"current": current, "available": available, **extra, "events": self.events}


def _newer(a: str, b: str) -> bool:
    return parse_version(a) > parse_version(b)
