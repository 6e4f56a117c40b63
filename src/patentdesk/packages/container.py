"""The case-package container (案卷包), modelled on ETSI ASiC-E.

Layout (see docs/package-format.md)::

    mimetype                               first entry, stored: application/vnd.patentdesk.case+zip
    forms/request.json                     the business type's form (forms/<related>.json besides)
    attachments/<role>/<filename>          PDF, PNG, JPEG, TIFF (text sources kept as .txt)
    META-INF/manifest.json                 every file above with SHA-256, size, role, media type
    META-INF/signatures/signature-NNN.p7s  detached signatures over the manifest's exact bytes

The writer is deterministic (fixed timestamps and attributes, sorted entries, sorted-key JSON),
so the same content always gives the same bytes; the reader verifies everything in bounded
memory (streamed hashing) before anything is trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from patentdesk.packages import errors as e
from patentdesk.packages.registry import MAIN_FORM, get_business_type
from patentdesk.packages.zipsafe import (
    DEFAULT_LIMITS,
    READ_ERRORS,
    Limits,
    canonical_info,
    check_canonical,
    check_entries,
    check_name,
    open_checked,
)

MIMETYPE = "application/vnd.patentdesk.case+zip"
FORMAT = "patentdesk-case/1"
MANIFEST_PATH = "META-INF/manifest.json"
SIGNATURE_PREFIX = "META-INF/signatures/"
SIGNATURE_RE = re.compile(r"^META-INF/signatures/signature-(\d{3})\.p7s$")
FILE_PATH_RE = re.compile(r"^(forms/[^/]+\.json|attachments/[a-z_]+/[^/]+)$")
CHUNK = 1024 * 1024

VerifySignature = Callable[[bytes, bytes], Any]
"""``verify_signature(manifest_bytes, der)``: returns signer information (truthy) or raises."""

Progress = Callable[[int, int], None]
"""``progress(done_bytes, total_bytes)`` while large files are copied."""


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    role: str
    media_type: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["patentdesk-case/1"] = "patentdesk-case/1"
    package_id: uuid.UUID
    business_type: str
    created_at: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
    files: list[ManifestFile] = Field(default_factory=list)

    def to_bytes(self) -> bytes:
        """The deterministic serialisation: sorted keys, files sorted by path, UTF-8, LF."""
        data = self.model_dump(mode="json")
        data["files"] = sorted(data["files"], key=lambda f: f["path"])
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2)
        return (text + "\n").encode("utf-8")

    def file(self, path: str) -> ManifestFile | None:
        return next((f for f in self.files if f.path == path), None)


def form_bytes(data: dict[str, Any]) -> bytes:
    """Forms are stored like the manifest: sorted keys, UTF-8, two-space indent."""
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


@dataclass
class Signature:
    name: str
    der: bytes
    signer: Any = None  # what verify_signature returned, when it was given


class _VerifyingReader(io.RawIOBase):
    """Streams one entry and fails at its end when size or SHA-256 differ from the manifest."""

    def __init__(self, raw: IO[bytes], entry: ManifestFile) -> None:
        self._raw = raw
        self._entry = entry
        self._hash = hashlib.sha256()
        self._seen = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._raw.read(len(buffer))
        except READ_ERRORS as exc:
            raise e.CorruptArchive(entry=self._entry.path, reason=str(exc)) from exc
        n = len(data)
        buffer[:n] = data
        self._seen += n
        if self._seen > self._entry.size:
            raise e.SizeMismatch(
                entry=self._entry.path, expected=self._entry.size, actual=self._seen
            )
        self._hash.update(data)
        if n == 0 and not self._done:
            self._done = True
            if self._seen != self._entry.size:
                raise e.SizeMismatch(
                    entry=self._entry.path, expected=self._entry.size, actual=self._seen
                )
            if self._hash.hexdigest() != self._entry.sha256:
                raise e.HashMismatch(entry=self._entry.path)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes at ``start`` of a shared file."""

    def __init__(self, fp: IO[bytes], start: int, length: int) -> None:
        self._fp = fp
        self._start = start
        self._length = length
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self._length - self._pos))
        if n == 0:
            return 0
        self._fp.seek(self._start + self._pos)
        data = self._fp.read(n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


@dataclass
class Package:
    """A verified case package. Forms are parsed; attachments are read lazily."""

    manifest: Manifest
    manifest_bytes: bytes
    forms: dict[str, dict[str, Any]]
    signatures: list[Signature]
    source: Path | None
    _zip: zipfile.ZipFile = field(repr=False)
    _fp: BinaryIO | None = field(repr=False, default=None)
    # Pages of each attachment the rules opened and found readable: the fee sheet counts
    # them from here instead of parsing every PDF a second time.
    page_counts: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def package_id(self) -> str:
        return str(self.manifest.package_id)

    @property
    def business_type(self) -> str:
        return self.manifest.business_type

    @property
    def form(self) -> dict[str, Any]:
        return self.forms.get(MAIN_FORM, {})

    @property
    def related(self) -> list[str]:
        return sorted(p[6:-5] for p in self.forms if p != MAIN_FORM)

    @property
    def files(self) -> list[ManifestFile]:
        return list(self.manifest.files)

    def attachments(self, role: str | None = None) -> list[ManifestFile]:
        return [
            f
            for f in self.manifest.files
            if f.path.startswith("attachments/") and (role is None or f.role == role)
        ]

    def open(self, path: str) -> BinaryIO:
        """A stream over one file that re-checks its hash at the end (the file on disk may
        have changed since it was verified)."""
        entry = self.manifest.file(path)
        if entry is None:
            raise e.EntryNotFound(name=path, hint="")
        raw = self._zip.open(path)
        return io.BufferedReader(_VerifyingReader(raw, entry), CHUNK)

    def open_seekable(self, path: str) -> BinaryIO:
        """A seekable stream for parsers (pypdf, Pillow) that jump around in a file.

        Stored entries are read in place from the source file; compressed ones are spooled
        to a temporary file. The content was verified when the package was read.
        """
        entry = self.manifest.file(path)
        if entry is None:
            raise e.EntryNotFound(name=path, hint="")
        info = self._zip.getinfo(path)
        if info.compress_type == zipfile.ZIP_STORED and self._zip.fp is not None:
            fp = self._zip.fp
            fp.seek(info.header_offset + 26)
            nlen, xlen = struct.unpack("<2H", fp.read(4))
            start = info.header_offset + 30 + nlen + xlen
            return io.BufferedReader(_Window(fp, start, info.file_size), CHUNK)
        from patentdesk.packages.attachments import seekable

        with self.open(path) as stream:
            return seekable(stream)

    def head(self, path: str, size: int = 512) -> bytes:
        """The first ``size`` bytes of a file (to tell its type): the content was verified
        when the package was read, so neither the rest nor the hash is read again."""
        entry = self.manifest.file(path)
        if entry is None:
            raise e.EntryNotFound(name=path, hint="")
        try:
            with self._zip.open(path) as raw:
                return raw.read(size)
        except READ_ERRORS as exc:
            raise e.CorruptArchive(entry=path, reason=str(exc)) from exc

    def read_bytes(self, path: str) -> bytes:
        with self.open(path) as stream:
            return stream.read()

    def close(self) -> None:
        self._zip.close()
        if self._fp is not None:
            self._fp.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stream_size(fp: BinaryIO) -> int:
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(0)
    return size


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise e.EntryTooLarge(entry=info.filename, size=info.file_size, limit=limit)
    try:
        with zf.open(info) as stream:
            data = stream.read(limit + 1)
    except READ_ERRORS as exc:
        raise e.CorruptArchive(entry=info.filename, reason=str(exc) or type(exc).__name__) from exc
    if len(data) > limit:
        raise e.EntryTooLarge(entry=info.filename, size=len(data), limit=limit)
    return data


def _check_mimetype(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    first = min(zf.infolist(), key=lambda i: i.header_offset, default=None)
    if not any(i.filename == "mimetype" for i in infos):
        raise e.MimetypeMissing()
    assert first is not None
    if first.filename != "mimetype":
        raise e.MimetypeInvalid(reason="不是第一个条目 / not the first entry", expected=MIMETYPE)
    if first.compress_type != zipfile.ZIP_STORED or first.extra:
        raise e.MimetypeInvalid(reason="被压缩 / compressed", expected=MIMETYPE)
    content = _read_small(zf, first, 256)
    if content != MIMETYPE.encode("ascii"):
        shown = content[:60].decode("utf-8", "replace")
        raise e.MimetypeInvalid(reason=f"内容为 / content is {shown!r}", expected=MIMETYPE)


def _parse_manifest(data: bytes) -> Manifest:
    try:
        raw = json.loads(data.decode("utf-8"))
        manifest = Manifest.model_validate(raw)
    except UnicodeDecodeError as exc:
        raise e.ManifestInvalid(reason="不是 UTF-8 / not UTF-8") from exc
    except ValueError as exc:  # JSONDecodeError and ValidationError are ValueErrors
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            reason = f"{where}: {first['msg']}"
        else:
            reason = str(exc)
        raise e.ManifestInvalid(reason=reason) from exc
    get_business_type(manifest.business_type)  # refuses ic-layout and unknown types
    paths = [f.path for f in manifest.files]
    if len(set(paths)) != len(paths):
        raise e.ManifestInvalid(reason="重复的文件路径 / duplicate file paths")
    for path in paths:
        check_name(path)
        if not FILE_PATH_RE.match(path):
            raise e.ManifestInvalid(reason=f"路径不符合布局 / path outside the layout: {path}")
    if MAIN_FORM not in paths:
        raise e.ManifestInvalid(reason=f"缺少 / missing {MAIN_FORM}")
    return manifest


def _hash_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry: ManifestFile) -> None:
    digest = hashlib.sha256()
    seen = 0
    try:
        with zf.open(info) as stream:
            while chunk := stream.read(CHUNK):
                seen += len(chunk)
                if seen > entry.size:
                    break
                digest.update(chunk)
    except READ_ERRORS as exc:
        raise e.CorruptArchive(entry=info.filename, reason=str(exc) or type(exc).__name__) from exc
    if seen != entry.size:
        raise e.SizeMismatch(entry=entry.path, expected=entry.size, actual=seen)
    if digest.hexdigest() != entry.sha256:
        raise e.HashMismatch(entry=entry.path)


def read_package(
    source: str | os.PathLike[str] | BinaryIO,
    limits: Limits = DEFAULT_LIMITS,
    verify_signature: VerifySignature | None = None,
    *,
    canonical: bool = True,
) -> Package:
    """Opens and fully verifies a case package; raises a :class:`PackageRefused` subclass.

    ``source`` is a path or a seekable binary file (kept open until ``Package.close()``).
    Every file's size and SHA-256 is checked against the manifest by streaming, and every
    signature is passed to ``verify_signature`` when one is given.
    """
    owned: BinaryIO | None = None
    path: Path | None = None
    fp: BinaryIO
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            owned = fp = open(path, "rb")  # noqa: SIM115 - kept open by the Package
        except FileNotFoundError as exc:
            raise e.PackageFileMissing(path=str(path), details={"path": str(path)}) from exc
        except OSError as exc:
            raise e.NotAZip(reason=f"{path}: {exc.strerror}") from exc
    else:
        fp = source
    try:
        return _read(fp, path, owned, limits, verify_signature, canonical)
    except BaseException:
        if owned is not None:
            owned.close()
        raise


def _read(
    fp: BinaryIO,
    path: Path | None,
    owned: BinaryIO | None,
    limits: Limits,
    verify_signature: VerifySignature | None,
    canonical: bool,
) -> Package:
    size = _stream_size(fp)
    zf = open_checked(fp, size, limits)
    infos = check_entries(zf, limits)
    _check_mimetype(zf, infos)
    if canonical:
        check_canonical(fp, zf, size)
    by_name = {i.filename: i for i in infos}
    if MANIFEST_PATH not in by_name:
        raise e.ManifestMissing()
    manifest_bytes = _read_small(zf, by_name[MANIFEST_PATH], limits.max_form_size)
    manifest = _parse_manifest(manifest_bytes)
    listed = {f.path: f for f in manifest.files}
    signature_names = []
    for name in by_name:
        if name in ("mimetype", MANIFEST_PATH):
            continue
        if SIGNATURE_RE.match(name):
            signature_names.append(name)
        elif name not in listed:
            raise e.FileNotInManifest(entry=name)
    for entry in manifest.files:
        info = by_name.get(entry.path)
        if info is None:
            raise e.FileMissing(entry=entry.path)
        if info.file_size != entry.size:
            raise e.SizeMismatch(entry=entry.path, expected=entry.size, actual=info.file_size)
        _hash_entry(zf, info, entry)
    forms: dict[str, dict[str, Any]] = {}
    for entry in manifest.files:
        if entry.path.startswith("forms/"):
            data = _read_small(zf, by_name[entry.path], limits.max_form_size)
            try:
                parsed = json.loads(data.decode("utf-8"))
            except ValueError as exc:
                raise e.FormInvalid(entry=entry.path, reason=str(exc)) from exc
            if not isinstance(parsed, dict):
                raise e.FormInvalid(entry=entry.path, reason="不是 JSON 对象 / not a JSON object")
            forms[entry.path] = parsed
    signatures = []
    for name in sorted(signature_names):
        der = _read_small(zf, by_name[name], limits.max_signature_size)
        signature = Signature(name, der)
        if verify_signature is not None:
            signature.signer = _verify(verify_signature, manifest_bytes, der, name)
        signatures.append(signature)
    return Package(manifest, manifest_bytes, forms, signatures, path, zf, owned)


def _verify(callback: VerifySignature, manifest_bytes: bytes, der: bytes, name: str) -> Any:
    try:
        result = callback(manifest_bytes, der)
    except e.PatentDeskError:
        raise  # a typed error from the verifier (revoked, other environment…) keeps its code
    except Exception as exc:
        raise e.SignatureInvalid(entry=name, reason=str(exc) or type(exc).__name__) from exc
    if result is False or result is None:
        raise e.SignatureInvalid(entry=name, reason="验证未通过 / not verified")
    return result


# --------------------------------------------------------------------------- writing


@dataclass
class NewFile:
    """A file to write: its bytes, or a callable opening a stream (read once)."""

    path: str
    role: str
    media_type: str
    data: bytes | None = None
    opener: Callable[[], BinaryIO] | None = None
    size_hint: int = 0
    known: ManifestFile | None = None  # copied from a verified package: hash already known

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.opener is not None
        return self.opener()


def write_package(
    target: str | os.PathLike[str],
    *,
    package_id: uuid.UUID | str,
    business_type: str,
    created_at: str,
    files: Iterable[NewFile],
    signatures: Iterable[bytes] = (),
    progress: Progress | None = None,
) -> Manifest:
    """Writes a complete package atomically (temporary file, then rename)."""
    target = Path(target)
    ordered = sorted(files, key=lambda f: f.path)
    total = sum(len(f.data) if f.data is not None else f.size_hint for f in ordered)
    done = 0
    entries: list[ManifestFile] = []
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w+b") as out, zipfile.ZipFile(out, "w") as zf:
            zf.writestr(canonical_info("mimetype"), MIMETYPE.encode("ascii"))
            for item in ordered:
                check_name(item.path)
                digest = hashlib.sha256()
                size = 0
                with item.open() as src, zf.open(canonical_info(item.path), "w") as dst:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                        size += len(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, max(total, done))
                entries.append(
                    ManifestFile(
                        path=item.path,
                        sha256=digest.hexdigest(),
                        size=size,
                        role=item.role,
                        media_type=item.media_type,
                    )
                )
            manifest = Manifest(
                package_id=uuid.UUID(str(package_id)),
                business_type=business_type,
                created_at=created_at,
                files=entries,
            )
            zf.writestr(canonical_info(MANIFEST_PATH), manifest.to_bytes())
            for number, der in enumerate(signatures, start=1):
                zf.writestr(canonical_info(signature_name(number)), der)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return manifest


def signature_name(number: int) -> str:
    return f"{SIGNATURE_PREFIX}signature-{number:03d}.p7s"


def copy_files(package: Package, exclude: Iterable[str] = ()) -> Iterator[NewFile]:
    """The package's files as :class:`NewFile` items streaming from the verified source."""
    skip = set(exclude)
    for entry in package.manifest.files:
        if entry.path in skip:
            continue
        yield NewFile(
            entry.path,
            entry.role,
            entry.media_type,
            opener=lambda p=entry.path: package.open(p),  # type: ignore[misc]
            size_hint=entry.size,
            known=entry,
        )


# --------------------------------------------------------------------------- signatures


def manifest_bytes(path: str | os.PathLike[str]) -> bytes:
    """The exact bytes a signature covers (the package is verified first)."""
    with read_package(path) as package:
        return package.manifest_bytes


def list_signatures(path: str | os.PathLike[str]) -> list[bytes]:
    with read_package(path) as package:
        return [s.der for s in package.signatures]


def add_signature(path: str | os.PathLike[str], der: bytes) -> str:
    """Appends a detached signature over the manifest; returns its entry name.

    The package is verified first; the entry is appended after the last one (the central
    directory is rewritten after it), which keeps the canonical layout.
    """
    if not der:
        raise e.SignatureInvalid(entry="-", reason="空签名 / empty signature")
    if len(der) > DEFAULT_LIMITS.max_signature_size:
        raise e.SignatureInvalid(entry="-", reason="签名过大 / signature too large")
    with read_package(path) as package:
        name = signature_name(len(package.signatures) + 1)
    # Appended on a copy, then renamed: a crash never leaves a half-written package.
    target = Path(path)
    fd, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(target, staging)
        with zipfile.ZipFile(staging, "a") as zf:
            zf.writestr(canonical_info(name), der)
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return name
