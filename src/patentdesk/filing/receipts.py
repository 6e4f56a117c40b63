"""电子申请回执 (notice type 200105): a JSON record and a PDF, each with a detached CMS
signature by the office key. A receipt bundle (ZIP) carries all four files and verifies
offline with nothing but the environment's CA certificate."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509

from patentdesk.blobs import BlobStore
from patentdesk.config import Settings
from patentdesk.errors import PatentDeskError
from patentdesk.filing.receipt_pdf import render_receipt_pdf

RECORD = "receipt.json"
PDF = "receipt.pdf"
SIG = ".p7s"
BUNDLE_FILES = (RECORD, RECORD + SIG, PDF, PDF + SIG)


class ReceiptInvalid(PatentDeskError):
    code = "RECEIPT_INVALID"
    status = 422
    message_zh = "回执验证失败：{why}"
    message_en = "The receipt does not verify: {why}"


def canonical(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


@dataclass
class SignedReceipt:
    record_bytes: bytes
    record_signature: bytes
    pdf: bytes
    pdf_signature: bytes

    def bundle(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in zip(
                BUNDLE_FILES,
                (self.record_bytes, self.record_signature, self.pdf, self.pdf_signature),
                strict=True,
            ):
                info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
                z.writestr(info, data)
        return buf.getvalue()


def sign_record(settings: Settings, record: dict[str, Any]) -> tuple[bytes, bytes]:
    """The canonical record and the office's signature over it: what the filing's
    transaction stores (the PDF waits for its first download)."""
    from patentdesk.pki.service import office_signer

    record_bytes = canonical(record)
    return record_bytes, office_signer(settings).sign_detached(record_bytes)


def render_signed_pdf(settings: Settings, record_bytes: bytes) -> tuple[bytes, bytes]:
    """The receipt PDF, signed inside (PAdES) by the office, and the detached office
    signature over those bytes. Its content is a function of the signed record alone, so
    rendering it late (or twice) gives the same document (with its own signing time)."""
    from patentdesk.pki.service import office_signer, sign_office_pdf

    pdf = sign_office_pdf(
        settings,
        render_receipt_pdf(json.loads(record_bytes)),
        reason="电子申请回执 Electronic filing receipt",
    )
    return pdf, office_signer(settings).sign_detached(pdf)


def make_receipt(settings: Settings, record: dict[str, Any]) -> SignedReceipt:
    record_bytes, record_signature = sign_record(settings, record)
    pdf, pdf_signature = render_signed_pdf(settings, record_bytes)
    return SignedReceipt(record_bytes, record_signature, pdf, pdf_signature)


class StoredReceipt(Protocol):
    record_json: str
    record_signature: bytes | None
    record_signature_sha256: str | None
    pdf_sha256: str | None
    pdf_signature_sha256: str | None


def load(blobs: BlobStore, row: StoredReceipt) -> SignedReceipt:
    """A receipt whose PDF is stored (see :func:`store_pdf`)."""
    assert row.pdf_sha256 is not None and row.pdf_signature_sha256 is not None
    record_signature = row.record_signature
    if record_signature is None:  # a receipt made before the signature moved into the row
        assert row.record_signature_sha256 is not None
        record_signature = blobs.read(row.record_signature_sha256)
    return SignedReceipt(
        row.record_json.encode(),
        record_signature,
        blobs.read(row.pdf_sha256),
        blobs.read(row.pdf_signature_sha256),
    )


def store_pdf(blobs: BlobStore, settings: Settings, record_json: str) -> tuple[str, str]:
    """Renders, signs and stores the PDF of a receipt: (pdf, pdf signature) blob names."""
    pdf, signature = render_signed_pdf(settings, record_json.encode())
    return blobs.put_bytes(pdf), blobs.put_bytes(signature)


def verify_bundle(data: bytes, ca_certificate: x509.Certificate) -> dict[str, Any]:
    """Checks both office signatures against the CA and that the PDF is the one the record
    names; returns the record."""
    from patentdesk.pki.cms import verify_detached

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            missing = [n for n in BUNDLE_FILES if n not in names]
            if missing:
                raise ReceiptInvalid(why="缺少文件 missing " + ", ".join(missing))
            parts = {n: z.read(n) for n in BUNDLE_FILES}
    except zipfile.BadZipFile as exc:
        raise ReceiptInvalid(why="不是回执文件包 not a receipt bundle") from exc
    verify_detached(
        parts[RECORD + SIG], parts[RECORD], ca_certificate=ca_certificate, purposes={"office"}
    )
    verify_detached(
        parts[PDF + SIG], parts[PDF], ca_certificate=ca_certificate, purposes={"office"}
    )
    try:
        record: dict[str, Any] = json.loads(parts[RECORD])
    except ValueError as exc:
        raise ReceiptInvalid(why="记录不是 JSON record is not JSON") from exc
    return record
