"""Word documents (``.docx``) in: claims, description, abstract and drawings written in Word
become a :class:`~patentdesk.packages.textparts.TextDocument`.

The document is read with python-docx. Before python-docx sees it, the archive passes the
same hostile-ZIP checks as a case package (entry count, sizes, compression ratio, names,
encryption) with limits fit for a document, its content types are read with defusedxml,
every XML part is refused if it declares a DTD (entity bombs), and macro-enabled documents
(``.docm``, a ``vbaProject.bin``) and old binary ``.doc`` files are refused by name.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from defusedxml.ElementTree import iterparse as defused_iterparse

from patentdesk.packages import errors as e
from patentdesk.packages.registry import JPEG, PNG, ROLES, TIFF
from patentdesk.packages.textparts import (
    FIGURE_LABEL,
    Block,
    Figure,
    Picture,
    TextDocument,
    section_key,
    strip_paragraph_number,
)
from patentdesk.packages.zipsafe import READ_ERRORS, Limits, check_entries, open_checked

MiB = 1024 * 1024
MAX_DOCX = 100 * MiB
DOCX_LIMITS = Limits(
    max_entries=2000,
    max_entry_size=200 * MiB,
    max_total_size=400 * MiB,
    max_ratio=100.0,
    ratio_floor=1 * MiB,
)
MAIN_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_TYPES = (
    "application/vnd.ms-word.document.macroenabled.main+xml",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
    "application/vnd.ms-office.vbaproject",
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
CLAIM_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.、．]\s*(?!\d)")
HEADING_STYLE = re.compile(r"^(heading|标题)\s*\d*$", re.I)
_GIF = "image/gif"
_BMP = "image/bmp"


def is_docx_head(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def is_ole_head(head: bytes) -> bool:
    return head.startswith(OLE_MAGIC)


class _Refuse:
    """Builds the bilingual error for one file and role."""

    def __init__(self, name: str, role: str) -> None:
        self.name, self.role = name, role

    def __call__(self, zh: str, en: str) -> e.DocumentInvalid:
        spec = ROLES.get(self.role)
        return e.DocumentInvalid.bilingual(  # type: ignore[return-value]
            {"name": self.name, "role": spec.zh if spec else self.role, "reason": zh},
            {"name": self.name, "role": spec.en if spec else self.role, "reason": en},
        )


def check_docx(stream: BinaryIO, size: int, name: str, role: str) -> None:
    """Refuses what is not a plain Word document before any parser reads it."""
    refuse = _Refuse(name, role)
    if size > MAX_DOCX:
        raise refuse(
            f"文件过大（{size} 字节，上限 {MAX_DOCX} 字节）",
            f"the file is too large ({size} bytes, limit {MAX_DOCX})",
        )
    head = stream.read(8)
    stream.seek(0)
    if is_ole_head(head):
        raise refuse(
            "这是旧版 Word 97-2003 (.doc) 文件，请在 Word 中另存为 .docx",
            "this is an old Word 97-2003 (.doc) file; save it as .docx in Word",
        )
    if not is_docx_head(head):
        raise refuse("不是 Word 文档（.docx）", "not a Word document (.docx)")
    try:
        zf = open_checked(stream, size, DOCX_LIMITS)
        infos = check_entries(zf, DOCX_LIMITS)
    except e.PackageError as exc:
        # The archive checks speak of "case package entries"; name the document instead.
        raise refuse(
            f"不是有效的 Word 文档：{exc.zh}", f"not a valid Word document: {exc.en}"
        ) from exc
    names = {i.filename.lower(): i for i in infos}
    types_info = names.get("[content_types].xml")
    if types_info is None or "word/document.xml" not in names:
        raise refuse(
            "不是 Word 文档（缺少 word/document.xml）", "not a Word document (no word/document.xml)"
        )
    if types_info.file_size > 1 * MiB:
        raise refuse("内容类型表过大", "the content-types part is too large")
    try:
        types = defused_fromstring(zf.read(types_info), forbid_dtd=True)
    except (DefusedXmlException, *READ_ERRORS, Exception) as exc:
        raise refuse(
            "内容类型表无法读取", f"the content-types part cannot be read ({type(exc).__name__})"
        ) from exc
    content_types = {
        (el.get("PartName") or el.get("Extension") or "").lower(): (
            el.get("ContentType") or ""
        ).lower()
        for el in types.iter()
        if el.get("ContentType")
    }
    if "word/vbaproject.bin" in names or any(t in MACRO_TYPES for t in content_types.values()):
        raise refuse(
            "含有宏的 Word 文档（.docm）不接受，请另存为不含宏的 .docx",
            "macro-enabled Word documents (.docm) are not accepted; save it as a .docx without macros",
        )
    if content_types.get("/word/document.xml") != MAIN_DOCUMENT:
        raise refuse(
            f"不是 Word 文档（主文档类型为 {content_types.get('/word/document.xml') or '无'}）",
            "not a Word document (main part type "
            f"{content_types.get('/word/document.xml') or 'none'})",
        )
    for info in infos:
        lower = info.filename.lower()
        if lower.endswith((".xml", ".rels")):
            _refuse_dtd(zf, info, refuse)


def _refuse_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo, refuse: _Refuse) -> None:
    """A DTD can only come before the root element: parse up to it and stop."""
    try:
        with zf.open(info) as fh:
            for _event, _el in defused_iterparse(fh, events=("start",), forbid_dtd=True):
                break
    except DefusedXmlException as exc:
        raise refuse(
            f"{info.filename} 含有 DTD 或实体声明，不接受",
            f"{info.filename} declares a DTD or entities; refused",
        ) from exc
    except Exception as exc:  # a damaged part: name it
        raise refuse(
            f"{info.filename} 不是有效的 XML",
            f"{info.filename} is not well-formed XML ({type(exc).__name__})",
        ) from exc


# --------------------------------------------------------------------------- reading


MAX_PICTURE_PIXELS = 40_000_000  # an A4 page at 600 dpi is 35 Mpx; more is a bomb


def _image(drawing: Any, kind: str = "image") -> Picture:
    try:
        image = drawing.image
        pixels = int(image.px_width) * int(image.px_height)
    except Exception:  # EMF/WMF and linked pictures: python-docx cannot read their headers
        return Picture("image", "application/octet-stream", None, kind)
    if pixels > MAX_PICTURE_PIXELS:
        # Decoding it would take gigabytes (a decompression bomb): listed, never drawn.
        return Picture(f"{image.filename or 'image'} ({pixels} px)", image.content_type, None, kind)
    return Picture(image.filename or "image", image.content_type, image.blob, kind)


def _formula_text(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(f"{M}t")).strip()


def _paragraph_items(paragraph: Any) -> Iterator[str | Picture]:
    """Text pieces, formulas (as ``⟨…⟩`` text) and pictures of one paragraph, in order."""
    from docx.drawing import Drawing
    from docx.text.hyperlink import Hyperlink
    from docx.text.run import Run

    def runs_of(element: Any) -> Iterator[Any]:
        for child in element:
            tag = child.tag
            if tag == f"{W}r":
                yield Run(child, paragraph)
            elif tag == f"{W}hyperlink":
                yield from Hyperlink(child, paragraph).runs
            elif (
                tag
                in (f"{W}ins", f"{W}smartTag", f"{W}fldSimple", f"{W}customXml", f"{W}sdtContent")
                or tag == f"{W}sdt"
            ):
                yield from runs_of(child)
            elif tag in (f"{M}oMath", f"{M}oMathPara"):
                yield child
            # w:del (tracked deletions) and everything else: not part of the text

    # python-docx exposes the paragraph's lxml element as ``_p`` (its documented extension
    # point); OMML formulas and tracked changes are not modelled by its objects.
    for item in runs_of(paragraph._p):
        if not isinstance(item, Run):
            text = _formula_text(item)
            if text:
                yield Picture(text, "text/x-formula", None, "formula-text")
            continue
        for piece in item.iter_inner_content():
            if isinstance(piece, str):
                yield piece
            elif isinstance(piece, Drawing) and piece.has_picture:
                yield _image(piece)
        if item.element.find(f".//{W}object") is not None:
            # An embedded OLE object (e.g. a MathType formula): only its preview exists.
            yield Picture("embedded object", "application/x-ole-object", None, "formula")


def _table_rows(table: Any) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            cells.append(cell.text.strip())
        rows.append(cells)
    return rows


def _style_names(document: Any) -> dict[str, str]:
    """Style id → name, read once: python-docx looks a paragraph's style up by scanning
    every style, which made a 300-page document spend most of its time there."""
    names: dict[str, str] = {}
    try:
        for style in document.styles:
            if style.style_id:
                names[style.style_id] = str(style.name or "")
    except Exception:  # a damaged styles part: headings are then found by their text
        return {}
    return names


def _style_name(paragraph: Any, names: dict[str, str]) -> str:
    style_id = paragraph._p.style
    return names.get(style_id, "") if style_id else ""


def _is_numbered(paragraph: Any) -> bool:
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def read_docx(stream: BinaryIO, size: int, name: str, role: str) -> TextDocument:
    """Reads a checked Word document as ``role``: claims, description, abstract, drawings …"""
    check_docx(stream, size, name, role)
    refuse = _Refuse(name, role)
    import docx
    from docx.table import Table as DocxTable

    stream.seek(0)
    try:
        document = docx.Document(stream)
        items = list(document.iter_inner_content())
        styles = _style_names(document)
    except Exception as exc:  # damaged parts surface as anything from lxml or zipfile
        raise refuse(
            "Word 文档已损坏，无法读取", f"the Word document is damaged ({type(exc).__name__})"
        ) from exc
    builder = _Builder(role, refuse)
    for item in items:
        if isinstance(item, DocxTable):
            builder.table(_table_rows(item))
        else:
            builder.paragraph(
                list(_paragraph_items(item)), _style_name(item, styles), _is_numbered(item)
            )
    return builder.finish()


class _Builder:
    """Turns the paragraphs of a document into the blocks of one role."""

    def __init__(self, role: str, refuse: _Refuse) -> None:
        self.doc = TextDocument(role)
        self.refuse = refuse
        self.kind = {
            "claims": "claims",
            "description": "description",
            "drawings": "drawings",
            "abstract_drawing": "drawings",
            "design_views": "drawings",
        }.get(role, "text")
        self.pending_figures: list[Picture] = []
        self.seen_heading = False

    def table(self, rows: list[list[str]]) -> None:
        if rows:
            self.doc.blocks.append(Block("table", rows=rows))

    def paragraph(self, items: list[str | Picture], style: str, numbered: bool) -> None:
        text_parts: list[str] = []
        pictures: list[Picture] = []
        formulas: list[str] = []
        for item in items:
            if isinstance(item, str):
                text_parts.append(item)
            elif item.kind == "formula-text":
                text_parts.append(item.name)
                formulas.append(item.name)
            else:
                pictures.append(item)
        text = "".join(text_parts).replace("\t", " ").strip()
        if self.kind == "drawings":
            self._drawings(text, pictures)
            return
        if text:
            self._text(text, style, numbered, formulas)
        for picture in pictures:
            if picture.kind == "image" and text:
                # A picture set inside a line of text is a formula (or a chemical formula)
                # written as an image, as patent drafters do; one on its own is a picture.
                picture.kind = "formula"
            self.doc.blocks.append(Block("picture", picture=picture))
            if picture.data is None:
                self.doc.notes.append(
                    f"{picture.name}: 图像格式无法显示 / image format cannot be shown"
                )

    def _text(self, text: str, style: str, numbered: bool, formulas: list[str]) -> None:
        doc = self.doc
        if self.kind == "claims":
            m = CLAIM_NUMBER.match(text)
            if m:
                doc.blocks.append(
                    Block("claim", text[m.end() :].strip(), int(m.group(1)), formulas=formulas)
                )
            elif numbered:
                doc.blocks.append(Block("claim", text, len(doc.claims) + 1, formulas=formulas))
            elif doc.claims:
                claim = doc.claims[-1]
                claim.text += "\n" + text
                claim.formulas.extend(formulas)
            elif text.replace(" ", "") != ROLES["claims"].zh:
                doc.blocks.append(Block("paragraph", text, formulas=formulas))
            return
        if self.kind == "description":
            key = section_key(text)
            if key is not None or (HEADING_STYLE.match(style) and len(text) <= 40):
                self.seen_heading = True
                doc.blocks.append(Block("heading", text.rstrip("：:"), section=key))
                return
            if (
                not self.seen_heading
                and doc.title is None
                and not doc.paragraphs
                and len(text) <= 60
            ):
                # The description starts with the title of the invention (r. 17).
                doc.title = strip_paragraph_number(text)
                return
            doc.blocks.append(Block("paragraph", strip_paragraph_number(text), formulas=formulas))
            return
        if text.replace(" ", "") == (ROLES[doc.role].zh if doc.role in ROLES else None):
            return  # the part's own heading (说明书摘要 …)
        doc.blocks.append(Block("paragraph", text, formulas=formulas))

    def _drawings(self, text: str, pictures: list[Picture]) -> None:
        label = FIGURE_LABEL.search(text) if text else None
        for picture in pictures:
            self._add_figure(picture, None)
        if label and self.doc.figures and not self.doc.figures[-1].caption:
            # A caption line «图1» under (or beside) the picture names it.
            figure = self.doc.figures[-1]
            figure.number = int(label.group(1))
            figure.caption = text

    def _add_figure(self, picture: Picture, number: int | None) -> None:
        number = number or (self.doc.figures[-1].number + 1 if self.doc.figures else 1)
        data, media = _figure_image(picture, self.refuse, number)
        self.doc.figures.append(Figure(number, data, media))

    def finish(self) -> TextDocument:
        doc = self.doc
        if self.kind == "description":
            doc.number_paragraphs()
            doc.assign_sections()
        if self.kind == "drawings":
            numbers = [f.number for f in doc.figures]
            if not numbers:
                raise self.refuse("文档中没有图片", "the document holds no picture")
            if len(set(numbers)) != len(numbers):
                raise self.refuse(f"附图编号重复：{numbers}", f"figure numbers repeat: {numbers}")
            doc.figures.sort(key=lambda f: f.number)
        elif not doc.blocks:
            raise self.refuse("文档中没有文字", "the document holds no text")
        return doc


def _figure_image(picture: Picture, refuse: _Refuse, number: int) -> tuple[bytes, str]:
    """A drawing as the office takes it: PNG, JPEG or TIFF (GIF and BMP become PNG)."""
    if picture.data is None:
        raise refuse(
            f"图{number} 的图像无法转换（EMF/WMF 等格式，或超过 {MAX_PICTURE_PIXELS} 像素），"
            "请在 Word 中插入 PNG 或 JPEG 图片",
            f"figure {number} cannot be converted (an EMF/WMF image, or over "
            f"{MAX_PICTURE_PIXELS} pixels); insert it as PNG or JPEG",
        )
    if picture.media_type in (PNG, JPEG, TIFF):
        return picture.data, picture.media_type
    if picture.media_type in (_GIF, _BMP):
        from PIL import Image

        with Image.open(io.BytesIO(picture.data)) as img:
            out = io.BytesIO()
            img.convert("RGB").save(out, "PNG")
            return out.getvalue(), PNG
    raise refuse(
        f"图{number} 的图像格式 {picture.media_type} 不接受",
        f"figure {number}: image type {picture.media_type} not accepted",
    )
