"""The legacy archive's container and manifest: ZIP or folder, notices.csv or notices.xml.

Split from :mod:`patentdesk.notices.legacy`, which checks the records; the format is in
docs/notices.md. Nothing here extracts to disk: members are read by name, in memory.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from patentdesk.errors import ValidationFailed

MANIFESTS = ("notices.csv", "notices.xml")
CSV_COLUMNS = ("通知书代码", "通知书名称", "申请号", "发明名称", "发文日", "发文序列号", "文件")
# Field → the names it goes by: the CSV's Chinese columns, the XML element names agency tools
# know (TONGZHISBM…), and a few spellings seen in exports. Matched case-insensitively.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("通知书代码", "TONGZHISBM", "code"),
    "name": ("通知书名称", "名称", "TONGZHISMC", "name"),
    "application_number": ("申请号", "SHENQINGH", "application_number"),
    "title": ("发明名称", "发明创造名称", "FAMINGMC", "title"),
    "dispatched_on": ("发文日", "FAWENR", "dispatch_date"),
    "serial": ("发文序列号", "fwSerial", "FAWENXLH", "serial"),
    "file": ("文件", "文件名", "FILE", "WENJIANMC", "pdf"),
}
REQUIRED_FIELDS = ("code", "application_number", "dispatched_on", "serial")
FIELD_LABELS = {
    "code": "通知书代码",
    "name": "通知书名称",
    "application_number": "申请号",
    "title": "发明名称",
    "dispatched_on": "发文日",
    "serial": "发文序列号",
    "file": "文件",
}
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 200_000
_ALIAS_TO_FIELD = {alias.lower(): name for name, names in FIELD_ALIASES.items() for alias in names}


class LegacyArchiveInvalid(ValidationFailed):
    code = "LEGACY_ARCHIVE_INVALID"
    message_zh = "旧系统归档文件无效"
    message_en = "The legacy archive is not valid"


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | None  # manifest record (CSV line number, or XML record 1, 2, …)
    field: str | None
    message_zh: str
    message_en: str
    unit: str = "行"  # CSV rows are line numbers; XML records are counted (第 n 条)

    def where_zh(self) -> str:
        place = f"第 {self.row} {self.unit}" if self.row is not None else "归档文件"
        return f"{place}{' ' + FIELD_LABELS.get(self.field, self.field) if self.field else ''}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


# ---- sources: a ZIP file or a folder ----------------------------------------------------


class Source:
    def names(self) -> list[str]:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def open(self, name: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _zip_name(info: zipfile.ZipInfo) -> str:
    # Windows archivers write GBK names without the UTF-8 flag; zipfile then decodes them as
    # cp437. Undo that so 通知书.pdf in the manifest matches the entry.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


class ZipSource(Source):
    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise refuse(f"不是有效的 ZIP 文件：{exc}", f"not a valid ZIP file: {exc}") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_ENTRIES:
            self.zip.close()
            raise refuse("ZIP 条目过多", f"more than {MAX_ENTRIES} ZIP entries")
        self.entries = {_zip_name(i).replace("\\", "/"): i for i in infos if not i.is_dir()}

    def names(self) -> list[str]:
        return list(self.entries)

    def size(self, name: str) -> int:
        return self.entries[name].file_size

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(self.entries[name])

    def close(self) -> None:
        self.zip.close()


class DirSource(Source):
    def __init__(self, path: Path) -> None:
        self.root = path.resolve()

    def _path(self, name: str) -> Path:
        resolved = (self.root / name).resolve()
        # A symlink inside the folder must not lead out of it.
        if not resolved.is_relative_to(self.root):
            raise KeyError(name)
        return resolved

    def names(self) -> list[str]:
        out = []
        for p in sorted(self.root.rglob("*")):
            # Files reached through a symlink pointing outside the folder do not exist here.
            if p.is_file() and p.resolve().is_relative_to(self.root):
                out.append(p.relative_to(self.root).as_posix())
                if len(out) > MAX_ENTRIES:
                    raise refuse("文件过多", f"more than {MAX_ENTRIES} files")
        return out

    def size(self, name: str) -> int:
        return self._path(name).stat().st_size

    def open(self, name: str) -> IO[bytes]:
        return self._path(name).open("rb")


# ---- manifest parsing -------------------------------------------------------------------


def invalid(problems: list[Problem]) -> LegacyArchiveInvalid:
    shown = "；".join(f"{p.where_zh()}：{p.message_zh}" for p in problems[:5])
    shown_en = "; ".join(
        f"{'row ' + str(p.row) if p.row is not None else 'archive'}"
        f"{' ' + p.field if p.field else ''}: {p.message_en}"
        for p in problems[:5]
    )
    more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
    more_en = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return LegacyArchiveInvalid(
        "旧系统归档文件有 {n} 处错误：{shown}{more}",
        "The legacy archive has {n} problem(s): {shown_en}{more_en}",
        n=len(problems),
        shown=shown,
        more=more,
        shown_en=shown_en,
        more_en=more_en,
        details={"problems": [p.to_dict() for p in problems]},
    )


def refuse(zh: str, en: str, row: int | None = None) -> LegacyArchiveInvalid:
    return invalid([Problem(row, None, zh, en)])


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse("清单文件不是 UTF-8 或 GB18030 编码", "manifest is neither UTF-8 nor GB18030")


def records_from_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(_decode_text(data), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise refuse("notices.csv 为空", "notices.csv is empty") from None
    except csv.Error as exc:
        raise refuse(f"CSV 格式错误：{exc}", f"CSV error: {exc}", row=1) from None
    columns = [_ALIAS_TO_FIELD.get(h.strip().lower()) for h in header]
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise invalid(
            [
                Problem(
                    1,
                    None,
                    "表头缺少列："
                    + "、".join(FIELD_LABELS[m] for m in missing)
                    + "（应为："
                    + ",".join(CSV_COLUMNS)
                    + "）",
                    "header lacks columns: " + ", ".join(missing),
                )
            ]
        )
    records = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            record = {col: cell.strip() for col, cell in zip(columns, cells, strict=False) if col}
            records.append((reader.line_num, record))
    except csv.Error as exc:
        raise refuse(f"CSV 格式错误：{exc}", f"CSV error: {exc}", row=reader.line_num) from None
    return records


_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.-]+)[\"'][^>]*\?>")


def records_from_xml(data: bytes) -> list[tuple[int, dict[str, str]]]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    source: bytes | str = data
    declared = _XML_DECL_RE.match(data[:300])
    if declared and declared[1].lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        # expat cannot read multi-byte encodings such as GBK: decode in Python instead.
        try:
            source = data[declared.end() :].decode(declared[1].decode())
        except (LookupError, UnicodeDecodeError) as exc:
            raise refuse(f"XML 编码错误：{exc}", f"XML encoding error: {exc}") from None
    try:
        root = fromstring(source)
    except (ParseError, DefusedXmlException) as exc:
        raise refuse(
            f"notices.xml 不是有效的 XML：{exc}", f"notices.xml is not valid XML: {exc}"
        ) from None
    records: list[tuple[int, dict[str, str]]] = []
    for element in root.iter():
        # Fields as child elements (<TONGZHISBM>210401</TONGZHISBM>) or as attributes.
        pairs = [(str(k), v) for k, v in element.attrib.items()]
        pairs += [(str(c.tag), c.text or "") for c in element]
        record: dict[str, str] = {}
        for key, value in pairs:
            name = _ALIAS_TO_FIELD.get(key.lower())
            if name and name not in record:
                record[name] = value.strip()
        if "code" in record:
            records.append((len(records) + 1, record))
    return records


def find_manifest(names: list[str]) -> tuple[str, str]:
    """(base folder, manifest name): at the root, or inside one top-level folder."""
    found = [n for n in names if n in MANIFESTS]
    if not found:
        nested = [n for n in names if n.count("/") == 1 and n.split("/")[1] in MANIFESTS]
        folders = {n.split("/")[0] for n in nested}
        if len(folders) == 1:
            found = nested
    if not found:
        raise refuse(
            "归档中没有 notices.csv 或 notices.xml",
            "the archive has neither notices.csv nor notices.xml",
        )
    if len(found) > 1:
        raise refuse(
            "归档中同时有 notices.csv 和 notices.xml，只能有一个",
            "the archive has both notices.csv and notices.xml; keep one",
        )
    manifest = found[0]
    base = manifest.rsplit("/", 1)[0] + "/" if "/" in manifest else ""
    return base, manifest


def open_source(path: Path) -> Source:
    if path.is_dir():
        return DirSource(path)
    if path.is_file():
        return ZipSource(path)
    raise refuse(f"找不到归档文件 {path}", f"no archive at {path}")
