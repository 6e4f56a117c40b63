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


def jpeg_bytes(size: tuple[int, int] = (32, 24)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 10)).save(buf, "JPEG")
    return buf.getvalue()


CLAIMS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<cn-application-body lang="zh" country="CN"><cn-claims>
<claim id="cl001" num="1"><claim-text>一种折叠式电动自行车，包括车架。</claim-text></claim>
<claim id="cl002" num="2"><claim-text>根据权利要求<claim-ref idref="cl001">1</claim-ref>所述的电动自行车，其特征在于车架可折叠。</claim-text></claim>
</cn-claims></cn-application-body>
"""
ABSTRACT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<cn-application-body lang="zh" country="CN"><cn-abstract><p id="p0001" num="0001" Italic="0">一种折叠式电动自行车。</p></cn-abstract></cn-application-body>
"""
DRAWINGS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<cn-application-body lang="zh" country="CN"><cn-drawings><figure id="f0001" num="1"><img id="i0001" he="50" wi="80" file="100003_1.jpg" img-format="jpg"/></figure></cn-drawings></cn-application-body>
"""
REQUEST_XML = (
    """<?xml version="1.0" encoding="UTF-8"?><fmzlsqs><mc>一种折叠式电动自行车</mc></fmzlsqs>"""
)


def legacy_package(
    path: Path, *, defective_poa: bool = True, case_id: str = "5a1c9f0e-1111-4c1e-9d0b-2d3c6b1f6a10"
) -> Path:
    """A legacy CPC e-filing package (list.xml) as agencies' tools produce it."""
    files: list[tuple[str, str, bytes]] = [
        ("110101", "110101\\110101.xml", REQUEST_XML.encode()),
        ("100001", "100001\\100001.xml", CLAIMS_XML.encode()),
        ("100002", "100002\\100002.pdf", pdf_bytes(2)),
        ("100003", "100003\\100003.xml", DRAWINGS_XML.encode()),
        ("100004", "100004\\100004.xml", ABSTRACT_XML.encode()),
        ("110401", "110401\\110401.xml", b"<?xml version='1.0'?><sczs/>"),
        ("100007", "100007\\100007.pdf", b"%PDF-1.4 truncated" if defective_poa else pdf_bytes()),
    ]
    entries = "".join(
        f"<WENJIANXX><BIAOGEDM>{code}</BIAOGEDM><XIANGDUILJ>{rel}</XIANGDUILJ>"
        f"<GESHILX>.{rel.rsplit('.', 1)[1].upper()}</GESHILX><PAGES>1</PAGES>"
        f"<WENJIANMC>{code}</WENJIANMC></WENJIANXX>"
        for code, rel, _ in files
    )
    list_xml = (
        '<?xml version="1.0" encoding="GBK"?><data-bus><BAOTOUXX>'
        f"<DIANZISQAJID>{case_id}</DIANZISQAJID><SHENQINGFS>1</SHENQINGFS><YEWULX>FM</YEWULX>"
        "<FAMINGMC>一种折叠式电动自行车</FAMINGMC><SHENQINGH></SHENQINGH>"
        f"<NEIBUBH>AG-2026-0002</NEIBUBH><WENJIANGS>{len(files)}</WENJIANGS></BAOTOUXX>"
        f"<BAONEIWJXX>{entries}</BAONEIWJXX></data-bus>"
    ).encode("gbk")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("list.xml", list_xml)
        for _, rel, data in files:
            zf.writestr(rel.replace("\\", "/"), data)
        zf.writestr("100003/100003_1.jpg", jpeg_bytes())
    return path
