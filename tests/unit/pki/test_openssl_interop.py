"""Cross-check with an independent CMS implementation: OpenSSL's ``cms`` command.

What we produce, ``openssl cms -verify`` accepts; what OpenSSL produces, we accept. The
certificates are made under frozen time, so OpenSSL is told the same time (``-attime``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from patentdesk.pki import errors
from patentdesk.pki.cms import parse_signature, sign_detached, verify_detached
from patentdesk.pki.keys import certificate_pem, generate_key

from .conftest import START, Holder

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(
    OPENSSL is None, reason="openssl is not installed: the CMS interop cross-check is skipped"
)
DATA = "发明专利请求书 — manifest.json\n".encode() * 20


def openssl_verify(
    tmp_path: Path, sig: bytes, data: bytes, ca_pem: str
) -> subprocess.CompletedProcess:
    (tmp_path / "sig.der").write_bytes(sig)
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "ca.pem").write_text(ca_pem)
    return subprocess.run(
        [
            str(OPENSSL), "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(tmp_path / "sig.der"), "-content", str(tmp_path / "data"),
            "-CAfile", str(tmp_path / "ca.pem"), "-attime", str(int(START.timestamp())),
            "-out", str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip


def test_openssl_accepts_our_signature(tmp_path: Path, ca, alice: Holder):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    result = openssl_verify(tmp_path, sig, DATA, ca.certificate_pem)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    assert (tmp_path / "out").read_bytes() == DATA


def test_openssl_accepts_a_delegated_signature(tmp_path: Path, ca, window: Holder):
    """The delegation extension is non-critical: generic verifiers still accept it."""
    sig = sign_detached(DATA, window.key, window.certificate)
    result = openssl_verify(tmp_path, sig, DATA, ca.certificate_pem)
    assert result.returncode == 0, result.stderr


def test_openssl_refuses_what_we_refuse(tmp_path: Path, ca, trial_ca, alice: Holder):
    """Negative controls: the cross-check can fail."""
    sig = sign_detached(DATA, alice.key, alice.certificate)
    assert openssl_verify(tmp_path, sig, DATA + b"!", ca.certificate_pem).returncode != 0
    assert openssl_verify(tmp_path, sig, DATA, trial_ca.certificate_pem).returncode != 0


def test_we_accept_an_openssl_signature(tmp_path: Path, ca):
    """OpenSSL orders and encodes attributes its own way (and adds SMIMECapabilities).

    OpenSSL stamps the real clock as signing time, so the certificate is made long-lived.
    """
    key = generate_key()
    cert = ca.issue_user_certificate(
        key.public_key(), "u-alice", "张三", not_after=START + dt.timedelta(days=19 * 365)
    )
    alice = Holder(key, cert)
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "cert.pem").write_text(certificate_pem(alice.certificate))
    (tmp_path / "key.pem").write_bytes(
        alice.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [
            str(OPENSSL), "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER",
            "-in", str(tmp_path / "data"), "-signer", str(tmp_path / "cert.pem"),
            "-inkey", str(tmp_path / "key.pem"), "-out", str(tmp_path / "sig.der"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    sig = (tmp_path / "sig.der").read_bytes()
    # OpenSSL stamps its own (real) clock: verify as of that time.
    signed_at = parse_signature(sig).signing_time
    assert signed_at is not None
    result = verify_detached(sig, DATA, ca_certificate=ca.certificate, at=signed_at)
    assert result.user_id == "u-alice"
    assert result.signing_time is not None
    with pytest.raises(errors.SignatureInvalid):
        verify_detached(sig, DATA + b"!", ca_certificate=ca.certificate, at=signed_at)
