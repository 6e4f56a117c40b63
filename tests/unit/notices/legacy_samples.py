"""Sample legacy archives (seed A11) for tests: ZIP or folder, CSV or XML manifest.

    notices = sample_notices(3)
    path = write_archive(tmp_path / "legacy.zip", notices, manifest="xml")

Acceptance tests of the import command can use the same generator.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from patentdesk.packages.numbers import format_application_number

CSV_HEADER = ["通知书代码", "通知书名称", "申请号", "发明名称", "发文日", "发文序列号", "文件"]
XML_TAGS = {
    "pinyin": ("TONGZHISBM", "TONGZHISMC", "SHENQINGH", "FAMINGMC", "FAWENR", "fwSerial", "FILE"),
    "chinese": tuple(CSV_HEADER),
}


def tiny_pdf(label: str) -> bytes:
    """A small, well-formed one-page PDF whose bytes differ per label."""
    content = f"BT /F1 12 Tf 72 720 Td ({label}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


@dataclass(frozen=True)
class SampleNotice:
    code: str
    name: str
    application_number: str
    title: str
    dispatched_on: str  # as written in the manifest
    serial: str
    file: str  # as written in the manifest
    pdf: bytes

    def row(self) -> list[str]:
        return [
            self.code,
            self.name,
            self.application_number,
            self.title,
            self.dispatched_on,
            self.serial,
            self.file,
        ]


_KINDS = [
    ("210401", "第一次审查意见通知书"),
    ("210407", "驳回决定"),
    ("200101", "专利申请受理通知书"),
    ("210302", "补正通知书"),
    ("200701", "缴费通知书"),
]


def sample_notices(count: int = 3, *, year: int = 2022) -> list[SampleNotice]:
    notices = []
    for i in range(count):
        code, name = _KINDS[i % len(_KINDS)]
        serial = f"{year}0{(i % 9) + 1}1500{i:06d}"
        notices.append(
            SampleNotice(
                code=code,
                name=name,
                application_number=format_application_number(year - 1, 1, 100 + i),
                title=f"一种折叠式电动自行车（第{i + 1}号）",
                dispatched_on=f"{year}-0{(i % 9) + 1}-15",
                serial=serial,
                file=f"pdf/{serial}.pdf",
                pdf=tiny_pdf(f"notice {serial}"),
            )
        )
    return notices


def manifest_csv(notices: list[SampleNotice], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for notice in notices:
        writer.writerow(notice.row())
    return buf.getvalue().encode(encoding)


def manifest_xml(
    notices: list[SampleNotice], *, style: str = "pinyin", encoding: str = "utf-8"
) -> bytes:
    lines = [f'<?xml version="1.0" encoding="{encoding}"?>', "<notices>"]
    for notice in notices:
        if style == "attributes":
            attrs = " ".join(
                f"{tag}={quoteattr(value)}"
                for tag, value in zip(XML_TAGS["pinyin"], notice.row(), strict=True)
            )
            lines.append(f"  <notice {attrs}/>")
            continue
        lines.append("  <notice>")
        for tag, value in zip(XML_TAGS[style], notice.row(), strict=True):
            lines.append(f"    <{tag}>{escape(value)}</{tag}>")
        lines.append("  </notice>")
    lines.append("</notices>")
    return "\n".join(lines).encode(encoding)


def write_archive(
    dest: Path,
    notices: list[SampleNotice],
    *,
    manifest: str = "csv",
    container: str = "zip",
    encoding: str = "utf-8",
    xml_style: str = "pinyin",
    folder: str = "",
    extra_files: dict[str, bytes] | None = None,
    omit_pdfs: tuple[str, ...] = (),
) -> Path:
    """Writes an archive and returns its path. ``folder`` nests everything in one top-level
    folder; ``extra_files`` adds or replaces members; ``omit_pdfs`` leaves PDFs out."""
    if manifest == "csv":
        files = {"notices.csv": manifest_csv(notices, encoding)}
    else:
        files = {"notices.xml": manifest_xml(notices, style=xml_style, encoding=encoding)}
    for notice in notices:
        name = notice.file.replace("\\", "/")
        if name not in omit_pdfs:
            files[name] = notice.pdf
    files.update(extra_files or {})
    prefix = f"{folder}/" if folder else ""
    if container == "zip":
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(prefix + name, data)
    else:
        for name, data in files.items():
            target = dest / prefix / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return dest


def with_changes(notice: SampleNotice, **changes: object) -> SampleNotice:
    return replace(notice, **changes)  # type: ignore[arg-type]
