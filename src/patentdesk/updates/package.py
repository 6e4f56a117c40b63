"""What server and client agree on: version numbers, the package format, target names.

A client *package* is a ZIP file holding the client's file tree. Its files are installed
as they are under ``app/versions/<version>/``; nothing outside that folder can be named
(no absolute paths, no ``..``, no links). A *patch* is a ``bsdiff4`` patch that turns the
full package of its base version into the full package of the new version, byte for byte.

Targets in the TUF repository::

    releases.json                                   index of versions (see ``ReleaseIndex``)
    full/patentdesk-client-<version>.zip            full package
    patches/patentdesk-client-<base>-to-<version>.bsdiff

Each target carries custom metadata under ``"patentdesk"``: for packages ``{"kind":
"full", "version"}``; for patches ``{"kind": "patch", "version", "base_version",
"base_sha256", "base_length", "result_sha256", "result_length"}``.
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from patentdesk.updates.errors import PackageInvalid, VersionInvalid

INDEX_TARGET = "releases.json"
CUSTOM_KEY = "patentdesk"
_VERSION = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$")
_SAFE_PART = re.compile(r"^[^\x00-\x1f\\:*?\"<>|]+$")


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.2.13"`` → ``(1, 2, 13)``; compared as numbers, so 1.10 is newer than 1.9."""
    if not isinstance(text, str) or not _VERSION.match(text):
        raise VersionInvalid(version=text)
    parts = tuple(int(p) for p in text.split("."))
    # 1.2 and 1.2.0 are the same release: trailing zeros do not make a version newer.
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


def full_target(version: str) -> str:
    return f"full/patentdesk-client-{version}.zip"


def patch_target(base: str, version: str) -> str:
    return f"patches/patentdesk-client-{base}-to-{version}.bsdiff"


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex digest, length) of a file, read in chunks so large packages do not fill memory."""
    digest = hashlib.sha256()
    length = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length


def sha256_stream(fh: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    length = 0
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
        length += len(chunk)
    return digest.hexdigest(), length


def safe_member_name(name: str) -> str | None:
    """The normalised relative path of a ZIP member, or None if it may not be installed."""
    if not name or name.startswith(("/", "\\")) or "\\" in name:
        return None
    # The raw parts, not PurePosixPath's normalised ones: "a//b" or "./a" are refused too.
    parts = name.split("/")
    if any(p in ("", ".", "..") or not _SAFE_PART.match(p) for p in parts):
        return None
    if re.match(r"^[A-Za-z]:", parts[0]):  # a Windows drive letter
        return None
    return PurePosixPath(name).as_posix()


def package_files(path: Path) -> dict[str, dict[str, Any]]:
    """Checks a package and lists its files: ``{relative path: {"sha256", "length"}}``.

    Raises :class:`PackageInvalid` naming the problem for anything that is not a plain
    ZIP of regular files with safe relative names.
    """

    def bad(zh: str, en: str) -> PackageInvalid:
        return PackageInvalid(path=str(path), reason=zh, reason_en=en)

    if not path.is_file():
        raise bad("文件不存在", "no such file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise bad("不是 ZIP 文件", f"not a ZIP file ({exc})") from exc
    files: dict[str, dict[str, Any]] = {}
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = safe_member_name(info.filename)
            if name is None:
                raise bad(
                    f"包含不安全的文件名 {info.filename!r}",
                    f"unsafe file name {info.filename!r}",
                )
            mode = info.external_attr >> 16
            if mode and stat.S_ISLNK(mode):
                raise bad(f"包含符号链接 {name}", f"contains a symbolic link {name}")
            if name in files:
                raise bad(f"文件 {name} 重复", f"duplicate file {name}")
            try:
                with archive.open(info) as member:
                    digest, length = sha256_stream(member)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise bad(f"文件 {name} 已损坏", f"file {name} is corrupt ({exc})") from exc
            files[name] = {"sha256": digest, "length": length}
    if not files:
        raise bad("没有任何文件", "contains no files")
    return files


# The line of ``patentdesk/__init__.py`` that names the version a build reports.
_VERSION_LINE = re.compile(r'^__version__ = "[^"]*"$', re.MULTILINE)
_BUILD_SKIP = ("__pycache__",)


def build_client_package(version: str, out: Path, source: Path | None = None) -> dict[str, Any]:
    """Writes a client build of ``version``: a package holding the ``patentdesk`` package
    (this program's own files unless ``source`` names another tree) with ``__version__`` set.

    The launcher (:mod:`patentdesk.launcher`) runs such a build once the updater installed
    it; a package without ``patentdesk/cli/main.py`` installs but never runs.
    """
    import patentdesk

    parse_version(version)
    tree = source or Path(patentdesk.__file__).resolve().parent
    members: list[tuple[str, bytes]] = []
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree)
        if not path.is_file() or any(p in _BUILD_SKIP for p in rel.parts) or path.suffix == ".pyc":
            continue
        data = path.read_bytes()
        name = f"patentdesk/{rel.as_posix()}"
        if name == "patentdesk/__init__.py":
            text, count = _VERSION_LINE.subn(f'__version__ = "{version}"', data.decode("utf-8"))
            if count != 1:
                raise PackageInvalid(
                    path=str(path), reason="找不到 __version__ 行", reason_en="no __version__ line"
                )
            data = text.encode("utf-8")
        members.append((name, data))
    members.append(("VERSION", version.encode()))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            # A fixed date: the same tree gives the same bytes, so patches stay small.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    tmp.replace(out)
    digest, length = sha256_file(out)
    return {
        "version": version,
        "path": str(out),
        "files": len(members),
        "sha256": digest,
        "length": length,
    }
