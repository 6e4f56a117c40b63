"""Backup and restore of a server's data folder (``patentdesk admin backup|restore``).

A backup is a tar archive: ``manifest.json`` (format, environment, version, database kind,
and the SHA-256 and size of every file) and ``data/…``, the data folder: the SQLite
database as a consistent snapshot taken with SQLite's online backup API (the server may
keep running), the blob store, drafts, and the keys of the CA, the office, the release
repository and the simulated bank. Upload parts in progress are left out. The archive holds
private keys: it is written 0600 and must be kept like them.

The database is copied before the blobs on purpose: blobs are content-addressed and never
change, so every blob the snapshot refers to already exists when the blobs are read.

PostgreSQL is backed up with its own tools (``pg_dump``); the archive then holds the
folder only and says so.

Restore unpacks into a new folder beside the target, checks every file against the
manifest (a file not listed, a hash or size that differs, a path leaving the folder: the
archive is refused and nothing is touched), then moves it into place. An existing,
non-empty data folder is only replaced with ``force``, and is then kept aside, renamed,
never deleted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from patentdesk import __version__
from patentdesk.config import Settings
from patentdesk.db import SQLITE_SIDE_SUFFIXES, sqlite_path
from patentdesk.errors import Conflict, ValidationFailed
from patentdesk.timeutil import iso, now

FORMAT = "patentdesk-backup/1"
# Parts of uploads in progress (the client sends them again) and the working copies of a
# cluster's drafts (a cache of what the database and the object store hold).
_SKIP_DIRS = {"uploads", "drafts-cache"}
_CHUNK = 1024 * 1024

Progress = Callable[[int], None]


class BackupInvalid(ValidationFailed):
    code = "BACKUP_INVALID"
    message_zh = "备份文件无效：{problem}"
    message_en = "Invalid backup archive: {problem}"


class DataFolderNotEmpty(Conflict):
    code = "DATA_FOLDER_NOT_EMPTY"
    message_zh = "数据目录 {path} 不为空；确认要替换时加 --force（原目录会改名保留）"
    message_en = (
        "The data folder {path} is not empty; add --force to replace it (it is kept, renamed)"
    )


@dataclass
class _Entry:
    path: Path
    name: str  # inside data/, POSIX


def _snapshot(db_file: Path, into: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included)."""
    source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    target = sqlite3.connect(into)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _files(data: Path, skip: set[Path]) -> Iterator[_Entry]:
    for root, dirs, files in os.walk(data):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not (here == data and d in _SKIP_DIRS))
        for name in sorted(files):
            path = here / name
            if path in skip or path.is_symlink():
                continue
            yield _Entry(path, path.relative_to(data).as_posix())


class _HashingReader:
    """What tarfile reads from: the file, hashed and counted on the way into the archive."""

    def __init__(self, fh: Any, progress: Progress | None) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = bytes(self.fh.read(size))
        self.digest.update(chunk)
        if self.progress is not None:
            self.progress(len(chunk))
        return chunk


def _add(
    tar: tarfile.TarFile, path: Path, name: str, progress: Progress | None
) -> dict[str, Any] | None:
    """Adds one file; None when it went away meanwhile (a draft deleted during the backup)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return None
    with fh:
        info = tar.gettarinfo(arcname=f"data/{name}", fileobj=fh)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(fh, progress)
        tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "size": info.size}


def create_backup(
    settings: Settings, out: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Writes the archive to ``out`` (atomically: a partial archive never has its name)."""
    data = settings.data.resolve()
    out = out.resolve()
    if out.is_relative_to(data):
        raise ValidationFailed(
            "备份文件不能放在数据目录内",
            "The backup cannot be written inside the data folder it backs up",
            details={"field": "out"},
        )
    db_file = sqlite_path(settings.sqlalchemy_url)
    skip: set[Path] = set()
    if db_file is not None:
        db_at = db_file.resolve()
        skip |= {db_at, *(Path(f"{db_at}{suffix}") for suffix in SQLITE_SIDE_SUFFIXES)}
    inside = db_file is not None and db_file.resolve().is_relative_to(data)
    files: dict[str, Any] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=out.parent)
    os.fchmod(fd, 0o600)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            if db_file is not None:
                with tempfile.TemporaryDirectory() as scratch:
                    copy = Path(scratch) / "patentdesk.db"
                    _snapshot(db_file, copy)
                    name = db_file.relative_to(data).as_posix() if inside else "patentdesk.db"
                    files[name] = _add(tar, copy, name, progress)
            for entry in _files(data, skip):
                if entry.name not in files and (
                    added := _add(tar, entry.path, entry.name, progress)
                ):
                    files[entry.name] = added
            manifest = {
                "format": FORMAT,
                "created_at": iso(now()),
                "environment": settings.environment,
                "version": __version__,
                "database": "sqlite" if db_file is not None else "postgresql",
                "files": files,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(body))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {
        "path": str(out),
        "files": len(files),
        "bytes": sum(f["size"] for f in files.values()),
        "database": manifest["database"],
        "environment": settings.environment,
    }


def _member_name(member: tarfile.TarInfo) -> str:
    name = member.name
    parts = PurePosixPath(name).parts
    if (
        name.startswith("/")
        or ".." in parts
        or not (member.isfile() or member.isdir())
        or (parts and parts[0] not in ("data", "manifest.json"))
    ):
        raise BackupInvalid(problem=f"不允许的条目 / entry not allowed: {name[:200]}")
    return name


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember("manifest.json")
        fh = tar.extractfile(member)
        manifest = json.loads(fh.read() if fh else b"")
    except (KeyError, ValueError) as exc:
        raise BackupInvalid(problem="缺少 manifest.json / no manifest.json") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupInvalid(problem=f"格式不是 / format is not {FORMAT}")
    if not isinstance(manifest.get("files"), dict):
        raise BackupInvalid(problem="manifest.json 没有文件清单 / lists no files")
    return manifest


def _unpack(tar: tarfile.TarFile, manifest: dict[str, Any], into: Path) -> int:
    expected: dict[str, Any] = manifest["files"]
    seen: set[str] = set()
    for member in tar:
        name = _member_name(member)
        if name == "manifest.json" or member.isdir():
            continue
        rel = name.removeprefix("data/")
        entry = expected.get(rel)
        if entry is None or rel in seen:
            raise BackupInvalid(problem=f"清单外或重复的文件 / unlisted or repeated file: {rel}")
        seen.add(rel)
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = 0
        source = tar.extractfile(member)
        assert source is not None
        with target.open("wb") as fh:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
        os.chmod(target, member.mode & 0o700 or 0o600)
        if digest.hexdigest() != entry.get("sha256") or size != entry.get("size"):
            raise BackupInvalid(problem=f"文件内容与清单不符 / content differs: {rel}")
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupInvalid(problem=f"缺少文件 / files missing: {', '.join(missing[:5])}")
    return len(seen)


def restore_backup(archive: Path, data: Path, *, force: bool = False) -> dict[str, Any]:
    data = data.resolve()
    if data.exists() and any(data.iterdir()) and not force:
        raise DataFolderNotEmpty(path=str(data), details={"path": str(data)})
    data.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data.name}.restore-", dir=data.parent))
    os.chmod(staging, 0o700)
    try:
        try:
            with tarfile.open(archive, mode="r:*") as tar:
                manifest = _read_manifest(tar)
                count = _unpack(tar, manifest, staging)
        except (tarfile.TarError, OSError, EOFError) as exc:
            if isinstance(exc, FileNotFoundError) and not archive.exists():
                raise BackupInvalid(problem=f"找不到文件 / no such file: {archive}") from exc
            raise BackupInvalid(problem=f"无法读取 / unreadable: {exc}") from exc
        kept_aside = None
        if data.exists():
            if any(data.iterdir()):
                kept_aside = data.with_name(f"{data.name}.before-restore-{now():%Y%m%d%H%M%S}")
                data.rename(kept_aside)
            else:
                data.rmdir()
        staging.rename(data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result = {
        "data": str(data),
        "files": count,
        "environment": manifest.get("environment"),
        "database": manifest.get("database"),
        "created_at": manifest.get("created_at"),
        "previous_data_kept_at": str(kept_aside) if kept_aside else None,
    }
    return result
