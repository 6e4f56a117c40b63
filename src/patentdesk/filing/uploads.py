"""Resumable uploads of case packages.

A large package goes up in chunks: the client creates an upload (declaring size and
SHA-256), sends chunks at the offset the server reports, and after a broken connection
asks for the offset and continues. Parts live on disk under ``<data>/uploads`` (not in the
database, so a slow upload holds no database lock); the finished file is verified against
the declared hash and moved into the blob store.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patentdesk.blobs import CHUNK, BlobStore, TooLarge
from patentdesk.errors import Conflict, NotFound, ValidationFailed

_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadOffsetMismatch(Conflict):
    code = "UPLOAD_OFFSET_MISMATCH"
    message_zh = "上传位置不符：服务器已有 {offset} 字节"
    message_en = "Upload offset mismatch: the server has {offset} bytes"


class UploadIncomplete(ValidationFailed):
    code = "UPLOAD_INCOMPLETE"
    message_zh = "上传未完成或内容与声明的哈希不符"
    message_en = "The upload is incomplete or does not match its declared SHA-256"


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
    def __init__(self, data_dir: Path, max_bytes: int) -> None:
        self.root = data_dir / "uploads"
        self.max_bytes = max_bytes

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        if not _ID.fullmatch(upload_id):
            raise NotFound(details={"upload_id": upload_id[:80]})
        return self.root / f"{upload_id}.json", self.root / f"{upload_id}.part"

    def create(self, user_id: uuid.UUID, size: int, sha256: str) -> Upload:
        if not (0 < size <= self.max_bytes):
            raise TooLarge(limit=self.max_bytes)
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValidationFailed(
                "sha256 应为 64 位十六进制",
                "sha256 must be 64 hex digits",
                details={"field": "sha256"},
            )
        self.root.mkdir(parents=True, exist_ok=True)
        upload = Upload(secrets.token_urlsafe(24), str(user_id), size, sha256, 0)
        meta, part = self._paths(upload.id)
        part.touch()
        meta.write_text(json.dumps({"user_id": upload.user_id, "size": size, "sha256": sha256}))
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

    def finish(self, user_id: uuid.UUID, upload_id: str, blobs: BlobStore) -> tuple[str, int]:
        """Verifies the whole file against its declared hash and stores it as a blob."""
        upload = self.get(user_id, upload_id)
        meta, part = self._paths(upload_id)
        digest = hashlib.sha256()
        with part.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        if upload.offset != upload.size or digest.hexdigest() != upload.sha256:
            raise UploadIncomplete(details=upload.to_dict())
        with part.open("rb") as fh:
            sha, size = blobs.put_file(fh)
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        return sha, size

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
