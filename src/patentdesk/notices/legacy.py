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

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType

from patentdesk import timeutil
from patentdesk.notices.legacy_manifest import (
    CSV_COLUMNS,
    FIELD_ALIASES,
    MANIFESTS,
    MAX_MANIFEST_BYTES,
    REQUIRED_FIELDS,
    LegacyArchiveInvalid,
    Problem,
    Source,
    find_manifest,
    invalid,
    open_source,
    records_from_csv,
    records_from_xml,
    refuse,
)
from patentdesk.notices.types import is_known_notice_code, notice_type
from patentdesk.packages.numbers import (
    ApplicationNumberInvalid,
    parse_application_number,
    parse_patent_number,
)

__all__ = [
    "CSV_COLUMNS",
    "FIELD_ALIASES",
    "MANIFESTS",
    "LegacyArchive",
    "LegacyArchiveInvalid",
    "LegacyNotice",
    "Problem",
    "open_legacy_archive",
    "parse_legacy_archive",
]

MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_PROBLEMS = 200
EARLIEST_DISPATCH = date(1985, 4, 1)  # the Patent Law took effect
_SERIAL_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


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
        source = open_source(self.archive_path)
        try:
            return _read_member(source, self)
        finally:
            source.close()


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
    source: Source
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


def _read_member(source: Source, notice: LegacyNotice) -> bytes:
    try:
        with source.open(notice.file_name) as stream:
            data = stream.read(MAX_PDF_BYTES + 1)
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise invalid(
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
        raise invalid(
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
        self._source = open_source(self.path)
        try:
            self.notices, self.manifest, self.warnings = self._load()
        except BaseException:
            self._source.close()
            raise

    def _load(self) -> tuple[list[LegacyNotice], str, list[str]]:
        names = self._source.names()
        base, manifest = find_manifest(names)
        if self._source.size(manifest) > MAX_MANIFEST_BYTES:
            raise refuse("清单文件过大", "the manifest is too large")
        with self._source.open(manifest) as stream:
            data = stream.read()
        records = records_from_csv(data) if manifest.endswith(".csv") else records_from_xml(data)
        if not records:
            raise refuse(f"{manifest} 中没有通知书记录", f"{manifest} lists no notices")
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
            raise invalid(checker.problems)
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
