"""Builders for case-package tests: packages, PDFs, images, hostile archives, a test signer."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.packages.container import MIMETYPE
from patentdesk.packages.zipsafe import canonical_info

VALID_USCC = "91350100M000100Y43"
VALID_ID = "11010519491231002X"


def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def png_bytes(size: tuple[int, int] = (16, 16)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def has_cjk_font() -> bool:
    from patentdesk import pdf

    try:
        pdf.find_cjk_font()
    except pdf.FontMissing:
        return False
    return True


class ThrowawaySigner:
    """A throwaway ECDSA key standing in for the CMS signer of the pki helper."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def verify(self, manifest: bytes, der: bytes) -> str:
        self.key.public_key().verify(der, manifest, ec.ECDSA(hashes.SHA256()))
        return "test-signer"


def entries_of(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [
            (i.filename, zf.read(i)) for i in sorted(zf.infolist(), key=lambda i: i.header_offset)
        ]


def write_canonical(path: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    """Writes entries exactly as the package writer lays them out (for hostile variants)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            zf.writestr(canonical_info(name), data)


def rebuild(
    src: Path,
    dst: Path,
    transform: Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]],
) -> Path:
    write_canonical(dst, transform(entries_of(src)))
    return dst


def replace_entry(
    name: str, data: bytes
) -> Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]]:
    return lambda entries: [(n, data if n == name else d) for n, d in entries]


def minimal_zip(path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """A ZIP starting with the right mimetype, then ``extra`` entries written as given."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(canonical_info("mimetype"), MIMETYPE)
        for info, data in extra:
            zf.writestr(info, data)
    return path
