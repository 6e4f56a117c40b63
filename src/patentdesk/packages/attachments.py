"""Attachments: what a file really is (by its bytes), text rendering, readability checks."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from patentdesk.packages.registry import JPEG, PDF, PNG, TEXT, TIFF

EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TIFF: ".tif", TEXT: ".txt"}
MAX_TEXT_ATTACHMENT = 8 * 1024 * 1024


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when it is none of ours."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    return None


def decode_text(data: bytes) -> str | None:
    """The text of a plain UTF-8 attachment (BOM allowed), or None when it is not text."""
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f" for ch in text):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_filename(name: str) -> str:
    """A file name fit for ``attachments/<role>/<name>``: no folders, no reserved characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = _UNSAFE.sub("_", base).strip(". ")
    return base[:120] or "file"


def with_extension(name: str, media_type: str) -> str:
    ext = EXTENSIONS[media_type]
    stem, dot, old = name.rpartition(".")
    if dot and f".{old.lower()}" in (ext, ".jpeg", ".tiff", ".text"):
        return name if f".{old.lower()}" == ext else f"{stem}{ext}"
    return f"{stem or name}{ext}" if dot and len(old) <= 5 else f"{name}{ext}"


@dataclass(frozen=True)
class Readability:
    ok: bool
    reason: str = ""
    pages: int | None = None


def check_readable(stream: BinaryIO, media_type: str, max_decode_pixels: int) -> Readability:
    """Opens a PDF or decodes an image the way the office will; never raises."""
    try:
        if media_type == PDF:
            return _check_pdf(stream)
        if media_type in (PNG, JPEG, TIFF):
            return _check_image(stream, max_decode_pixels)
        if media_type == TEXT:
            return Readability(decode_text(stream.read(MAX_TEXT_ATTACHMENT)) is not None)
    except Exception as exc:  # a damaged file may raise anything inside the parsers
        return Readability(False, f"{type(exc).__name__}: {exc}"[:200])
    return Readability(False, "unsupported media type")


def _check_pdf(stream: BinaryIO) -> Readability:
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            return Readability(False, "PDF 已加密 / the PDF is encrypted")
        pages = len(reader.pages)
        if pages == 0:
            return Readability(False, "PDF 没有页面 / the PDF has no pages")
        reader.pages[0].get_contents()
    return Readability(True, pages=pages)


def _check_image(stream: BinaryIO, max_decode_pixels: int) -> Readability:
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow warns (and our test settings turn warnings into errors) on huge images.
        warnings.simplefilter("ignore")
        with Image.open(stream) as img:
            width, height = img.size
            img.verify()
        if width * height > max_decode_pixels:
            return Readability(
                False, f"图像过大 / image too large: {width}×{height} > {max_decode_pixels} px"
            )
        stream.seek(0)
        with Image.open(stream) as img:
            frames = getattr(img, "n_frames", 1)
            img.load()
    return Readability(True, pages=frames)


def pdf_text(stream: BinaryIO, max_pages: int = 200, max_chars: int = 500_000) -> str | None:
    """The text layer of a PDF (None when it has none, e.g. a scan, or cannot be read)."""
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(stream, strict=False)
            parts: list[str] = []
            length = 0
            for page in reader.pages[:max_pages]:
                text = page.extract_text() or ""
                parts.append(text)
                length += len(text)
                if length > max_chars:
                    break
    except Exception:
        return None
    text = "\n".join(parts).strip()
    return text or None


def pdf_page_count(stream: BinaryIO) -> int | None:
    """How many pages a PDF has (None when it cannot be read; attachment.readable says why)."""
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(PdfReader(stream, strict=False).pages)
    except Exception:
        return None


def seekable(stream: BinaryIO, spool_limit: int = 8 * 1024 * 1024) -> BinaryIO:
    """Parsers seek around; a ZIP member stream seeks slowly, so spool it (to disk if big)."""
    import tempfile

    spooled = tempfile.SpooledTemporaryFile(max_size=spool_limit)  # noqa: SIM115
    while chunk := stream.read(1024 * 1024):
        spooled.write(chunk)
    spooled.seek(0)
    return spooled  # type: ignore[return-value]


def render_text_attachment(text: str, title: str | None) -> bytes:
    """Plain UTF-8 text attachments are rendered to PDF (with an embedded CJK font)."""
    from patentdesk.pdf import render_text

    return render_text(text, title=title)


def first_bytes(data: bytes | BinaryIO, n: int = 16) -> bytes:
    if isinstance(data, bytes):
        return data[:n]
    pos = data.tell()
    head = data.read(n)
    data.seek(pos)
    return head


__all__ = [
    "EXTENSIONS",
    "Readability",
    "check_readable",
    "decode_text",
    "first_bytes",
    "io",
    "pdf_text",
    "render_text_attachment",
    "safe_filename",
    "seekable",
    "sniff",
    "with_extension",
]
