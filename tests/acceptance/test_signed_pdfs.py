"""Receipts and notices are PDFs signed inside by the office (PAdES): poppler's ``pdfsig``
and pyHanko's validator accept them with the environment's CA as the only trust root."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from patentdesk.filing.receipts import verify_bundle
from patentdesk.pki.keys import load_certificate
from patentdesk.pki.pades import validate_pdf
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit

needs_pdfsig = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("certutil")),
    reason="poppler-utils and libnss3-tools are installed by make test (scripts/system-deps.sh)",
)


def _pdfsig(pdf: bytes, ca_pem: bytes, folder: Path) -> str:
    """pdfsig's report, with an NSS database that trusts only the environment's CA."""
    nss = folder / "nss"
    nss.mkdir()
    (folder / "ca.pem").write_bytes(ca_pem)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "PatentDesk CA",
            "-t",
            "CT,C,C",
            "-a",
            "-i",
            str(folder / "ca.pem"),
        ],
        check=True,
    )
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    proc = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True
    )
    return proc.stdout + proc.stderr


def _assert_signed_by_the_office(pdf: bytes, ca_pem: bytes, folder: Path) -> None:
    report = validate_pdf(pdf, load_certificate(ca_pem))["signatures"]
    assert len(report) == 1
    assert report[0] | {"signer": ""} == {
        "field": "OfficeSignature",
        "intact": True,
        "valid": True,
        "trusted": True,
        "coverage": "ENTIRE_FILE",
        "signer": "",
    }
    assert "Office" in report[0]["signer"]
    out = _pdfsig(pdf, ca_pem, folder)
    assert "Signature is Valid." in out, out
    assert "Certificate is Trusted." in out, out
    assert "Total document signed" in out, out
    assert "ETSI.CAdES.detached" in out, out
    # A changed byte in the signed content is noticed by both.
    tampered = pdf.replace(b"/Producer", b"/Producex", 1)
    assert tampered != pdf
    assert not validate_pdf(tampered, load_certificate(ca_pem))["signatures"][0]["intact"]


@needs_pdfsig
def test_receipt_and_notice_pdfs_carry_the_office_signature(client, app, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    filed = submit(client, token, package).json()
    ca_pem = client.get("/api/v1/pki/ca.pem").content

    bundle = client.get(f"/api/v1/receipts/{filed['receipt_id']}", headers=auth(token)).content
    # The bundle keeps its four files and its detached signatures (docs/package-format.md).
    record = verify_bundle(bundle, load_certificate(ca_pem))
    assert record["application_number"] == filed["application_number"]
    receipt_pdf = zipfile.ZipFile(io.BytesIO(bundle)).read("receipt.pdf")
    (tmp_path / "receipt").mkdir()
    _assert_signed_by_the_office(receipt_pdf, ca_pem, tmp_path / "receipt")

    office = office_token(client, app)
    issued = client.post(
        "/api/v1/office/notices",
        json={
            "application_number": filed["application_number"],
            "code": "210401",
            "text": "权利要求1不具备新颖性。",
        },
        headers=auth(office),
    )
    assert issued.status_code == 201, issued.text
    notice_pdf = client.get(f"/api/v1/notices/{issued.json()['id']}/pdf", headers=auth(token))
    assert notice_pdf.status_code == 200
    (tmp_path / "notice").mkdir()
    _assert_signed_by_the_office(notice_pdf.content, ca_pem, tmp_path / "notice")
