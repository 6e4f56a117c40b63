"""PAdES signing through the office ``Signer``: valid for pyHanko with the CA as trust root,
refused under another environment's CA, and usable from inside an event loop."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.pdfgen import canvas

from patentdesk.pki.ca import CertificateAuthority, load_or_create_office_signer
from patentdesk.pki.pades import sign_pdf, validate_pdf
from tests.support.loops import run_async


def _pdf() -> bytes:
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 720, "PatentDesk")
    page.save()
    return buf.getvalue()


def test_signed_in_an_event_loop_and_trusted_only_under_its_own_ca(tmp_path: Path):
    ca = CertificateAuthority.load_or_create(tmp_path / "pki", "test")
    office = load_or_create_office_signer(tmp_path / "pki", ca)

    async def in_a_route() -> bytes:
        return sign_pdf(_pdf(), office, [ca.certificate], reason="test")

    signed = run_async(in_a_route())

    (status,) = validate_pdf(signed, ca.certificate)["signatures"]
    assert (status["intact"], status["valid"], status["trusted"]) == (True, True, True)
    other = CertificateAuthority.load_or_create(tmp_path / "other", "trial")
    (foreign,) = validate_pdf(signed, other.certificate)["signatures"]
    assert foreign["intact"] and not foreign["trusted"]
