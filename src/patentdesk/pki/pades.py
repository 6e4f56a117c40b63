"""PAdES signatures inside PDFs (receipts, notices), made with pyHanko.

The office signs through :class:`patentdesk.pki.cms.Signer` — whatever holds its key (a key
file today, a token later) — so this module never reads key material. The signature is an
invisible signature field (``/SubFilter /ETSI.CAdES.detached``, PAdES B-B) carrying the
office certificate and the environment's CA certificate, so any PDF reader that trusts the
CA (Adobe Reader, poppler's ``pdfsig``, pyHanko) shows the document as signed by the office
and unchanged since.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from patentdesk.pki.cms import Signer

FIELD_NAME = "OfficeSignature"
# A DER ECDSA P-256 signature is at most 72 bytes; the dry run only sizes the placeholder.
_MAX_ECDSA_DER = 72


def _asn1(cert: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _hanko_signer(signer: Signer, chain: list[x509.Certificate]) -> Any:
    from asn1crypto import algos
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class _Through(signers.Signer):
        async def async_sign_raw(
            self, data: bytes, digest_algorithm: str, dry_run: bool = False
        ) -> bytes:
            if digest_algorithm.lower() != "sha256":
                raise ValueError(f"the office key signs SHA-256 only, not {digest_algorithm}")
            return bytes(_MAX_ECDSA_DER) if dry_run else signer.sign_raw(data)

    return _Through(
        signing_cert=_asn1(signer.certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),
        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        embed_roots=True,
    )


def sign_pdf(
    pdf: bytes,
    signer: Signer,
    chain: list[x509.Certificate],
    *,
    reason: str,
    location: str = "",
) -> bytes:
    """``pdf`` with an incremental update holding the office's PAdES signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=signer.certificate.subject.rfc4514_string(),
    )
    out = io.BytesIO()
    pdf_signer = signers.PdfSigner(meta, signer=_hanko_signer(signer, chain))
    _run(lambda: pdf_signer.async_sign_pdf(writer, output=out))
    return out.getvalue()


def _run(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Runs pyHanko's coroutine to completion, also when called under a running event loop
    (an async route or task), where ``asyncio.run`` would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def validate_pdf(pdf: bytes, ca_certificate: x509.Certificate) -> dict[str, Any]:
    """pyHanko's validation of every signature against ``ca_certificate`` as trust root:
    ``[{"field","intact","valid","trusted","coverage","signer"}]`` under ``signatures``."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    context = ValidationContext(trust_roots=[_asn1(ca_certificate)], allow_fetching=False)
    results = []
    for embedded in reader.embedded_signatures:
        status = _run(partial(async_validate_pdf_signature, embedded, context))
        results.append(
            {
                "field": embedded.field_name,
                "intact": bool(status.intact),
                "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "coverage": status.coverage.name if status.coverage else None,
                "signer": status.signing_cert.subject.human_friendly,
            }
        )
    return {"signatures": results}
