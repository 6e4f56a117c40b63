"""Reading legacy notice archives (旧系统通知书归档, seed A11).

An archive is a ZIP file or a folder holding one manifest — ``notices.csv`` or
``notices.xml`` — and the notices' PDFs (format in docs/notices.md). The manifest may also
sit in a single top-level folder, as happens when a folder is zipped. Parsing checks
everything before anything is imported and reports every problem at once, each naming the
record and the field; nothing is ever extracted to disk, so hostile paths cannot escape.

    with open_legacy_archive(path) as archive:
        for notice in archive.notices:
            pdf = archive.read_pdf(notice)

``parse_legacy_archive(path)`` returns the list directly; its notices' ``read_pdf()`` opens
the archive on each call, which suits small archives and tests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any

from patentdesk import timeutil
from patentdesk.errors import ValidationFailed
from patentdesk.filing.numbers import (
    ApplicationNumberInvalid,
    parse_application_number,
    parse_patent_number,
)
from patentdesk.notices.types import is_known_notice_code, notice_type

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
MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 200_000
MAX_PROBLEMS = 200
EARLIEST_DISPATCH = date(1985, 4, 1)  # the Patent Law took effect
_ALIAS_TO_FIELD = {alias.lower(): name for name, names in FIELD_ALIASES.items() for alias in names}
_SERIAL_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


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


@dataclass(frozen=True)
class LegacyNotice:
    """One notice of the archive, checked. ``known_type`` is False for a well-formed code
    PatentDesk does not know: the notice is kept (it can be downloaded again) and flagged."""

    code: str
    name: str
    application_number: str  # canonical, with the check character
    title: str
    dispatched_on: date
    serial: str  # 发文序列号, unique within the archive
    file_name: str  # path of the PDF inside the archive, '/'-separated
    pdf_sha256: str
    pdf_size: int
    known_type: bool
    row: int
    warnings: tuple[str, ...] = ()
    archive_path: Path = field(default=Path(), compare=False, repr=False)

    def read_pdf(self) -> bytes:
        """The PDF's bytes (opens the archive; in bulk use :func:`open_legacy_archive`)."""
        source = _open_source(self.archive_path)
        try:
            return _read_member(source, self)
        finally:
            source.close()


# ---- sources: a ZIP file or a folder ----------------------------------------------------


class _Source:
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


class _ZipSource(_Source):
    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise _refuse(f"不是有效的 ZIP 文件：{exc}", f"not a valid ZIP file: {exc}") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_ENTRIES:
            self.zip.close()
            raise _refuse("ZIP 条目过多", f"more than {MAX_ENTRIES} ZIP entries")
        self.entries = {_zip_name(i).replace("\\", "/"): i for i in infos if not i.is_dir()}

    def names(self) -> list[str]:
        return list(self.entries)

    def size(self, name: str) -> int:
        return self.entries[name].file_size

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(self.entries[name])

    def close(self) -> None:
        self.zip.close()


class _DirSource(_Source):
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
                    raise _refuse("文件过多", f"more than {MAX_ENTRIES} files")
        return out

    def size(self, name: str) -> int:
        return self._path(name).stat().st_size

    def open(self, name: str) -> IO[bytes]:
        return self._path(name).open("rb")


# ---- manifest parsing -------------------------------------------------------------------


def _invalid(problems: list[Problem]) -> LegacyArchiveInvalid:
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


def _refuse(zh: str, en: str, row: int | None = None) -> LegacyArchiveInvalid:
    return _invalid([Problem(row, None, zh, en)])


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("清单文件不是 UTF-8 或 GB18030 编码", "manifest is neither UTF-8 nor GB18030")


def _records_from_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(_decode_text(data), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _refuse("notices.csv 为空", "notices.csv is empty") from None
    except csv.Error as exc:
        raise _refuse(f"CSV 格式错误：{exc}", f"CSV error: {exc}", row=1) from None
    columns = [_ALIAS_TO_FIELD.get(h.strip().lower()) for h in header]
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise _invalid(
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
        raise _refuse(f"CSV 格式错误：{exc}", f"CSV error: {exc}", row=reader.line_num) from None
    return records


_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.-]+)[\"'][^>]*\?>")


def _records_from_xml(data: bytes) -> list[tuple[int, dict[str, str]]]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    source: bytes | str = data
    declared = _XML_DECL_RE.match(data[:300])
    if declared and declared[1].lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        # expat cannot read multi-byte encodings such as GBK: decode in Python instead.
        try:
            source = data[declared.end() :].decode(declared[1].decode())
        except (LookupError, UnicodeDecodeError) as exc:
            raise _refuse(f"XML 编码错误：{exc}", f"XML encoding error: {exc}") from None
    try:
        root = fromstring(source)
    except (ParseError, DefusedXmlException) as exc:
        raise _refuse(
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


# ---- checking one record ----------------------------------------------------------------


def _parse_date(text: str) -> date | None:
    value = text.strip()
    # Database dumps append a time of day ("2024-03-01 00:00:00"); the date is what counts.
    value = (
        re.split(r"[ T]", value, maxsplit=1)[0]
        if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", value)
        else value
    )
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _safe_member(name: str) -> str | None:
    """The '/'-separated relative path, or None when the name could escape the archive."""
    cleaned = name.strip().replace("\\", "/")
    if (
        not cleaned
        or "\x00" in cleaned
        or cleaned.startswith("/")
        or re.match(r"^[A-Za-z]:", cleaned)
    ):
        return None
    parts = [p for p in PurePosixPath(cleaned).parts if p != "."]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


@dataclass
class _Checker:
    source: _Source
    names: set[str]
    base: str  # folder of the manifest inside the archive, '' or 'name/'
    archive_path: Path
    unit: str = "行"
    problems: list[Problem] = field(default_factory=list)
    serial_rows: dict[str, int] = field(default_factory=dict)
    file_rows: dict[str, int] = field(default_factory=dict)

    def problem(self, row: int, name: str | None, zh: str, en: str) -> None:
        self.problems.append(Problem(row, name, zh, en, self.unit))

    def check(self, row: int, record: dict[str, str]) -> LegacyNotice | None:
        before = len(self.problems)
        warnings: list[str] = []
        for name in REQUIRED_FIELDS:
            if not record.get(name):
                self.problem(row, name, "缺失", "is missing")
        if len(self.problems) > before:
            return None
        code = record["code"]
        known = False
        if not re.fullmatch(r"\d{6}", code):
            self.problem(row, "code", f"“{code}”不是 6 位数字", f"'{code}' is not six digits")
        else:
            known = is_known_notice_code(code)
            if not known:
                warnings.append(f"未知的通知书代码 {code}，按原样导入")
        name = record.get("name", "")
        if known:
            type_name = notice_type(code).name_zh
            if not name:
                name = type_name
            elif name != type_name:
                warnings.append(f"通知书名称“{name}”与代码 {code} 的名称“{type_name}”不同")
        app = self._application_number(row, record["application_number"], warnings)
        dispatched = self._dispatch_date(row, record["dispatched_on"])
        serial = record["serial"]
        if not _SERIAL_RE.match(serial):
            self.problem(
                row,
                "serial",
                f"“{serial}”含有不允许的字符",
                f"'{serial}' has characters other than letters, digits, - and _",
            )
        elif serial in self.serial_rows:
            first = self.serial_rows[serial]
            self.problem(
                row,
                "serial",
                f"{serial} 与第 {first} {self.unit}重复",
                f"{serial} duplicates row {first}",
            )
        else:
            self.serial_rows[serial] = row
        member = self._member(row, record.get("file") or f"{serial}.pdf", warnings)
        if len(self.problems) > before or app is None or dispatched is None or member is None:
            return None
        digest, size = self._pdf(row, member)
        if digest is None:
            return None
        return LegacyNotice(
            code=code,
            name=name,
            application_number=app,
            title=record.get("title", ""),
            dispatched_on=dispatched,
            serial=serial,
            file_name=member,
            pdf_sha256=digest,
            pdf_size=size,
            known_type=known,
            row=row,
            warnings=tuple(warnings),
            archive_path=self.archive_path,
        )

    def _application_number(self, row: int, text: str, warnings: list[str]) -> str | None:
        try:
            if text.strip().upper().startswith("ZL"):
                parsed = parse_patent_number(text)
            else:
                parsed = parse_application_number(text)
        except ApplicationNumberInvalid as exc:
            self.problem(row, "application_number", exc.zh, exc.en)
            return None
        if parsed.check is None:
            warnings.append(f"申请号 {text} 缺少校验位，已补为 {parsed}")
        return str(parsed)

    def _dispatch_date(self, row: int, text: str) -> date | None:
        day = _parse_date(text)
        if day is None:
            self.problem(
                row,
                "dispatched_on",
                f"“{text}”不是日期（应为 YYYY-MM-DD）",
                f"'{text}' is not a date (YYYY-MM-DD)",
            )
        elif day < EARLIEST_DISPATCH:
            self.problem(
                row, "dispatched_on", f"{day} 早于 1985-04-01", f"{day} is before 1985-04-01"
            )
        elif day > timeutil.beijing_date():
            self.problem(row, "dispatched_on", f"{day} 晚于今天", f"{day} is in the future")
        else:
            return day
        return None

    def _member(self, row: int, given: str, warnings: list[str]) -> str | None:
        relative = _safe_member(given)
        if relative is None:
            self.problem(
                row,
                "file",
                f"文件名“{given}”不安全（绝对路径或含 ..）",
                f"file name '{given}' is unsafe (absolute or contains ..)",
            )
            return None
        member = self.base + relative
        if member not in self.names:
            self.problem(
                row, "file", f"归档中没有文件 {relative}", f"the archive has no file {relative}"
            )
            return None
        if member in self.file_rows:
            warnings.append(f"文件 {relative} 也用于第 {self.file_rows[member]} {self.unit}")
        else:
            self.file_rows[member] = row
        return member

    def _pdf(self, row: int, member: str) -> tuple[str | None, int]:
        size = self.source.size(member)
        if size > MAX_PDF_BYTES:
            self.problem(
                row,
                "file",
                f"{member} 超过 {MAX_PDF_BYTES // 2**20} MB",
                f"{member} exceeds {MAX_PDF_BYTES // 2**20} MB",
            )
            return None, size
        digest = hashlib.sha256()
        total = 0
        try:
            with self.source.open(member) as stream:
                head = stream.read(5)
                if head != b"%PDF-":
                    self.problem(row, "file", f"{member} 不是 PDF 文件", f"{member} is not a PDF")
                    return None, size
                digest.update(head)
                total = len(head)
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_PDF_BYTES:  # the size in a ZIP header can lie
                        self.problem(
                            row,
                            "file",
                            f"{member} 超过大小上限",
                            f"{member} exceeds the size limit",
                        )
                        return None, size
                    digest.update(chunk)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:
            # RuntimeError: an encrypted entry; BadZipFile: a CRC mismatch.
            self.problem(row, "file", f"无法读取 {member}：{exc}", f"cannot read {member}: {exc}")
            return None, size
        return digest.hexdigest(), total


# ---- the archive ------------------------------------------------------------------------


def _find_manifest(names: list[str]) -> tuple[str, str]:
    """(base folder, manifest name): at the root, or inside one top-level folder."""
    found = [n for n in names if n in MANIFESTS]
    if not found:
        nested = [n for n in names if n.count("/") == 1 and n.split("/")[1] in MANIFESTS]
        folders = {n.split("/")[0] for n in nested}
        if len(folders) == 1:
            found = nested
    if not found:
        raise _refuse(
            "归档中没有 notices.csv 或 notices.xml",
            "the archive has neither notices.csv nor notices.xml",
        )
    if len(found) > 1:
        raise _refuse(
            "归档中同时有 notices.csv 和 notices.xml，只能有一个",
            "the archive has both notices.csv and notices.xml; keep one",
        )
    manifest = found[0]
    base = manifest.rsplit("/", 1)[0] + "/" if "/" in manifest else ""
    return base, manifest


def _open_source(path: Path) -> _Source:
    if path.is_dir():
        return _DirSource(path)
    if path.is_file():
        return _ZipSource(path)
    raise _refuse(f"找不到归档文件 {path}", f"no archive at {path}")


def _read_member(source: _Source, notice: LegacyNotice) -> bytes:
    try:
        with source.open(notice.file_name) as stream:
            data = stream.read(MAX_PDF_BYTES + 1)
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise _invalid(
            [
                Problem(
                    notice.row,
                    "file",
                    f"无法读取 {notice.file_name}：{exc}",
                    f"cannot read {notice.file_name}: {exc}",
                )
            ]
        ) from None
    # The archive may have changed since it was checked: hand out only what was checked.
    if len(data) > MAX_PDF_BYTES or hashlib.sha256(data).hexdigest() != notice.pdf_sha256:
        raise _invalid(
            [
                Problem(
                    notice.row,
                    "file",
                    f"{notice.file_name} 在检查后被改动",
                    f"{notice.file_name} changed after the archive was checked",
                )
            ]
        )
    return data


class LegacyArchive:
    """An open, checked archive. Use as a context manager; ``read_pdf`` reads lazily."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._source = _open_source(self.path)
        try:
            self.notices, self.manifest, self.warnings = self._load()
        except BaseException:
            self._source.close()
            raise

    def _load(self) -> tuple[list[LegacyNotice], str, list[str]]:
        names = self._source.names()
        base, manifest = _find_manifest(names)
        if self._source.size(manifest) > MAX_MANIFEST_BYTES:
            raise _refuse("清单文件过大", "the manifest is too large")
        with self._source.open(manifest) as stream:
            data = stream.read()
        records = _records_from_csv(data) if manifest.endswith(".csv") else _records_from_xml(data)
        if not records:
            raise _refuse(f"{manifest} 中没有通知书记录", f"{manifest} lists no notices")
        unit = "行" if manifest.endswith(".csv") else "条"
        checker = _Checker(self._source, set(names), base, self.path, unit)
        notices = []
        for row, record in records:
            notice = checker.check(row, record)
            if notice is not None:
                notices.append(notice)
            if len(checker.problems) >= MAX_PROBLEMS:
                break
        if checker.problems:
            raise _invalid(checker.problems)
        referenced = set(checker.file_rows)
        unreferenced = sorted(
            n
            for n in names
            if n.startswith(base) and n.lower().endswith(".pdf") and n not in referenced
        )
        warnings = [f"归档中的 {n} 未在清单中列出，已忽略" for n in unreferenced]
        return notices, manifest, warnings

    def read_pdf(self, notice: LegacyNotice) -> bytes:
        """The notice's PDF, checked against the SHA-256 taken when the archive was opened."""
        return _read_member(self._source, notice)

    def __iter__(self) -> Iterator[LegacyNotice]:
        return iter(self.notices)

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> LegacyArchive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_legacy_archive(path: str | Path) -> LegacyArchive:
    """Opens and checks an archive (every record, every PDF hashed); raises
    :class:`LegacyArchiveInvalid` listing every problem."""
    return LegacyArchive(path)


def parse_legacy_archive(path: str | Path) -> list[LegacyNotice]:
    """Every notice of the archive, checked, in manifest order (see the module docstring)."""
    with open_legacy_archive(path) as archive:
        return list(archive.notices)
