"""电子申请回执 (notice type 200105): a JSON record and a PDF, each with a detached CMS
signature by the office key. A receipt bundle (ZIP) carries all four files and verifies
offline with nothing but the environment's CA certificate."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

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


def make_receipt(settings: Settings, record: dict[str, Any]) -> SignedReceipt:
    from patentdesk.pki.service import office_signer

    signer = office_signer(settings)
    record_bytes = canonical(record)
    pdf = render_receipt_pdf(record)
    return SignedReceipt(
        record_bytes, signer.sign_detached(record_bytes), pdf, signer.sign_detached(pdf)
    )


def store(blobs: BlobStore, receipt: SignedReceipt) -> tuple[str, str, str]:
    """(record signature, pdf, pdf signature) blob names; the record itself is in the DB."""
    return (
        blobs.put_bytes(receipt.record_signature),
        blobs.put_bytes(receipt.pdf),
        blobs.put_bytes(receipt.pdf_signature),
    )


def load(
    blobs: BlobStore, record_json: str, record_sig: str, pdf: str, pdf_sig: str
) -> SignedReceipt:
    return SignedReceipt(
        record_json.encode(), blobs.read(record_sig), blobs.read(pdf), blobs.read(pdf_sig)
    )


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
