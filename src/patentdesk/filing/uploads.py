"""Resumable uploads of case packages.

A large package goes up in chunks: the client creates an upload (declaring size and
SHA-256), sends chunks at the offset the server reports, and after a broken connection
asks for the offset and continues. Parts live on disk under ``<data>/uploads`` (not in the
database, so a slow upload holds no database lock); the finished file is verified against
the declared hash and moved into the blob store.

Each permission domain may hold at most ``upload_quota_bytes`` in unfinished uploads (their
declared sizes, reserved when they start), so that one domain cannot fill the disk with
uploads it never finishes. A submission the office's checks refuse takes its package out of
the blob store again (:func:`discard_unfiled`): only filed packages stay.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from patentdesk.blobs import CHUNK, BlobStore, TooLarge
from patentdesk.db import Database
from patentdesk.errors import Conflict, NotFound, PatentDeskError, ValidationFailed
from patentdesk.filing.models import Submission

log = logging.getLogger(__name__)
_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadOffsetMismatch(Conflict):
    code = "UPLOAD_OFFSET_MISMATCH"
    message_zh = "上传位置不符：服务器已有 {offset} 字节"
    message_en = "Upload offset mismatch: the server has {offset} bytes"


class UploadIncomplete(ValidationFailed):
    code = "UPLOAD_INCOMPLETE"
    message_zh = "上传未完成或内容与声明的哈希不符"
    message_en = "The upload is incomplete or does not match its declared SHA-256"


class UploadQuotaExceeded(PatentDeskError):
    """507 (RFC 4918): the server cannot store this for the domain, though it could store
    it for another; the code tells it apart from a full disk (STORAGE_FULL)."""

    code = "UPLOAD_QUOTA_EXCEEDED"
    status = 507
    message_zh = (
        "本权限范围内未完成的上传已达配额（{quota_mib} MiB，已占用 {in_use_mib} MiB）："
        "请先完成或放弃未完成的上传后再试"
    )
    message_en = (
        "Your permission domain's unfinished uploads have reached the quota ({quota_mib} MiB, "
        "{in_use_mib} MiB in use): finish or abandon them, then try again"
    )

    @classmethod
    def of(cls, quota: int, in_use: int, requested: int) -> UploadQuotaExceeded:
        return cls(
            quota_mib=_mib(quota),
            in_use_mib=_mib(in_use),
            details={"quota": quota, "in_use": in_use, "requested": requested},
        )


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".removesuffix(".0")


@dataclass
class Upload:
    id: str
    user_id: str
    size: int
    sha256: str
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "upload_id": self.id,
            "size": self.size,
            "sha256": self.sha256,
            "offset": self.offset,
            "complete": self.offset == self.size,
        }


class Uploads:
    def __init__(self, data_dir: Path, max_bytes: int, quota: int | None = None) -> None:
        self.root = data_dir / "uploads"
        self.max_bytes = max_bytes
        self.quota = quota

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialises quota checks with the uploads they admit, across server workers."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def in_use(self, domain_id: uuid.UUID) -> int:
        """Bytes the domain's unfinished uploads have reserved (their declared sizes)."""
        if not self.root.is_dir():
            return 0
        total = 0
        for meta in self.root.glob("*.json"):
            try:
                data = json.loads(meta.read_text())
            except (OSError, ValueError):  # finished or purged meanwhile
                continue
            if data.get("domain_id") == str(domain_id):
                total += int(data.get("size", 0))
        return total

    def check_quota(self, domain_id: uuid.UUID | None, size: int) -> int:
        """Refuses ``size`` more bytes for the domain past its quota; returns the bytes it
        may still bring."""
        if self.quota is None or domain_id is None:
            return self.max_bytes
        used = self.in_use(domain_id)
        if used + size > self.quota:
            raise UploadQuotaExceeded.of(self.quota, used, size)
        return self.quota - used

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        if not _ID.fullmatch(upload_id):
            raise NotFound(details={"upload_id": upload_id[:80]})
        return self.root / f"{upload_id}.json", self.root / f"{upload_id}.part"

    def create(
        self, user_id: uuid.UUID, size: int, sha256: str, domain_id: uuid.UUID | None = None
    ) -> Upload:
        if not (0 < size <= self.max_bytes):
            raise TooLarge(limit=self.max_bytes)
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValidationFailed(
                "sha256 应为 64 位十六进制",
                "sha256 must be 64 hex digits",
                details={"field": "sha256"},
            )
        upload = Upload(secrets.token_urlsafe(24), str(user_id), size, sha256, 0)
        meta, part = self._paths(upload.id)
        record = {"user_id": upload.user_id, "size": size, "sha256": sha256}
        with self._locked():
            if domain_id is not None:
                self.check_quota(domain_id, size)
                record["domain_id"] = str(domain_id)
            part.touch()
            meta.write_text(json.dumps(record))
        return upload

    def get(self, user_id: uuid.UUID, upload_id: str) -> Upload:
        meta, part = self._paths(upload_id)
        try:
            data = json.loads(meta.read_text())
        except (OSError, ValueError) as exc:
            raise NotFound(details={"upload_id": upload_id}) from exc
        if data["user_id"] != str(user_id):  # another user's upload does not exist for you
            raise NotFound(details={"upload_id": upload_id})
        return Upload(upload_id, data["user_id"], data["size"], data["sha256"], part.stat().st_size)

    def append(self, user_id: uuid.UUID, upload_id: str, offset: int, chunk: bytes) -> Upload:
        upload = self.get(user_id, upload_id)
        if offset != upload.offset:
            raise UploadOffsetMismatch(offset=upload.offset, details={"offset": upload.offset})
        if upload.offset + len(chunk) > upload.size:
            raise TooLarge(limit=upload.size)
        _meta, part = self._paths(upload_id)
        with part.open("ab") as fh:
            fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        upload.offset += len(chunk)
        return upload

    def finish(self, user_id: uuid.UUID, upload_id: str, blobs: BlobStore) -> tuple[str, int, bool]:
        """Verifies the whole file against its declared hash and stores it as a blob;
        returns (sha256, size, whether the blob store had it already)."""
        upload = self.get(user_id, upload_id)
        meta, part = self._paths(upload_id)
        digest = hashlib.sha256()
        with part.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        if upload.offset != upload.size or digest.hexdigest() != upload.sha256:
            raise UploadIncomplete(details=upload.to_dict())
        existed = blobs.exists(upload.sha256)
        with part.open("rb") as fh:
            sha, size = blobs.put_file(fh)
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        return sha, size, existed

    def take(self, user_id: uuid.UUID, upload_id: str, target: Path) -> int:
        """Verifies a finished upload like :meth:`finish` and moves the file to ``target``
        (e.g. an attachment on its way into a draft) instead of the blob store."""
        upload = self.get(user_id, upload_id)
        meta, part = self._paths(upload_id)
        digest = hashlib.sha256()
        with part.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        if upload.offset != upload.size or digest.hexdigest() != upload.sha256:
            raise UploadIncomplete(details=upload.to_dict())
        os.replace(part, target)
        meta.unlink(missing_ok=True)
        return upload.size

    def purge_stale(self, cutoff: float) -> int:
        """Deletes uploads nobody has added to since ``cutoff`` (a POSIX time): packages
        abandoned half-way. Returns how many went."""
        if not self.root.is_dir():
            return 0
        purged = 0
        for meta in self.root.glob("*.json"):
            part = meta.with_suffix(".part")
            try:
                latest = max(p.stat().st_mtime for p in (meta, part) if p.exists())
            except (OSError, ValueError):  # gone meanwhile: finished or purged by another run
                continue
            if latest < cutoff:
                part.unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                purged += 1
        return purged


def discard_unfiled(db: Database, blobs: BlobStore, sha256: str) -> bool:
    """Removes a package a refused submission brought, unless a submission files it: only
    what the request itself added (the caller checks the blob was new), so a body equal to a
    stored receipt, notice or another domain's filing never removes it. Returns whether it
    went."""
    with db.unit_of_work() as s:
        filed = s.scalar(select(Submission.id).where(Submission.package_sha256 == sha256).limit(1))
    if filed is not None:
        return False
    try:
        return blobs.remove(sha256)
    except OSError:  # a read-only store: the refusal, not this, is the answer
        log.warning("refused package %s not removed from the blob store", sha256, exc_info=True)
        return False
