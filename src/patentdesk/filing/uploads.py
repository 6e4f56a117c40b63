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
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from patentdesk.blobs import CHUNK, BlobStore, TooLarge
from patentdesk.db import Database
from patentdesk.errors import Conflict, NotFound, PatentDeskError, ValidationFailed
from patentdesk.filing.models import Submission

if TYPE_CHECKING:
    from patentdesk.config import Settings

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

    def _new(self, user_id: uuid.UUID, size: int, sha256: str) -> Upload:
        """A new upload's record after the checks every store makes alike."""
        if not (0 < size <= self.max_bytes):
            raise TooLarge(limit=self.max_bytes)
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValidationFailed(
                "sha256 应为 64 位十六进制",
                "sha256 must be 64 hex digits",
                details={"field": "sha256"},
            )
        upload = Upload(secrets.token_urlsafe(24), str(user_id), size, sha256, 0)
        return upload

    def create(
        self, user_id: uuid.UUID, size: int, sha256: str, domain_id: uuid.UUID | None = None
    ) -> Upload:
        upload = self._new(user_id, size, sha256)
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


_PART = re.compile(r"^part-(\d{16})-(\d{16})-(\d{20})$")


class SharedUploads(Uploads):
    """Resumable uploads in the object store (``PATENTDESK_BLOBS``), so that a load balancer
    may send each chunk of one upload to another server. Each chunk is its own object
    ``uploads/<id>/part-<start>-<end>-<time>`` (S3 has no append); the upload's record is
    ``uploads/<id>/meta.json``. The offset is the end of the chunks that follow each other
    from 0; finishing streams them, in order, through the hash into the blob store.

    The quota is checked against every domain's records on each new upload, without a
    cluster-wide lock: two servers admitting uploads of one domain in the same instant may
    let it past its quota by one upload, never more."""

    def __init__(self, store: BlobStore, max_bytes: int, quota: int | None = None) -> None:
        super().__init__(Path("/nonexistent"), max_bytes, quota)
        self.store = store

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        yield

    def _prefix(self, upload_id: str) -> str:
        if not _ID.fullmatch(upload_id):
            raise NotFound(details={"upload_id": upload_id[:80]})
        return f"uploads/{upload_id}/"

    def _meta(self, upload_id: str) -> dict[str, Any] | None:
        raw = self.store.get_object(self._prefix(upload_id) + "meta.json")
        return None if raw is None else dict(json.loads(raw))

    def _parts(self, upload_id: str) -> list[tuple[int, int, int, str]]:
        """(start, end, written at, name) of the contiguous chunks from offset 0."""
        prefix = self._prefix(upload_id)
        found: dict[int, tuple[int, int, int, str]] = {}
        for name in self.store.list_objects(prefix):
            m = _PART.match(name[len(prefix) :])
            if m:
                start, end, at = (int(g) for g in m.groups())
                found.setdefault(start, (start, end, at, name))
        chain = []
        offset = 0
        while offset in found:
            part = found[offset]
            chain.append(part)
            if part[1] <= offset:
                break
            offset = part[1]
        return chain

    def in_use(self, domain_id: uuid.UUID) -> int:
        total = 0
        for name in self.store.list_objects("uploads/"):
            if not name.endswith("/meta.json"):
                continue
            raw = self.store.get_object(name)
            if raw is None:  # finished or purged meanwhile
                continue
            data = json.loads(raw)
            if data.get("domain_id") == str(domain_id):
                total += int(data.get("size", 0))
        return total

    def create(
        self, user_id: uuid.UUID, size: int, sha256: str, domain_id: uuid.UUID | None = None
    ) -> Upload:
        upload = self._new(user_id, size, sha256)
        record: dict[str, Any] = {
            "user_id": upload.user_id,
            "size": size,
            "sha256": sha256,
            "created": time.time_ns(),
        }
        if domain_id is not None:
            self.check_quota(domain_id, size)
            record["domain_id"] = str(domain_id)
        self.store.put_object(self._prefix(upload.id) + "meta.json", json.dumps(record).encode())
        return upload

    def get(self, user_id: uuid.UUID, upload_id: str) -> Upload:
        data = self._meta(upload_id)
        if data is None or data["user_id"] != str(user_id):
            raise NotFound(details={"upload_id": upload_id})
        parts = self._parts(upload_id)
        offset = parts[-1][1] if parts else 0
        return Upload(upload_id, data["user_id"], data["size"], data["sha256"], offset)

    def append(self, user_id: uuid.UUID, upload_id: str, offset: int, chunk: bytes) -> Upload:
        upload = self.get(user_id, upload_id)
        if offset != upload.offset:
            raise UploadOffsetMismatch(offset=upload.offset, details={"offset": upload.offset})
        if upload.offset + len(chunk) > upload.size:
            raise TooLarge(limit=upload.size)
        if not chunk:
            return upload
        end = offset + len(chunk)
        name = f"{self._prefix(upload_id)}part-{offset:016d}-{end:016d}-{time.time_ns():020d}"
        self.store.put_object(name, chunk)
        upload.offset = end
        return upload

    def _stream(self, upload_id: str) -> Iterator[bytes]:
        for _start, _end, _at, name in self._parts(upload_id):
            data = self.store.get_object(name)
            if data is None:
                raise UploadIncomplete(details={"upload_id": upload_id})
            yield data

    def _verified(self, user_id: uuid.UUID, upload_id: str) -> Upload:
        upload = self.get(user_id, upload_id)
        digest = hashlib.sha256()
        for chunk in self._stream(upload_id):
            digest.update(chunk)
        if upload.offset != upload.size or digest.hexdigest() != upload.sha256:
            raise UploadIncomplete(details=upload.to_dict())
        return upload

    def _drop(self, upload_id: str) -> None:
        prefix = self._prefix(upload_id)
        names = self.store.list_objects(prefix)
        # The record last: an upload without it is gone for its user at once.
        self.store.delete_object(prefix + "meta.json")
        for name in names:
            self.store.delete_object(name)

    def finish(self, user_id: uuid.UUID, upload_id: str, blobs: BlobStore) -> tuple[str, int, bool]:
        upload = self._verified(user_id, upload_id)
        existed = blobs.exists(upload.sha256)
        sha, size = blobs.put_chunks(self._stream(upload_id))
        if sha != upload.sha256:  # changed between the check and the copy
            raise UploadIncomplete(details=upload.to_dict())
        self._drop(upload_id)
        return sha, size, existed

    def take(self, user_id: uuid.UUID, upload_id: str, target: Path) -> int:
        upload = self._verified(user_id, upload_id)
        with target.open("wb") as out:
            for chunk in self._stream(upload_id):
                out.write(chunk)
        self._drop(upload_id)
        return upload.size

    def purge_stale(self, cutoff: float) -> int:
        latest: dict[str, int] = {}
        for name in self.store.list_objects("uploads/"):
            upload_id, _, rest = name[len("uploads/") :].partition("/")
            m = _PART.match(rest)
            if m:
                at = int(m.group(3))
            elif rest == "meta.json":
                raw = self.store.get_object(name)
                at = int(json.loads(raw).get("created", 0)) if raw else 0
            else:
                continue
            latest[upload_id] = max(latest.get(upload_id, 0), at)
        purged = 0
        for upload_id, at in latest.items():
            if at / 1e9 < cutoff and _ID.fullmatch(upload_id):
                self._drop(upload_id)
                purged += 1
        return purged


def uploads_for(settings: Settings) -> Uploads:
    """The data folder's uploads, or the object store's when there is one."""
    if settings.blobs:
        from patentdesk.blobs import blobs_for

        return SharedUploads(
            blobs_for(settings), settings.max_upload_bytes, settings.upload_quota_bytes
        )
    return Uploads(settings.data, settings.max_upload_bytes, settings.upload_quota_bytes)
