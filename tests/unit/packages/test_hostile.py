"""A corpus of hostile or broken archives: each is refused with its own error code."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from patentdesk.packages import errors as e
from patentdesk.packages.container import (
    MANIFEST_PATH,
    MIMETYPE,
    NewFile,
    read_package,
    write_package,
)
from patentdesk.packages.zipsafe import Limits, canonical_info
from tests.unit.packages.helpers import (
    entries_of,
    minimal_zip,
    rebuild,
    replace_entry,
)

FORM = b'{"title": "x"}\n'


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.zip"
    write_package(
        path,
        package_id="0b9a2058-350b-4f6e-8045-366c45348c19",
        business_type="invention",
        created_at="2026-01-02T03:04:05Z",
        files=[
            NewFile("forms/request.json", "form", "application/json", data=FORM),
            NewFile("attachments/other/a.pdf", "other", "application/pdf", data=b"%PDF-1.4 abc"),
        ],
    )
    return path


def _patch_name(path: Path, old: bytes, new: bytes, set_utf8: bool = False) -> None:
    """Replaces a name's bytes in the local header and the central directory."""
    data = bytearray(path.read_bytes())
    assert len(old) == len(new)
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            start = pos + 4
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(old)] == old:
                data[name_at : name_at + len(old)] = new
                if set_utf8:
                    flags = struct.unpack_from("<H", data, pos + flag_at)[0] | 0x800
                    struct.pack_into("<H", data, pos + flag_at, flags)
    path.write_bytes(bytes(data))


def _set_flag(path: Path, name: bytes, bit: int) -> None:
    data = bytearray(path.read_bytes())
    for sig, flag_at, name_off in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            start = pos + 4
            if data[pos + name_off : pos + name_off + len(name)] == name:
                flags = struct.unpack_from("<H", data, pos + flag_at)[0] | bit
                struct.pack_into("<H", data, pos + flag_at, flags)
    path.write_bytes(bytes(data))


def traversal(tmp: Path, good: Path) -> Path:
    return minimal_zip(tmp / "x.zip", [("../../evil.sh", b"x")])


def absolute(tmp: Path, good: Path) -> Path:
    return minimal_zip(tmp / "x.zip", [("/etc/cron.d/evil", b"x")])


def windows_absolute(tmp: Path, good: Path) -> Path:
    return minimal_zip(tmp / "x.zip", [("C:/Windows/evil.dll", b"x")])


def backslash_traversal(tmp: Path, good: Path) -> Path:
    return minimal_zip(tmp / "x.zip", [("attachments\\..\\..\\evil", b"x")])


def backslash_name(tmp: Path, good: Path) -> Path:
    return minimal_zip(tmp / "x.zip", [("attachments\\other\\a.pdf", b"x")])


def symlink(tmp: Path, good: Path) -> Path:
    info = zipfile.ZipInfo("attachments/other/link.pdf")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return minimal_zip(tmp / "x.zip", [(info, b"/etc/passwd")])


def duplicate(tmp: Path, good: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        return minimal_zip(
            tmp / "x.zip", [("forms/request.json", FORM), ("forms/request.json", b"{}")]
        )


def duplicate_case(tmp: Path, good: Path) -> Path:
    return minimal_zip(tmp / "x.zip", [("forms/a.json", FORM), ("Forms/A.json", FORM)])


def encrypted(tmp: Path, good: Path) -> Path:
    path = rebuild(good, tmp / "x.zip", lambda x: x)
    _set_flag(path, b"attachments/other/a.pdf", 0x1)
    return path


def non_utf8_name(tmp: Path, good: Path) -> Path:
    path = minimal_zip(tmp / "x.zip", [("attachments/other/abcd.pdf", b"x")])
    _patch_name(
        path, b"attachments/other/abcd.pdf", b"attachments/other/" + "中文".encode("gbk") + b".pdf"
    )
    return path


def invalid_utf8_flagged(tmp: Path, good: Path) -> Path:
    path = minimal_zip(tmp / "x.zip", [("attachments/other/abcd.pdf", b"x")])
    _patch_name(
        path,
        b"attachments/other/abcd.pdf",
        b"attachments/other/\xff\xfe\xfd\xfc.pdf",
        set_utf8=True,
    )
    return path


def not_a_zip(tmp: Path, good: Path) -> Path:
    path = tmp / "x.zip"
    path.write_bytes(b"%PDF-1.4 this is not a zip" * 10)
    return path


def empty_file(tmp: Path, good: Path) -> Path:
    path = tmp / "x.zip"
    path.write_bytes(b"")
    return path


def missing_mimetype(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", lambda x: [(n, d) for n, d in x if n != "mimetype"])


def wrong_mimetype(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", replace_entry("mimetype", b"application/zip"))


def mimetype_not_first(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", lambda x: [*x[1:], x[0]])


def mimetype_compressed(tmp: Path, good: Path) -> Path:
    path = tmp / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(canonical_info("mimetype", zipfile.ZIP_DEFLATED), MIMETYPE)
        for name, data in entries_of(good)[1:]:
            zf.writestr(canonical_info(name), data)
    return path


def manifest_missing(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", lambda x: [(n, d) for n, d in x if n != MANIFEST_PATH])


def manifest_not_json(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", replace_entry(MANIFEST_PATH, b"{not json"))


def file_not_in_manifest(tmp: Path, good: Path) -> Path:
    return rebuild(
        good, tmp / "x.zip", lambda x: [*x, ("attachments/other/smuggled.pdf", b"%PDF-")]
    )


def stray_meta_inf(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", lambda x: [*x, ("META-INF/container.xml", b"<x/>")])


def file_missing(tmp: Path, good: Path) -> Path:
    return rebuild(
        good, tmp / "x.zip", lambda x: [(n, d) for n, d in x if n != "attachments/other/a.pdf"]
    )


def hash_mismatch(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", replace_entry("attachments/other/a.pdf", b"%PDF-1.4 abd"))


def size_mismatch(tmp: Path, good: Path) -> Path:
    return rebuild(good, tmp / "x.zip", replace_entry("attachments/other/a.pdf", b"%PDF-1.4 abcd"))


def ratio_bomb(tmp: Path, good: Path) -> Path:
    info = zipfile.ZipInfo("attachments/other/bomb.pdf")
    info.compress_type = zipfile.ZIP_DEFLATED
    return minimal_zip(tmp / "x.zip", [(info, b"\0" * (4 * 1024 * 1024))])


def bzip2_entry(tmp: Path, good: Path) -> Path:
    info = zipfile.ZipInfo("attachments/other/a.pdf")
    info.compress_type = zipfile.ZIP_BZIP2
    return minimal_zip(tmp / "x.zip", [(info, b"%PDF-")])


def prepended_data(tmp: Path, good: Path) -> Path:
    path = tmp / "x.zip"
    path.write_bytes(b"MZ" + b"\0" * 62 + good.read_bytes())
    return path


def zip_comment(tmp: Path, good: Path) -> Path:
    path = rebuild(good, tmp / "x.zip", lambda x: x)
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b"hidden"
    return path


def hidden_bytes_between_entries(tmp: Path, good: Path) -> Path:
    # Entries whose local headers carry an extra field: zipfile ignores it, we do not.
    path = tmp / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries_of(good):
            info = canonical_info(name)
            if name == "attachments/other/a.pdf":
                info.extra = struct.pack("<HH", 0xCAFE, 4) + b"evil"
            zf.writestr(info, data)
    return path


def ic_layout(tmp: Path, good: Path) -> Path:
    def change(entries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        return [
            (n, d.replace(b'"invention"', b'"ic-layout"') if n == MANIFEST_PATH else d)
            for n, d in entries
        ]

    return rebuild(good, tmp / "x.zip", change)


CORPUS: dict[str, tuple[Callable[[Path, Path], Path], type[e.PatentDeskError]]] = {
    "path traversal": (traversal, e.PathTraversal),
    "backslash traversal": (backslash_traversal, e.PathTraversal),
    "absolute path": (absolute, e.AbsolutePath),
    "windows drive path": (windows_absolute, e.AbsolutePath),
    "backslash in name": (backslash_name, e.BadEntryName),
    "symlink": (symlink, e.SymlinkEntry),
    "duplicate name": (duplicate, e.DuplicateEntry),
    "duplicate name differing in case": (duplicate_case, e.DuplicateEntry),
    "encrypted entry": (encrypted, e.EncryptedEntry),
    "non-UTF-8 name": (non_utf8_name, e.NonUtf8Name),
    "invalid UTF-8 name": (invalid_utf8_flagged, e.NonUtf8Name),
    "not a zip": (not_a_zip, e.NotAZip),
    "empty file": (empty_file, e.NotAZip),
    "missing mimetype": (missing_mimetype, e.MimetypeMissing),
    "wrong mimetype": (wrong_mimetype, e.MimetypeInvalid),
    "mimetype not first": (mimetype_not_first, e.MimetypeInvalid),
    "compressed mimetype": (mimetype_compressed, e.MimetypeInvalid),
    "manifest missing": (manifest_missing, e.ManifestMissing),
    "manifest not JSON": (manifest_not_json, e.ManifestInvalid),
    "file not in manifest": (file_not_in_manifest, e.FileNotInManifest),
    "stray META-INF file": (stray_meta_inf, e.FileNotInManifest),
    "manifest entry missing": (file_missing, e.FileMissing),
    "hash mismatch": (hash_mismatch, e.HashMismatch),
    "size mismatch": (size_mismatch, e.SizeMismatch),
    "compression bomb (ratio)": (ratio_bomb, e.CompressionRatio),
    "unsupported compression": (bzip2_entry, e.UnsupportedCompression),
    "data before the archive": (prepended_data, e.NonCanonicalLayout),
    "archive comment": (zip_comment, e.NonCanonicalLayout),
    "hidden extra field": (hidden_bytes_between_entries, e.NonCanonicalLayout),
    "IC layout design": (ic_layout, e.IcLayoutNotSupported),
}


@pytest.mark.parametrize("case", list(CORPUS))
def test_hostile_archive_is_refused_with_its_own_error(
    case: str, tmp_path: Path, good: Path
) -> None:
    make, error = CORPUS[case]
    path = make(tmp_path, good)
    with pytest.raises(error) as info:
        read_package(path)
    assert type(info.value) is error
    assert info.value.zh and info.value.en and info.value.zh != info.value.en
    assert "{" not in info.value.zh and "{" not in info.value.en  # every placeholder filled


def test_the_corpus_covers_distinct_codes() -> None:
    # Variants of one attack share a code; different attacks never do.
    codes = {err.code for _, err in CORPUS.values()}
    assert len(codes) == len({err for _, err in CORPUS.values()}) >= 20


def test_good_package_passes(good: Path) -> None:
    with read_package(good) as package:
        assert package.read_bytes("attachments/other/a.pdf") == b"%PDF-1.4 abc"


@pytest.mark.parametrize(
    ("limits", "error"),
    [
        (Limits(max_entries=3), e.TooManyEntries),
        (Limits(max_entry_size=10), e.EntryTooLarge),
        (Limits(max_total_size=20), e.TotalTooLarge),
    ],
)
def test_limits_are_configurable(good: Path, limits: Limits, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_package(good, limits)


def test_entry_count_is_checked_before_parsing_the_directory(tmp_path: Path) -> None:
    path = minimal_zip(
        tmp_path / "x.zip", [(f"attachments/other/{i}.pdf", b"x") for i in range(50)]
    )
    # Corrupt the directory: with the count check first, the count is what gets reported.
    data = bytearray(path.read_bytes())
    cd = data.find(b"PK\x01\x02")
    data[cd : cd + 4] = b"XXXX"
    with pytest.raises(e.TooManyEntries):
        read_package(io.BytesIO(bytes(data)), Limits(max_entries=10))


def test_a_lying_size_header_cannot_inflate_past_the_limit(tmp_path: Path) -> None:
    # Declared small, actually large: zipfile stops at the declared size and the CRC fails.
    info = zipfile.ZipInfo("attachments/other/a.pdf")
    info.compress_type = zipfile.ZIP_DEFLATED
    path = minimal_zip(tmp_path / "x.zip", [(info, b"\0" * 100_000)])
    data = bytearray(path.read_bytes())
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig, 40 if sig == b"PK\x03\x04" else 0)
        struct.pack_into("<L", data, pos + off, 10)
    with pytest.raises(e.PackageRefused):
        read_package(io.BytesIO(bytes(data)), canonical=False)
