"""Structured text parts: claims, description, abstract and drawings read from a Word
document or a CNIPA XML file, and what the package keeps of them.

A text part added from Word (``.docx``) or CNIPA XML becomes, under ``attachments/<role>/``:

- ``<stem>.pdf`` — the rendering the office reads (paragraph numbers, tables, formulas and
  pictures in place);
- ``<stem>.txt`` — the plain text the rules read (claims as ``1. …`` lines, description
  paragraphs as ``[0001] …`` under their section headings);
- ``<stem>.json`` — the structure (``patentdesk-text/1``): numbered claims, numbered
  paragraphs with their section, the sections, tables, formulas, pictures and figures;
- ``<stem>.docx`` or ``<stem>.xml`` — the original, kept as the source.

Drawings become one image per figure (``<stem>-fig-<N>.png``) instead of a PDF. The readers
(:mod:`patentdesk.packages.docx_in`, :mod:`patentdesk.packages.cnipa_xml`) produce a
:class:`TextDocument`; this module turns it into those files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from patentdesk.packages.registry import JPEG, PNG, ROLES, TEXT, TIFF, XML

FORMAT = "patentdesk-text/1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STRUCTURED = "application/vnd.patentdesk.text+json"
SOURCE_TYPES = frozenset({TEXT, DOCX, XML, STRUCTURED})
"""Media types kept beside a rendering; never what the office reads (except XML where the
role takes XML itself: an ST.26 sequence listing)."""
SOURCE_SUFFIXES = (".txt", ".json", ".docx", ".xml")

# The sections of a description (Implementing Regulations r. 17) in their required order.
SECTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("technical_field", "技术领域", "Technical field", ("technical field",)),
    ("background_art", "背景技术", "Background art", ("background art", "background")),
    (
        "summary",
        "发明内容",
        "Summary",
        (
            "实用新型内容",
            "summary",
            "summary of the invention",
            "disclosure",
            "disclosure of the invention",
        ),
    ),
    (
        "drawings_description",
        "附图说明",
        "Description of drawings",
        (
            "description of drawings",
            "brief description of the drawings",
            "brief description of drawings",
        ),
    ),
    (
        "embodiments",
        "具体实施方式",
        "Detailed description",
        (
            "detailed description",
            "description of embodiments",
            "mode for invention",
            "detailed description of the embodiments",
        ),
    ),
)
SECTION_LABELS = {key: zh for key, zh, _, _ in SECTIONS}
_SECTION_BY_NAME = {name.lower(): key for key, zh, en, alt in SECTIONS for name in (zh, en, *alt)}
_PARA_NUMBER = re.compile(r"^\s*[\[【]\s*\d{1,5}\s*[\]】]\s*")
FIGURE_LABEL = re.compile(r"(?:图|[Ff][Ii][Gg](?:ure|\.)?)\s*(\d{1,3})")


def is_source(media_type: str, role: str) -> bool:
    """True for a kept source or structure file (``.txt``, ``.docx``, ``.json``, CNIPA
    ``.xml``) beside the rendering of a role, which the office does not read."""
    spec = ROLES.get(role)
    return media_type in SOURCE_TYPES and (spec is None or media_type not in spec.media_types)


def section_key(text: str) -> str | None:
    """The section a heading line names (``技术领域``, ``Background Art`` …), or None."""
    name = re.sub(r"[\s:：]+$", "", text.strip()).lower()
    name = re.sub(r"^[一二三四五六七八九十\d]+\s*[、.．]\s*", "", name)
    return _SECTION_BY_NAME.get(name) if len(name) <= 40 else None


def strip_paragraph_number(text: str) -> str:
    """Paragraph text without the author's own ``[0001]`` (the package numbers them)."""
    return _PARA_NUMBER.sub("", text, count=1)


@dataclass
class Picture:
    """An image inside the text (a formula, a chemical structure, a table as picture)."""

    name: str
    media_type: str
    data: bytes | None  # None: a format we cannot show (EMF/WMF); listed, not drawn
    kind: str = "image"  # "image" or "formula"

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else None


@dataclass
class Block:
    """One item of the body, in reading order."""

    kind: str  # "heading", "paragraph", "claim", "table", "picture"
    text: str = ""
    number: int | None = None  # claim number, or paragraph number
    section: str | None = None
    rows: list[list[str]] = field(default_factory=list)
    picture: Picture | None = None
    formulas: list[str] = field(default_factory=list)  # formulas written in the text


@dataclass
class Figure:
    """A drawing (说明书附图): one picture with its number."""

    number: int
    data: bytes
    media_type: str
    caption: str = ""

    @property
    def label(self) -> str:
        return f"图{self.number}"


@dataclass
class TextDocument:
    role: str
    title: str | None = None
    blocks: list[Block] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def claims(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "claim"]

    @property
    def paragraphs(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "paragraph"]

    def number_paragraphs(self) -> None:
        """Numbers the description's paragraphs [0001]… in order (headings are not)."""
        n = 0
        for block in self.blocks:
            if block.kind == "paragraph":
                n += 1
                block.number = n

    def assign_sections(self) -> None:
        current: str | None = None
        for block in self.blocks:
            if block.kind == "heading":
                current = block.section
            elif block.section is None:
                block.section = current


def paragraph_label(number: int | None) -> str:
    return f"[{number:04d}]" if number is not None else ""


def _label(number: int | None) -> str | None:
    return f"{number:04d}" if number is not None else None


def _cell(text: str) -> str:
    return " ".join(text.split())


def plain_text(doc: TextDocument) -> str:
    """The text the rules read: what ``claims.numbering``, ``abstract.length`` … parse."""
    lines: list[str] = []
    if doc.title:
        lines.append(doc.title)
    for block in doc.blocks:
        if block.kind == "claim":
            lines.append(f"{block.number}. {block.text}")
        elif block.kind == "heading":
            lines.append(block.text)
        elif block.kind == "paragraph":
            label = paragraph_label(block.number)
            lines.append(f"{label} {block.text}" if label else block.text)
        elif block.kind == "table":
            lines.extend(" | ".join(_cell(c) for c in row) for row in block.rows)
    for figure in doc.figures:
        lines.append(f"{figure.label} {figure.caption}".strip())
    return "\n".join(lines) + "\n"


def structure(
    doc: TextDocument, source: str | None, figure_paths: dict[int, str] | None = None
) -> dict[str, Any]:
    """The ``patentdesk-text/1`` JSON: what later checks read without parsing text again."""
    figure_paths = figure_paths or {}
    data: dict[str, Any] = {"format": FORMAT, "role": doc.role, "source": source}
    if doc.title:
        data["title"] = doc.title
    if doc.role == "claims" or doc.claims:
        data["claims"] = [{"number": b.number, "text": b.text} for b in doc.claims]
    paragraphs = doc.paragraphs
    if paragraphs:
        data["paragraphs"] = [
            {"number": _label(b.number), "section": b.section, "text": b.text} for b in paragraphs
        ]
    sections: list[dict[str, Any]] = []
    tables: list[dict[str, Any]] = []
    pictures: list[dict[str, Any]] = []
    formulas: list[dict[str, Any]] = []
    after: str | None = None  # the paragraph an object follows
    for block in doc.blocks:
        if block.kind == "heading":
            sections.append(
                {"key": block.section, "heading": block.text, "first": None, "last": None}
            )
        elif block.kind == "paragraph":
            after = _label(block.number)
            if sections and after:
                sections[-1]["first"] = sections[-1]["first"] or after
                sections[-1]["last"] = after
            formulas.extend({"paragraph": after, "kind": "text", "text": f} for f in block.formulas)
        elif block.kind == "claim":
            formulas.extend(
                {"claim": block.number, "kind": "text", "text": f} for f in block.formulas
            )
        elif block.kind == "table":
            tables.append({"after": after, "rows": block.rows})
        elif block.kind == "picture" and block.picture is not None:
            p = block.picture
            entry: dict[str, Any] = {
                "after": after,
                "name": p.name,
                "media_type": p.media_type,
                "sha256": p.sha256,
                "shown": p.data is not None,
            }
            if p.kind == "formula":
                formulas.append({**entry, "kind": "image"})
            else:
                pictures.append(entry)
    if sections or doc.role == "description":
        data["sections"] = sections
    if tables:
        data["tables"] = tables
    if pictures:
        data["pictures"] = pictures
    if formulas:
        data["formulas"] = formulas
    if doc.figures:
        data["figures"] = [
            {
                "number": f.number,
                "label": f.label,
                "caption": f.caption,
                "path": figure_paths.get(f.number),
                "media_type": f.media_type,
            }
            for f in doc.figures
        ]
    if doc.notes:
        data["notes"] = doc.notes
    return data


def load_structure(package: Any, entry: Any) -> dict[str, Any] | None:
    """The structure in a package entry (a ``ManifestFile``), or None when it is not one."""
    if entry.media_type != STRUCTURED:
        return None
    try:
        data = json.loads(package.read_bytes(entry.path))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    data["path"] = entry.path
    return data


def structure_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _pdf_picture(picture: Picture) -> bytes | None:
    """PNG or JPEG bytes reportlab can draw (GIF, BMP, TIFF are converted)."""
    if picture.data is None:
        return None
    if picture.media_type in (PNG, JPEG):
        return picture.data
    from PIL import Image

    with Image.open(io.BytesIO(picture.data)) as img:
        out = io.BytesIO()
        img.convert("RGBA" if img.mode in ("P", "LA", "RGBA") else "RGB").save(out, "PNG")
        return out.getvalue()


def render_pdf(doc: TextDocument) -> bytes:
    """The rendering the office reads: numbered paragraphs and claims, tables and pictures
    in place; never a raw tag."""
    from patentdesk import pdf

    blocks: list[pdf.Block] = []
    for block in doc.blocks:
        if block.kind == "heading":
            blocks.append(pdf.Heading(block.text))
        elif block.kind == "claim":
            blocks.append(f"{block.number}. {block.text}")
        elif block.kind == "paragraph":
            label = paragraph_label(block.number)
            blocks.append(f"{label} {block.text}" if label else block.text)
        elif block.kind == "table" and block.rows:
            width = max(len(r) for r in block.rows)
            rows = [[_cell(c) for c in r] + [""] * (width - len(r)) for r in block.rows]
            blocks.append(pdf.Table(columns=rows[0], rows=rows[1:]))
        elif block.kind == "picture" and block.picture is not None:
            data = _pdf_picture(block.picture)
            if data is None:
                blocks.append(
                    f"〔{block.picture.name}：无法显示的图像格式 / image format not shown〕"
                )
            else:
                blocks.append(pdf.Picture(data))
    for figure in doc.figures:
        picture = Picture(figure.label, figure.media_type, figure.data)
        blocks.append(pdf.Picture(_pdf_picture(picture) or b"", caption=figure.label))
    title = ROLES[doc.role].zh if doc.role in ROLES else ""
    heading = [pdf.Heading(doc.title)] if doc.title and doc.role == "description" else []
    return pdf.render_blocks(title, [*heading, *blocks])


def figure_name(stem: str, figure: Figure) -> str:
    ext = {PNG: ".png", JPEG: ".jpg", TIFF: ".tif"}[figure.media_type]
    return f"{stem}-fig-{figure.number}{ext}"
