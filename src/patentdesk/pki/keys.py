"""Keys and certificates as values: generation, PEM/DER, fingerprints, serial numbers.

Every key in PatentDesk is ECDSA on P-256 (secp256r1) with SHA-256: quick on a phone,
supported by every CMS and JOSE implementation, and one curve means one code path.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.pki.errors import InvalidCertificateData, InvalidKey

CURVE = ec.SECP256R1

#: What ``cryptography`` may raise on a malformed certificate (some parts parse lazily).
CERTIFICATE_PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey


def generate_key() -> PrivateKey:
    """A fresh P-256 private key (on the device that will hold it)."""
    return ec.generate_private_key(CURVE())


def _require_p256(key: object) -> PublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, CURVE):
        raise InvalidKey()
    return key


def load_public_key(data: bytes | str) -> PublicKey:
    """A P-256 public key from PEM (SubjectPublicKeyInfo) or DER; anything else is KEY_INVALID."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(raw)
        else:
            key = serialization.load_der_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise InvalidKey() from exc
    return _require_p256(key)


def check_public_key(key: object) -> PublicKey:
    """Return ``key`` if it is a P-256 public key, else raise KEY_INVALID."""
    return _require_p256(key)


def public_key_der(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(key: PublicKey | x509.Certificate) -> str:
    """SHA-256 over the SubjectPublicKeyInfo DER, lowercase hex (64 characters).

    A certificate's fingerprint here is its *key's*, so a renewed certificate for the same
    key keeps the fingerprint the user saw on the phone.
    """
    public = key.public_key() if isinstance(key, x509.Certificate) else key
    return hashlib.sha256(public_key_der(check_public_key(public))).hexdigest()


def load_certificate(data: bytes | str) -> x509.Certificate:
    """An X.509 certificate from PEM or DER; anything else is CERTIFICATE_MALFORMED."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(raw)
        return x509.load_der_x509_certificate(raw)
    except CERTIFICATE_PARSE_ERRORS as exc:
        raise InvalidCertificateData() from exc


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def new_serial() -> int:
    """A random positive serial number below 2**63.

    Certificate serials are unpredictable (so nobody can pre-compute a colliding
    certificate) and fit a signed 64-bit integer, which SQLite and PostgreSQL (BIGINT)
    store natively; 62 random bits keep collisions negligible for any realistic volume.
    """
    return secrets.randbits(62) | (1 << 62)


def format_serial(serial: int) -> str:
    """The serial as people see it in certificate viewers: uppercase hex, no prefix."""
    return f"{serial:X}"
