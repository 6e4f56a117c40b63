"""Defensive ZIP reading: every way an archive can be hostile is refused with its own error.

Two layers:

1. :func:`open_checked` refuses what is dangerous in *any* ZIP (entry names that escape
   the folder, symlinks, duplicates, encryption, compression bombs, non-UTF-8 names). The
   legacy importer uses this layer alone.
2. :func:`check_canonical` additionally requires the one byte layout our writer produces
   (entries back to back from offset 0, fixed timestamps and attributes, no extra fields or
   comments, central directory right after the data and nothing after it). Together with
   the CRC and SHA-256 of every entry this makes *every* byte of a case package
   significant: a single changed byte anywhere is detected, and there is no room for data
   hidden between entries or for two ZIP parsers to disagree on what the package holds.
"""

from __future__ import annotations

import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from patentdesk.packages import errors as e

MiB = 1024 * 1024

CANONICAL_DATE = (1980, 1, 1, 0, 0, 0)
CANONICAL_FILE_ATTR = (stat.S_IFREG | 0o644) << 16
UTF8_FLAG = 0x800
_LOCAL = struct.Struct("<4s5H3L2H")
_EOCD = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_EOCD_SIG = b"PK\x05\x06"


READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    NotImplementedError,
    OverflowError,
    UnicodeDecodeError,
    ValueError,
)
"""What zipfile may raise on damaged data; mapped to :class:`CorruptArchive` by readers."""


@dataclass(frozen=True)
class Limits:
    """What a reader accepts; the server may set its own (e.g. from settings)."""

    max_entries: int = 5000
    max_entry_size: int = 512 * MiB
    max_total_size: int = 1024 * MiB
    max_ratio: float = 100.0
    ratio_floor: int = 1 * MiB  # small entries (forms) compress well and are harmless
    max_form_size: int = 4 * MiB  # forms and the manifest are parsed in memory
    max_signature_size: int = 1 * MiB


DEFAULT_LIMITS = Limits()


def canonical_info(name: str, method: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    """The ZipInfo our writer uses for every entry, so equal content gives equal bytes."""
    info = zipfile.ZipInfo(name, date_time=CANONICAL_DATE)
    info.compress_type = method
    info.create_system = 3
    info.external_attr = CANONICAL_FILE_ATTR
    return info


def check_name(name: str) -> None:
    """Refuses entry names that could escape the package folder or confuse a file system."""
    if not name:
        raise e.BadEntryName(entry=repr(name), reason="空名称 / empty name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        raise e.AbsolutePath(entry=name)
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise e.PathTraversal(entry=name)
    if "\\" in name:
        raise e.BadEntryName(entry=name, reason="反斜杠 / backslash")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise e.BadEntryName(entry=repr(name), reason="控制字符 / control character")
    inner = parts[:-1] if name.endswith("/") else parts
    if any(p in ("", ".") for p in inner):
        raise e.BadEntryName(entry=name, reason="空或 . 路径段 / empty or '.' segment")
    if len(name.encode("utf-8")) > 512:
        raise e.BadEntryName(entry=name[:80] + "…", reason="过长 / too long")


def _entry_count_from_eocd(fp: BinaryIO, size: int) -> int | None:
    """Reads the entry count before zipfile builds its directory (a bomb of entries)."""
    tail_len = min(size, 65535 + _EOCD.size)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    pos = tail.rfind(_EOCD_SIG)
    if pos < 0 or pos + _EOCD.size > len(tail):
        return None
    fields = _EOCD.unpack_from(tail, pos)
    return int(fields[4])


def _not_a_zip(reason_zh: str, reason_en: str) -> e.NotAZip:
    """Each language's page gets the reason in its own words (not both side by side)."""
    return e.NotAZip(
        e.NotAZip.message_zh.format(reason=reason_zh), e.NotAZip.message_en.format(reason=reason_en)
    )


def open_checked(fp: BinaryIO, size: int, limits: Limits = DEFAULT_LIMITS) -> zipfile.ZipFile:
    """Opens ``fp`` as a ZIP after the entry-count check, mapping parser failures to errors."""
    if size < 22:
        raise _not_a_zip("文件太短，不可能是案卷包", "the file is too short to be a package")
    count = _entry_count_from_eocd(fp, size)
    if count is None:
        raise _not_a_zip(
            "文件已损坏或不是 ZIP 文件（读不到 ZIP 目录）",
            "it is damaged or not a ZIP file (its ZIP directory cannot be read)",
        )
    if count > limits.max_entries and count != 0xFFFF:
        raise e.TooManyEntries(count=count, limit=limits.max_entries)
    fp.seek(0)
    try:
        zf = zipfile.ZipFile(fp)
    except UnicodeDecodeError as exc:
        raise e.NonUtf8Name(entry=repr(exc.object[:80])) from exc
    except (*READ_ERRORS, zipfile.LargeZipFile, OSError) as exc:
        raise e.NotAZip(reason=str(exc) or type(exc).__name__) from exc
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise e.TooManyEntries(count=len(infos), limit=limits.max_entries)
    return zf


def check_entries(zf: zipfile.ZipFile, limits: Limits = DEFAULT_LIMITS) -> list[zipfile.ZipInfo]:
    """Checks every entry's name, type, encryption and sizes; returns the file entries."""
    seen: dict[str, str] = {}
    total = 0
    files: list[zipfile.ZipInfo] = []
    for info in zf.infolist():
        name = info.filename
        if not info.flag_bits & UTF8_FLAG and not name.isascii():
            # zipfile decoded the raw bytes as CP437: the writer used a local code page.
            raise e.NonUtf8Name(entry=name)
        check_name(name)
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen:
            raise e.DuplicateEntry(entry=name)
        seen[key] = name
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            raise e.SymlinkEntry(entry=name)
        if info.flag_bits & 0x1:
            raise e.EncryptedEntry(entry=name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise e.UnsupportedCompression(entry=name)
        if info.is_dir():
            if info.file_size:
                raise e.BadEntryName(entry=name, reason="目录带有数据 / folder with data")
            continue
        if info.file_size > limits.max_entry_size:
            raise e.EntryTooLarge(entry=name, size=info.file_size, limit=limits.max_entry_size)
        total += info.file_size
        if total > limits.max_total_size:
            raise e.TotalTooLarge(size=total, limit=limits.max_total_size)
        if info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise e.CompressionRatio(entry=name, ratio=round(ratio), limit=limits.max_ratio)
        files.append(info)
    return files


def _dos_datetime(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _central_record(info: zipfile.ZipInfo) -> bytes:
    time, date = _dos_datetime(info)
    name = info.filename.encode("utf-8")
    return (
        _CENTRAL.pack(
            b"PK\x01\x02",
            info.create_version,
            info.create_system,
            info.extract_version,
            info.reserved,
            info.flag_bits,
            info.compress_type,
            time,
            date,
            info.CRC,
            info.compress_size,
            info.file_size,
            len(name),
            0,
            0,
            0,
            info.internal_attr,
            info.external_attr,
            info.header_offset,
        )
        + name
    )


def check_canonical(fp: BinaryIO, zf: zipfile.ZipFile, size: int) -> None:
    """Requires the exact byte layout our writer produces (see the module docstring)."""

    def bad(reason: str, entry: str = "-") -> e.NonCanonicalLayout:
        return e.NonCanonicalLayout(reason=reason, entry=entry)

    offset = 0
    cd_size = 0
    for info in sorted(zf.infolist(), key=lambda i: i.header_offset):
        name = info.filename
        want_flags = 0 if name.isascii() else UTF8_FLAG
        if (
            info.date_time != CANONICAL_DATE
            or info.create_system != 3
            or info.create_version != 20
            or info.extract_version != 20
            or info.reserved != 0
            or info.volume != 0
            or info.internal_attr != 0
            or info.external_attr != CANONICAL_FILE_ATTR
            or info.flag_bits != want_flags
        ):
            raise bad("条目属性 / entry attributes", name)
        if info.extra or info.comment:
            raise bad("扩展字段或注释 / extra field or comment", name)
        if info.header_offset != offset:
            raise bad("条目间有空隙或重叠 / gap or overlap between entries", name)
        fp.seek(offset)
        raw = fp.read(_LOCAL.size)
        if len(raw) != _LOCAL.size:
            raise bad("本地文件头被截断 / truncated local header", name)
        sig, version, flags, method, time, date, crc, csize, usize, nlen, xlen = _LOCAL.unpack(raw)
        encoded = name.encode("utf-8")
        if (
            sig != b"PK\x03\x04"
            or version != info.extract_version
            or flags != info.flag_bits
            or method != info.compress_type
            or (time, date) != _dos_datetime(info)
            or (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size)
            or nlen != len(encoded)
            or xlen != 0
            or fp.read(nlen) != encoded
        ):
            raise bad("本地文件头与目录不一致 / local header differs from the directory", name)
        offset += _LOCAL.size + nlen + csize
        cd_size += 46 + len(encoded)
    if zf.start_dir != offset:
        raise bad("数据与目录之间有多余内容 / bytes between data and directory")
    # zipfile reads lengths past the directory's end as short reads, so compare the raw
    # directory with the one these entries must have.
    expected = b"".join(_central_record(info) for info in zf.infolist())
    fp.seek(offset)
    if len(expected) != cd_size or fp.read(cd_size) != expected:
        raise bad("中央目录 / central directory")
    raw = fp.read(_EOCD.size + 1)
    if len(raw) != _EOCD.size or zf.comment:
        raise bad("目录之后有多余内容或注释 / trailing bytes or comment after the directory")
    sig, disk, cd_disk, n_disk, n_total, size_cd, off_cd, clen = _EOCD.unpack(raw)
    n = len(zf.infolist())
    if (sig, disk, cd_disk, n_disk, n_total, size_cd, off_cd, clen) != (
        _EOCD_SIG,
        0,
        0,
        n,
        n,
        cd_size,
        offset,
        0,
    ):
        raise bad("目录结束记录 / end-of-central-directory record")
    if offset + cd_size + _EOCD.size != size:
        raise bad("文件长度 / file length")
