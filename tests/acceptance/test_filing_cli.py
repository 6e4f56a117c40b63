"""The minimal invention filing of SPEC §10, end to end: package, sign, submit, receipt."""

from __future__ import annotations

import pytest

from patentdesk.packages.numbers import parse_application_number
from tests.support.filing import new_invention, sign, submit


def test_minimal_invention_filing(phone, desktop, tmp_path, live_server):
    phone.register("张三")
    desktop.login_with(phone)
    case = new_invention(desktop, tmp_path / "case.zip")
    v = desktop.run("package", "validate", str(case), "--json")
    assert v.returncode == 0, v.stdout + v.stderr
    signed = sign(desktop, phone, case)
    assert signed["signer"] == "张三" and signed["certificate_serial"]
    r = submit(desktop, case)
    assert r.returncode == 0, r.stderr
    out = r.json
    number = parse_application_number(out["application_number"], allow_without_check=False)
    assert number.type_digit == 1
    assert out["filing_date"] and out["receipt_id"]
    # Submitting the same package again gives the same result, never a second number.
    again = submit(desktop, case)
    assert again.returncode == 0, again.stderr
    assert again.json["application_number"] == out["application_number"]
    assert again.json["receipt_id"] == out["receipt_id"]
    # The receipt downloads and verifies offline with only the CA certificate.
    bundle = tmp_path / "receipt.zip"
    d = desktop.run("receipt", "download", out["receipt_id"], "--out", str(bundle), "--json")
    assert d.returncode == 0, d.stderr
    ver = desktop.run("receipt", "verify", str(bundle), "--json")
    assert ver.returncode == 0, ver.stderr
    assert ver.json == {
        **ver.json,
        "valid": True,
        "application_number": out["application_number"],
        "filing_date": out["filing_date"],
    }
    pdf = tmp_path / "receipt.pdf"
    assert desktop.run("receipt", "download", out["receipt_id"], "--out", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_unsigned_package_is_refused(phone, desktop, tmp_path):
    phone.register()
    desktop.login_with(phone)
    case = new_invention(desktop, tmp_path / "case.zip")
    r = submit(desktop, case)
    assert r.returncode != 0
    assert r.error["code"] == "PACKAGE_UNSIGNED"


@pytest.mark.seed("C5")
def test_ic_layout_is_refused_at_creation(desktop, tmp_path):
    r = desktop.run(
        "package", "new", "--type", "ic-layout", "--out", str(tmp_path / "x.zip"), "--json"
    )
    assert r.returncode != 0
    assert "集成电路布图设计" in r.error["message"]
