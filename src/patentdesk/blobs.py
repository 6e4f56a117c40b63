"""Content-addressed blob store on local disk: documents are named by their SHA-256.

Writes stream to a temporary file in the store, are fsynced and then renamed into place, so a
crash never leaves a half-written blob under a real name, and storing the same bytes twice
stores them once.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from patentdesk.errors import NotFound, PatentDeskError

_HEX = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _HEX.fullmatch(sha256):
            raise NotFound(details={"blob": sha256[:80]})
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put_chunks(self, chunks: Iterable[bytes], max_bytes: int | None = None) -> tuple[str, int]:
        """Stores a stream; returns (sha256, size). ``max_bytes`` stops an endless upload."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(limit=max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            _fsync_dir(final.parent)
            return sha, size
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def put_bytes(self, data: bytes) -> str:
        return self.put_chunks([data])[0]

    def put_file(self, fh: BinaryIO, max_bytes: int | None = None) -> tuple[str, int]:
        return self.put_chunks(iter(lambda: fh.read(CHUNK), b""), max_bytes)

    def remove(self, sha256: str) -> bool:
        """Deletes a blob nothing refers to (the caller knows); returns whether it was there."""
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def read(self, sha256: str) -> bytes:
        path = self.path(sha256)
        if not path.exists():
            raise NotFound(details={"blob": sha256})
        return path.read_bytes()

    def open(self, sha256: str) -> BinaryIO:
        path = self.path(sha256)
        if not path.exists():
            raise NotFound(details={"blob": sha256})
        return path.open("rb")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TooLarge(PatentDeskError):
    code = "UPLOAD_TOO_LARGE"
    status = 413
    message_zh = "上传文件过大（上限 {limit} 字节）"
    message_en = "The upload is too large (limit {limit} bytes)"
