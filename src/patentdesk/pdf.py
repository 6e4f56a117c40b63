"""PDF documents in Chinese with an embedded CJK TrueType font.

reportlab's built-in CID fonts are not embedded and show as empty boxes where the reader
lacks the font, so we embed WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``) or another
TrueType CJK font named by ``PATENTDESK_CJK_FONT``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from patentdesk.errors import PatentDeskError

FONT_NAME = "PatentDeskCJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class FontMissing(PatentDeskError):
    code = "CJK_FONT_MISSING"
    status = 500
    message_zh = "缺少中文字体：请安装 fonts-wqy-zenhei 或设置 PATENTDESK_CJK_FONT"
    message_en = "No CJK font: install fonts-wqy-zenhei or set PATENTDESK_CJK_FONT"


def find_cjk_font() -> Path:
    configured = os.environ.get("PATENTDESK_CJK_FONT")
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing()


@lru_cache(maxsize=1)
def register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = find_cjk_font()
    kwargs = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), **kwargs))
    return FONT_NAME


def _wrap(text: str, width_pt: float, size: float) -> list[str]:
    """Wraps mixed Chinese/Latin text by measured width (CJK has no spaces to break at)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    # Widths add up per character (reportlab applies no kerning to TrueType text), so a line
    # is measured incrementally: measuring the growing line again for every character made
    # a 300-page description take half a minute.
    widths: dict[str, float] = {}
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current: list[str] = []
        used = 0.0
        for ch in paragraph:
            w = widths.get(ch)
            if w is None:
                w = widths[ch] = stringWidth(ch, FONT_NAME, size)
            if used + w > width_pt and current:
                lines.append("".join(current))
                current, used = [ch], w
            else:
                current.append(ch)
                used += w
        lines.append("".join(current))
    return lines


@dataclass(frozen=True)
class Table:
    """A ruled table: optional heading, column titles, rows of text; cells wrap.

    ``widths`` are fractions of the text width (default: equal columns). The column titles
    repeat at the top of every page the table continues on.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    heading: str | None = None
    widths: Sequence[float] | None = None
    font_size: float = 9.0


class _Pages:
    """Cursor over A4 pages: moves down, starts a new page with header/footer when full."""

    margin = 56.0

    def __init__(
        self, pdf: Any, font: str, header: str | None, footer: str | None, page_numbers: bool
    ) -> None:
        from reportlab.lib.pagesizes import A4

        self.pdf, self.font = pdf, font
        self.header, self.footer, self.page_numbers = header, footer, page_numbers
        self.width, self.height = A4
        self.page = 1
        self.size = 11.0
        # Leave the header line some air; without a header the layout is the original one.
        self._top = self.height - self.margin - (10 if header else 0)
        self.y = self._top
        self._pending_break = False
        self._start_page()

    @property
    def text_width(self) -> float:
        return self.width - 2 * self.margin

    def set_font(self, size: float) -> None:
        self.size = size
        self.pdf.setFont(self.font, size)

    def _start_page(self) -> None:
        # Header and page numbers sit in the margins, so they never move the body text.
        if self.header:
            self.pdf.setFont(self.font, 8)
            self.pdf.drawCentredString(self.width / 2, self.height - 34, self.header)
            self.pdf.setLineWidth(0.4)
            self.pdf.line(self.margin, self.height - 40, self.width - self.margin, self.height - 40)
        self.pdf.setFont(self.font, self.size)

    def _finish_page(self) -> None:
        if self.footer:
            self.pdf.setFont(self.font, 8)
            self.pdf.drawString(self.margin, self.margin - 20, self.footer)
        if self.page_numbers:
            self.pdf.setFont(self.font, 8)
            self.pdf.drawRightString(
                self.width - self.margin, self.margin - 20, f"第 {self.page} 页"
            )

    def new_page(self) -> None:
        self._finish_page()
        self.pdf.showPage()
        self.page += 1
        self.y = self._top
        self._start_page()

    def newline(self, step: float) -> None:
        self.y -= step
        if self.y < self.margin + 30:
            # The break happens when something is drawn next (ensure), so a document whose
            # text ends at the bottom of a page gets no blank trailing page.
            self._pending_break = True
            self.y = self._top

    def ensure(self) -> None:
        """Call before drawing: performs a page break that newline() left pending."""
        if self._pending_break:
            self._pending_break = False
            y = self.y
            self.new_page()
            self.y = y

    def fits(self, height: float) -> bool:
        return self.y - height >= self.margin + 30

    def close(self) -> None:
        self._finish_page()
        self.pdf.showPage()

    def table(self, table: Table) -> None:
        pdf, size = self.pdf, table.font_size
        leading, pad = size * 1.35, 3.0
        count = len(table.columns)
        fractions = list(table.widths or [1.0 / count] * count)
        total = sum(fractions)
        widths = [self.text_width * f / total for f in fractions]
        if table.heading:
            if not self.fits(40):
                self.new_page()
            self.ensure()
            self.set_font(11)
            pdf.drawString(self.margin, self.y, table.heading)
            self.newline(16)

        def row(cells: Sequence[str], shaded: bool) -> None:
            wrapped = [
                _wrap(str(cell), w - 2 * pad, size) for cell, w in zip(cells, widths, strict=True)
            ]
            height = max(len(lines) for lines in wrapped) * leading + 2 * pad
            if not self.fits(height):
                self.new_page()
                if not shaded:
                    row(table.columns, True)
            self.ensure()
            top = self.y + size  # self.y is a text baseline; the cell box starts above it
            x = self.margin
            pdf.setLineWidth(0.5)
            for lines, w in zip(wrapped, widths, strict=True):
                if shaded:
                    pdf.setFillGray(0.9)
                    pdf.rect(x, top - height, w, height, stroke=1, fill=1)
                    pdf.setFillGray(0)
                else:
                    pdf.rect(x, top - height, w, height, stroke=1, fill=0)
                pdf.setFont(self.font, size)
                for i, line in enumerate(lines):
                    pdf.drawString(x + pad, top - pad - size - i * leading + 1, line)
                x += w
            self.y -= height
            self.set_font(self.size)

        row(table.columns, True)
        for cells in table.rows:
            if len(cells) != count:
                raise ValueError(f"table row has {len(cells)} cells, expected {count}")
            row(cells, False)
        self.newline(14)


def render_document(
    title: str,
    fields: Sequence[tuple[str, str]] = (),
    paragraphs: Iterable[str] = (),
    footer: str | None = None,
    metadata: dict[str, str] | None = None,
    *,
    header: str | None = None,
    tables: Sequence[Table] = (),
    page_numbers: bool = False,
) -> bytes:
    """A simple A4 document: a title, label/value rows, tables, free text, a footer.

    ``header`` (a line at the top of every page) and ``page_numbers`` are drawn in the
    margins, so documents without them lay out exactly as before.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = register_font()
    buf = io.BytesIO()
    # invariant=1 makes the output depend only on the content (no timestamps, fixed ids), so a
    # document can be regenerated byte for byte and its hash compared.
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(title)
    if metadata:
        pdf.setSubject(" ".join(f"{k}={v}" for k, v in sorted(metadata.items())))
    pages = _Pages(pdf, font, header, footer, page_numbers)
    margin, width = pages.margin, pages.width

    pages.set_font(18)
    for line in _wrap(title, width - 2 * margin, 18):
        pages.ensure()
        pdf.drawCentredString(width / 2, pages.y, line)
        pages.newline(28)
    pages.newline(6)
    for label, value in fields:
        pages.ensure()
        pages.set_font(10.5)
        pdf.drawString(margin, pages.y, f"{label}：")
        value_lines = _wrap(str(value), width - 2 * margin - 130, 10.5)
        for i, line in enumerate(value_lines):
            pages.ensure()
            pdf.drawString(margin + 130, pages.y, line)
            if i < len(value_lines) - 1:
                pages.newline(15)
        pages.newline(18)
    pages.newline(6)
    for table in tables:
        pages.table(table)
    pages.set_font(11)
    for paragraph in paragraphs:
        for line in _wrap(paragraph, width - 2 * margin, 11):
            pages.ensure()
            pages.set_font(11)
            pdf.drawString(margin, pages.y, line)
            pages.newline(17)
        pages.newline(6)
    pages.close()
    pdf.save()
    return buf.getvalue()


def render_text(text: str, title: str | None = None) -> bytes:
    """Renders a plain UTF-8 text attachment (claims, description…) as a PDF."""
    return render_document(title or "", paragraphs=text.split("\n"))


@dataclass(frozen=True)
class Heading:
    """A section heading inside a document body (e.g. 技术领域)."""

    text: str


@dataclass(frozen=True)
class Picture:
    """An image inside a document body: PNG or JPEG bytes, scaled to the text width."""

    data: bytes
    caption: str | None = None


Block = str | Heading | Table | Picture


def _draw_picture(pages: _Pages, picture: Picture) -> None:
    from reportlab.lib.utils import ImageReader

    reader = ImageReader(io.BytesIO(picture.data))
    width, height = reader.getSize()
    # 96 dpi is what Word assumes for a picture without its own resolution.
    scale = min(72 / 96, pages.text_width / max(width, 1), 600 / max(height, 1))
    w, h = width * scale, height * scale
    if not pages.fits(h + 10):
        pages.new_page()
    pages.ensure()
    pages.pdf.drawImage(reader, pages.margin, pages.y - h + 11, w, h)
    pages.y -= h + 4
    if picture.caption:
        pages.newline(12)
        pages.ensure()
        pages.set_font(10)
        pages.pdf.drawCentredString(pages.width / 2, pages.y, picture.caption)
    pages.newline(14)


def render_blocks(
    title: str,
    blocks: Iterable[Block],
    *,
    header: str | None = None,
    page_numbers: bool = True,
    metadata: dict[str, str] | None = None,
) -> bytes:
    """A document body in reading order: paragraphs, headings, tables and pictures.

    Used for claims, descriptions and abstracts converted from Word or CNIPA XML, where
    tables and formula images sit between the paragraphs they belong to.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = register_font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(title)
    if metadata:
        pdf.setSubject(" ".join(f"{k}={v}" for k, v in sorted(metadata.items())))
    pages = _Pages(pdf, font, header, None, page_numbers)
    if title:
        pages.set_font(16)
        for line in _wrap(title, pages.text_width, 16):
            pages.ensure()
            pdf.drawCentredString(pages.width / 2, pages.y, line)
            pages.newline(26)
        pages.newline(4)
    for block in blocks:
        if isinstance(block, Heading):
            if not pages.fits(40):
                pages.new_page()
            pages.newline(4)
            pages.set_font(12.5)
            for line in _wrap(block.text, pages.text_width, 12.5):
                pages.ensure()
                pdf.drawString(pages.margin, pages.y, line)
                pages.newline(20)
        elif isinstance(block, Table):
            pages.table(block)
        elif isinstance(block, Picture):
            _draw_picture(pages, block)
        else:
            pages.set_font(11)
            for line in _wrap(block, pages.text_width, 11):
                pages.ensure()
                pages.set_font(11)
                pdf.drawString(pages.margin, pages.y, line)
                pages.newline(17)
            pages.newline(5)
    pages.close()
    pdf.save()
    return buf.getvalue()
