"""Content-addressed blob store: documents are named by their SHA-256.

One interface, two backends, chosen by ``PATENTDESK_BLOBS`` (:func:`blobs_for`):

* the local folder ``<data>/blobs`` (the embedded default; the layout ``ab/cd/abcd…`` is
  the one every existing data folder has, so their blobs stay readable), and
* S3-compatible object storage (AWS S3, Aliyun OSS, MinIO, Ceph…), ``s3://BUCKET/PREFIX``
  with the standard AWS variables, so that every server of a cluster sees every blob.

Writes stream: the bytes are hashed on their way to a temporary file (in the local store's
own folder, so that the final rename is atomic; in the system's temporary folder for S3),
and only then stored under their name. A crash never leaves a half-written blob under a real
name, and storing the same bytes twice stores them once. Reads stream too: :meth:`open`
answers a seekable file that an S3 store fills with ranged GETs, so a 200 MB package is never
held in memory.

Besides the content-addressed blobs a store keeps a few *named objects* (``put_object`` /
``get_object`` / ``list_objects`` / ``delete_object``) for the small shared state that must
not live on one server's disk (see docs/deployment.md).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import errno
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

from patentdesk.errors import NotFound, PatentDeskError, ValidationFailed

if TYPE_CHECKING:
    from patentdesk.config import Settings

log = logging.getLogger(__name__)

_HEX = re.compile(r"^[0-9a-f]{64}$")
# Named objects: up to four path segments, none starting with a dot (no "..", no hidden files).
_NAME = re.compile(
    r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,3}$"
)
CHUNK = 1024 * 1024
# An S3 object is read by ranged GETs of at least this much (fewer round trips when a ZIP
# reader jumps between its central directory and its members).
_S3_READ = 8 * CHUNK

T = TypeVar("T")


class TooLarge(PatentDeskError):
    code = "UPLOAD_TOO_LARGE"
    status = 413
    message_zh = "上传文件过大（上限 {limit} 字节）"
    message_en = "The upload is too large (limit {limit} bytes)"


class BlobStoreUnavailable(PatentDeskError):
    """The object store did not answer or refused us: the operator's to fix, and retryable."""

    code = "BLOB_STORE_UNAVAILABLE"
    status = 503
    message_zh = "服务器的文件存储暂时无法访问：请稍后重试或联系系统管理员"
    message_en = (
        "The server's document storage cannot be reached right now: try again later or "
        "contact the administrator"
    )


class BlobStoreMisconfigured(ValidationFailed):
    code = "BLOB_STORE_CONFIG"
    message_zh = (
        "文件存储配置无效（PATENTDESK_BLOBS={value}）：应为空（本地数据目录）或 s3://存储桶/前缀"
    )
    message_en = (
        "Invalid document storage setting (PATENTDESK_BLOBS={value}): leave it empty for the "
        "local data folder, or give s3://BUCKET/PREFIX"
    )


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob, as a purge sees it."""

    sha256: str
    size: int
    modified: dt.datetime  # aware, UTC


def check_name(sha256: str) -> str:
    if not _HEX.fullmatch(sha256):
        raise NotFound(details={"blob": sha256[:80]})
    return sha256


def _check_object_name(name: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name:
        raise NotFound(details={"object": name[:80]})
    return name


@dataclass(frozen=True)
class Kept:
    """A blob a writer stored: its name, its size, and whether the store had it already."""

    sha256: str
    size: int
    existed: bool


class BlobWriter(abc.ABC):
    """One blob on its way in. ``write`` takes the bytes as they come (hashing them once);
    ``keep`` stores them under their hash and makes them durable; leaving the ``with``
    block without ``keep`` throws them away. Written by one thread at a time."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge(limit=self.max_bytes)
        self._digest.update(chunk)
        self._write(chunk)

    def sha256(self) -> str:
        return self._digest.hexdigest()

    @abc.abstractmethod
    def _write(self, chunk: bytes) -> None: ...

    @abc.abstractmethod
    def keep(self) -> Kept: ...

    @abc.abstractmethod
    def close(self) -> None:
        """Removes what ``keep`` did not store (idempotent)."""

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlobStore(abc.ABC):
    """The interface every caller uses; never a local path."""

    # ------------------------------------------------------------- content-addressed blobs

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        """A blob to fill as its bytes arrive, hashed on the way (see :class:`BlobWriter`);
        ``max_bytes`` stops an endless upload."""

    def put_chunks(self, chunks: Iterable[bytes], max_bytes: int | None = None) -> tuple[str, int]:
        """Stores a stream; returns (sha256, size)."""
        with self.writer(max_bytes) as out:
            for chunk in chunks:
                out.write(chunk)
            kept = out.keep()
        return kept.sha256, kept.size

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A seekable binary file of the blob (the caller closes it); NotFound if absent."""

    @abc.abstractmethod
    def remove(self, sha256: str) -> bool:
        """Deletes a blob nothing refers to (the caller knows); returns whether it was there."""

    @abc.abstractmethod
    def list_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, for a purge of what no row refers to (in no particular order)."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the blobs are, for operators (no secrets)."""

    def put_bytes(self, data: bytes) -> str:
        return self.put_chunks([data])[0]

    def put_file(self, fh: BinaryIO, max_bytes: int | None = None) -> tuple[str, int]:
        return self.put_chunks(iter(lambda: fh.read(CHUNK), b""), max_bytes)

    def read(self, sha256: str) -> bytes:
        """The whole blob: only for small ones (receipts, notices); packages use :meth:`open`."""
        with self.open(sha256) as fh:
            return fh.read()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        """The blob as a stream of chunks (a download response body)."""
        with self.open(sha256) as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")

    # ------------------------------------------------------------- named objects

    @abc.abstractmethod
    def put_object(self, name: str, data: bytes, *, durable: bool = True) -> None:
        """Stores (or replaces) a small named object, atomically. ``durable=False`` for an
        object whose loss in a power cut costs nothing (a copy of what the database holds):
        a local folder then does not wait for the disk."""

    @abc.abstractmethod
    def get_object(self, name: str) -> bytes | None:
        """A named object's bytes; ``None`` if there is none."""

    @abc.abstractmethod
    def create_object(self, name: str, data: bytes) -> bytes:
        """Stores ``data`` under ``name`` unless something is there already; returns what is
        stored, so that servers racing to create a shared value all end up with one."""

    @abc.abstractmethod
    def delete_object(self, name: str) -> bool: ...

    @abc.abstractmethod
    def list_objects(self, prefix: str) -> list[str]:
        """The names under ``prefix`` (e.g. ``"fees/"``), sorted."""


# ============================================================================ local folder


class LocalBlobStore(BlobStore):
    """Blobs under ``<data>/blobs/ab/cd/<sha256>``; named objects under ``<data>/objects``
    (never mixed with the content-addressed tree)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def describe(self) -> str:
        return str(self.root)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        return _LocalWriter(self, max_bytes)

    def remove(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise NotFound(details={"blob": sha256}) from exc

    def list_blobs(self) -> Iterator[BlobInfo]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if not _HEX.fullmatch(path.name):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # removed meanwhile
                continue
            yield BlobInfo(path.name, st.st_size, dt.datetime.fromtimestamp(st.st_mtime, dt.UTC))

    # Named objects live beside the blobs, not among them.
    @property
    def objects_root(self) -> Path:
        return self.root.parent / "objects"

    def _object_path(self, name: str) -> Path:
        return self.objects_root / _check_object_name(name)

    def put_object(self, name: str, data: bytes, *, durable: bool = True) -> None:
        target = self._object_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                if durable:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def create_object(self, name: str, data: bytes) -> bytes:
        target = self._object_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another worker won: use theirs
                os.link(tmp_name, target)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return target.read_bytes()

    def get_object(self, name: str) -> bytes | None:
        try:
            return self._object_path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete_object(self, name: str) -> bool:
        try:
            self._object_path(name).unlink()
        except FileNotFoundError:
            return False
        return True

    def list_objects(self, prefix: str) -> list[str]:
        root = self.objects_root
        if not root.is_dir():
            return []
        names = (
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )
        return sorted(n for n in names if n.startswith(prefix))


# ============================================================================ S3-compatible


def _s3_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _missing(exc: BaseException) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in {"404", "NoSuchKey", "NotFound"} or status == 404


class S3BlobStore(BlobStore):
    """Blobs at ``s3://bucket/prefix/blobs/ab/cd/<sha256>`` (the local layout), named
    objects at ``…/prefix/objects/<name>``. Credentials, endpoint and region come from the
    standard AWS variables, which boto3 reads (``AWS_ENDPOINT_URL`` for MinIO, OSS, Ceph)."""

    def __init__(self, bucket: str, prefix: str = "", *, client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise BlobStoreMisconfigured(value=url, details={"setting": "PATENTDESK_BLOBS"})
        return cls(parts.netloc, parts.path)

    @property
    def client(self) -> Any:
        # boto3 clients are thread-safe once made; making one is not (and is slow).
        with self._lock:
            if self._client is None:
                self._client = _make_client()
            return self._client

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _key(self, sha256: str) -> str:
        check_name(sha256)
        return self._join(f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}")

    def _join(self, rest: str) -> str:
        return f"{self.prefix}/{rest}" if self.prefix else rest

    def _call(self, what: Callable[[], T]) -> T:
        try:
            return what()
        except _s3_errors() as exc:
            log.error("object store %s failed: %s", self.describe(), exc)
            raise BlobStoreUnavailable(details={"store": self.describe()}) from exc

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=key))
        except _s3_errors() as exc:
            if _missing(exc):
                return None
            log.error("object store %s failed: %s", self.describe(), exc)
            raise BlobStoreUnavailable(details={"store": self.describe()}) from exc

    def exists(self, sha256: str) -> bool:
        return self._head(self._key(sha256)) is not None

    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        return _S3Writer(self, max_bytes)

    def remove(self, sha256: str) -> bool:
        key = self._key(sha256)
        if self._head(key) is None:
            return False
        self._call(lambda: self.client.delete_object(Bucket=self.bucket, Key=key))
        return True

    def open(self, sha256: str) -> BinaryIO:
        key = self._key(sha256)
        head = self._head(key)
        if head is None:
            raise NotFound(details={"blob": sha256})
        raw = _S3Reader(self, key, int(head["ContentLength"]))
        return io.BufferedReader(raw, buffer_size=CHUNK)

    def list_blobs(self) -> Iterator[BlobInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self._join("blobs/"))
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"].rsplit("/", 1)[-1]
                    if _HEX.fullmatch(name):
                        yield BlobInfo(
                            name, int(item["Size"]), item["LastModified"].astimezone(dt.UTC)
                        )
        except _s3_errors() as exc:
            raise BlobStoreUnavailable(details={"store": self.describe()}) from exc

    def put_object(self, name: str, data: bytes, *, durable: bool = True) -> None:
        key = self._join("objects/" + _check_object_name(name))
        self._call(lambda: self.client.put_object(Bucket=self.bucket, Key=key, Body=data))

    def create_object(self, name: str, data: bytes) -> bytes:
        key = self._join("objects/" + _check_object_name(name))
        existing = self.get_object(name)
        if existing is not None:
            return existing
        try:
            # A conditional write where the store supports it (AWS, MinIO, recent Ceph);
            # elsewhere the last writer wins, and reading back makes every racer agree.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*")
        except _s3_errors() as exc:
            response = getattr(exc, "response", None) or {}
            if response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (409, 412):
                raise BlobStoreUnavailable(details={"store": self.describe()}) from exc
        stored = self.get_object(name)
        if stored is None:
            raise BlobStoreUnavailable(details={"store": self.describe()})
        return stored

    def get_object(self, name: str) -> bytes | None:
        key = self._join("objects/" + _check_object_name(name))
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()
        except _s3_errors() as exc:
            if _missing(exc):
                return None
            raise BlobStoreUnavailable(details={"store": self.describe()}) from exc

    def delete_object(self, name: str) -> bool:
        key = self._join("objects/" + _check_object_name(name))
        if self._head(key) is None:
            return False
        self._call(lambda: self.client.delete_object(Bucket=self.bucket, Key=key))
        return True

    def list_objects(self, prefix: str) -> list[str]:
        base = self._join("objects/")
        paginator = self.client.get_paginator("list_objects_v2")
        names: list[str] = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
                names.extend(item["Key"][len(base) :] for item in page.get("Contents", []))
        except _s3_errors() as exc:
            raise BlobStoreUnavailable(details={"store": self.describe()}) from exc
        return sorted(names)


class _LocalWriter(BlobWriter):
    """Into a temporary file in the store's own folder, so that naming it is one rename."""

    def __init__(self, store: LocalBlobStore, max_bytes: int | None) -> None:
        super().__init__(max_bytes)
        self.store = store
        store.root.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=store.root, prefix=".incoming-")
        self._out: BinaryIO | None = os.fdopen(fd, "wb")

    def _write(self, chunk: bytes) -> None:
        assert self._out is not None, "written after keep or close"
        self._out.write(chunk)

    def keep(self) -> Kept:
        out = self._out
        assert out is not None, "kept twice"
        out.flush()
        sha = self.sha256()
        final = self.store.path(sha)
        if final.exists():  # the same bytes, stored (and made durable) before
            self.close()
            return Kept(sha, self.size, True)
        try:
            os.replace(self._tmp, final)
        except FileNotFoundError:  # the first blob under this prefix
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, final)
        # One fsync, after the rename: a journaling filesystem (ext4, XFS, btrfs) commits
        # metadata in order, so the file's fsync makes its data, its new name and any new
        # folder durable together — no separate fsync of the folder, the third disk wait a
        # submission used to pay.
        os.fsync(out.fileno())
        out.close()
        self._out = None
        return Kept(sha, self.size, False)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            Path(self._tmp).unlink(missing_ok=True)


class _S3Writer(BlobWriter):
    """Into a scratch file first: the object's name is the hash, known only at the end."""

    def __init__(self, store: S3BlobStore, max_bytes: int | None) -> None:
        super().__init__(max_bytes)
        self.store = store
        # Closed by keep() or close(), which the with block of the caller guarantees.
        self._tmp: BinaryIO | None = tempfile.TemporaryFile(prefix="patentdesk-blob-")  # noqa: SIM115

    def _write(self, chunk: bytes) -> None:
        assert self._tmp is not None, "written after keep or close"
        self._tmp.write(chunk)

    def keep(self) -> Kept:
        tmp = self._tmp
        assert tmp is not None, "kept twice"
        sha = self.sha256()
        key = self.store._key(sha)
        existed = self.store._head(key) is not None
        if not existed:
            tmp.seek(0)
            self.store._call(
                lambda: self.store.client.upload_fileobj(
                    tmp, self.store.bucket, key, Config=_transfer()
                )
            )
        self.close()
        return Kept(sha, self.size, existed)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.close()
            self._tmp = None


def _transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    # Multipart parts are held in memory while they go up: two of S3's smallest parts at a
    # time, so that a 200 MB package costs about 20 MB of memory whatever its size.
    config = TransferConfig(
        multipart_threshold=16 * CHUNK, multipart_chunksize=5 * CHUNK, max_concurrency=2
    )
    config.max_in_memory_upload_chunks = 2  # s3transfer's setting, not in boto3's signature
    return config


_TRANSFER_CONFIG: Any = None


def _transfer() -> Any:
    global _TRANSFER_CONFIG
    if _TRANSFER_CONFIG is None:
        _TRANSFER_CONFIG = _transfer_config()
    return _TRANSFER_CONFIG


class _S3Reader(io.RawIOBase):
    """A seekable read-only view of one object. Sequential reads share one streaming GET;
    a seek elsewhere (a ZIP reader going to its central directory) starts a ranged one."""

    def __init__(self, store: S3BlobStore, key: str, size: int) -> None:
        self._store = store
        self._key = key
        self._size = size
        self._pos = 0
        self._body: Any = None
        self._body_pos = -1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._pos = pos
        return pos

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
        self._body = None
        self._body_pos = -1

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        if self._body is None or self._body_pos != self._pos:
            self._drop()
            # Open-ended from here: the next reads continue on this one response.
            start = self._pos
            response = self._store._call(
                lambda: self._store.client.get_object(
                    Bucket=self._store.bucket, Key=self._key, Range=f"bytes={start}-"
                )
            )
            self._body = response["Body"]
            self._body_pos = start
        try:
            data = self._body.read(want)
        except _s3_errors() as exc:
            self._drop()
            raise BlobStoreUnavailable(details={"store": self._store.describe()}) from exc
        n = len(data)
        if n == 0:  # the object shrank under us: it cannot, unless replaced
            self._drop()
            raise BlobStoreUnavailable(details={"store": self._store.describe()})
        buffer[:n] = data
        self._pos += n
        self._body_pos += n
        return n

    def close(self) -> None:
        self._drop()
        super().close()


def _make_client() -> Any:
    import boto3
    from botocore.config import Config

    # The standard variables, read explicitly so that AWS_REGION works with every botocore
    # and AWS_ENDPOINT_URL with old ones. Checksums only where the API requires them: many
    # S3-compatible stores (OSS, older Ceph) refuse the newer streaming checksums.
    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": os.environ.get("PATENTDESK_BLOBS_ADDRESSING", "auto")},
        max_pool_connections=32,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        config=config,
    )


# ============================================================================ the factory

_stores: dict[tuple[str, str, str], BlobStore] = {}
_stores_lock = threading.Lock()


def blobs_for(settings: Settings) -> BlobStore:
    """The blob store the settings name: ``PATENTDESK_BLOBS`` (``s3://bucket/prefix``), or
    the data folder's ``blobs`` when it is empty. One store per setting per process (an S3
    client keeps its connection pool)."""
    url = (settings.blobs or "").strip()
    key = (url, str(settings.blob_dir), os.environ.get("AWS_ENDPOINT_URL", ""))
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if not url:
                store = LocalBlobStore(settings.blob_dir)
            elif url.startswith("s3://"):
                store = S3BlobStore.from_url(url)
            else:
                raise BlobStoreMisconfigured(value=url, details={"setting": "PATENTDESK_BLOBS"})
            _stores[key] = store
        return store
