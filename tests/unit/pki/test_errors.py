"""The PKI's errors are part of its interface: stable, distinct codes, zh + en messages."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from patentdesk.errors import PatentDeskError
from patentdesk.pki import errors

CLASSES = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.PkiError)
]


def test_codes_are_distinct():
    codes = [cls.code for cls in CLASSES]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_each_error_speaks_both_languages(cls: type[errors.PkiError]):
    assert issubclass(cls, PatentDeskError)
    assert cls.code.isupper()
    assert cls.message_zh and cls.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in cls.message_zh)
    assert 400 <= cls.status < 600


def test_signature_refusals_share_one_family():
    for cls in (
        errors.SignatureInvalid,
        errors.MalformedSignature,
        errors.CertificateRevoked,
        errors.CertificateExpired,
        errors.CertificateNotYetValid,
        errors.ForeignEnvironment,
        errors.UntrustedCertificate,
        errors.CertificateUsageInvalid,
        errors.PayloadSignatureInvalid,
        errors.MalformedPayload,
    ):
        assert issubclass(cls, errors.SignatureVerificationError)


def test_package_facade_is_complete_and_lazy():
    import patentdesk.pki as pki

    assert sorted(pki.__all__) == sorted(pki._EXPORTS)
    for name in pki.__all__:
        assert getattr(pki, name) is not None
    # The error classes alone (HTTP handler, CLI) do not drag in the CMS machinery.
    code = "import sys, patentdesk.pki.errors; print('asn1crypto' in sys.modules)"
    src = str(Path(pki.__file__).parents[2])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": src},
    )
    assert out.stdout.strip() == "False"
