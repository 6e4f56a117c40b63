"""Detached CMS/PKCS#7 SignedData (RFC 5652): build with asn1crypto, sign and verify with
``cryptography``. No ASN.1 is written by hand.

Profile of what :func:`sign_detached` produces (and :func:`verify_detached` expects):

- ``SignedData`` v1, digest SHA-256, ``eContentType`` id-data with the content absent
  (detached), the signer's certificate in ``certificates``;
- exactly one ``SignerInfo`` identified by issuer and serial number, signature
  ecdsa-with-SHA256 over the DER of the signed attributes;
- signed attributes: content-type (id-data), message-digest, signing-time and the ESS
  signing-certificate-v2 (RFC 5035) binding the certificate's hash, so the certificate
  cannot be swapped for another one with the same key.

``cryptography``'s own PKCS7SignatureBuilder is not used for signing: it takes the
signing time from the system clock (we need it explicit, for frozen-time tests and for
signatures made on the phone) and cannot sign a digest it did not compute itself, which
is what the phone does (it sees the package digest, not the package).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.pki.errors import (
    CertificateKeyMismatch,
    MalformedSignature,
    SignatureInvalid,
)
from patentdesk.pki.keys import CERTIFICATE_PARSE_ERRORS, PrivateKey
from patentdesk.pki.profiles import Purpose
from patentdesk.pki.validation import (
    RevocationSource,
    check_issued_by,
    check_profile,
    check_validity,
    verify_certificate,
)
from patentdesk.timeutil import as_utc, iso, now

DIGEST_SIZE = 32
MAX_SIGNATURE_BYTES = 64 * 1024
#: A signing time this far after the verification time is refused (clock skew allowed).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"  # some producers name the key, not the algorithm


# --- signers ------------------------------------------------------------------------------


class Signer(ABC):
    """Something that holds a certificate and can make ECDSA-SHA256 signatures with its key.

    A local key (:class:`KeySigner`) is the only kind today; a hardware token or a remote
    signer would subclass this and implement :meth:`sign_raw`.
    """

    @property
    @abstractmethod
    def certificate(self) -> x509.Certificate: ...

    @abstractmethod
    def sign_raw(self, message: bytes) -> bytes:
        """ECDSA-SHA256 over ``message`` as a DER ``Ecdsa-Sig-Value``."""

    def sign_detached(self, data: bytes, *, signing_time: dt.datetime | None = None) -> bytes:
        """A detached CMS SignedData (DER) over ``data``."""
        return self.sign_digest(hashlib.sha256(data).digest(), signing_time=signing_time)

    def sign_digest(self, digest: bytes, *, signing_time: dt.datetime | None = None) -> bytes:
        """A detached CMS SignedData (DER) for content whose SHA-256 is ``digest``."""
        if len(digest) != DIGEST_SIZE:
            raise ValueError("digest must be a SHA-256 digest (32 bytes)")
        return _build_signed_data(digest, self, signing_time or now())


class KeySigner(Signer):
    """A private key held in this process together with its certificate."""

    def __init__(self, private_key: PrivateKey, certificate: x509.Certificate) -> None:
        if certificate.public_key() != private_key.public_key():
            raise CertificateKeyMismatch()
        self._key = private_key
        self._certificate = certificate

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def private_key(self) -> PrivateKey:
        return self._key

    def sign_raw(self, message: bytes) -> bytes:
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))


def sign_detached(
    data: bytes,
    private_key: PrivateKey,
    certificate: x509.Certificate,
    signing_time: dt.datetime | None = None,
) -> bytes:
    """Detached CMS SignedData (DER) over ``data`` by ``private_key``/``certificate``."""
    return KeySigner(private_key, certificate).sign_detached(data, signing_time=signing_time)


def sign_digest(
    digest: bytes,
    private_key: PrivateKey,
    certificate: x509.Certificate,
    signing_time: dt.datetime | None = None,
) -> bytes:
    """As :func:`sign_detached` when only the content's SHA-256 is at hand (the phone)."""
    return KeySigner(private_key, certificate).sign_digest(digest, signing_time=signing_time)


def _signing_time(value: dt.datetime) -> cms.Time:
    value = as_utc(value).replace(microsecond=0)
    # RFC 5652 §11.3: UTCTime up to 2049, GeneralizedTime from 2050 on.
    return cms.Time({"utc_time" if value.year < 2050 else "general_time": value})


@functools.lru_cache(maxsize=32)
def _signer_parts(cert_der: bytes) -> tuple[bytes, bytes]:
    """DER of what every signature by this certificate repeats: its ESS signing-certificate
    attribute value and its signer identifier. Built once per certificate: asn1crypto
    spends most of a signature's time building these nested structures."""
    cert = asn1_x509.Certificate.load(cert_der)
    ess = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(cert_der).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
                        "serial_number": cert.serial_number,
                    },
                }
            ]
        }
    )
    sid = cms.SignerIdentifier(
        {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
    )
    return ess.dump(), sid.dump()


def _build_signed_data(digest: bytes, signer: Signer, signing_time: dt.datetime) -> bytes:
    cert_der = signer.certificate.public_bytes(serialization.Encoding.DER)
    ess_der, sid_der = _signer_parts(cert_der)
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    # Loaded from DER: asn1crypto otherwise re-encodes the nested name for every enclosing
    # structure, which made signing ~10x slower.
    ess = tsp.SigningCertificateV2.load(ess_der)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [_signing_time(signing_time)]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
    )
    # RFC 5652 §5.4: the signature covers the attributes DER-encoded as a SET OF
    # (asn1crypto sorts SET OF members, giving the DER form).
    signed_blob = signed_attrs.dump()
    signature = signer.sign_raw(signed_blob)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier.load(sid_der),
            "digest_algorithm": sha256,
            "signed_attrs": cms.CMSAttributes.load(signed_blob),  # exactly what was signed
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [sha256],
            "encap_content_info": {"content_type": "data"},
            "certificates": [asn1_x509.Certificate.load(cert_der)],
            "signer_infos": [signer_info],
        }
    )
    encoded: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    return encoded


# --- verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that passed every check, and who made it."""

    signer_certificate: x509.Certificate
    serial: int
    user_id: str | None
    name: str
    signing_time: dt.datetime | None
    delegated_from_serial: int | None
    session_id: str | None
    purpose: Purpose | None
    environment: str | None
    fingerprint: str
    message_digest: str  # hex SHA-256 of the signed content

    @property
    def delegated(self) -> bool:
        """Made with a no-scan window's session key (免扫码), not the phone's own key."""
        return self.delegated_from_serial is not None


@dataclass(frozen=True)
class ParsedSignature:
    """A signature's parts, not yet verified (see :func:`parse_signature`)."""

    certificate: x509.Certificate
    signed_attrs: bytes
    signature: bytes
    message_digest: bytes
    signing_time: dt.datetime | None
    ess_hashes: tuple[bytes, ...] | None


class _Bad(Exception):
    """Internal: a structural problem, reported as MalformedSignature."""


_PARSE_ERRORS: tuple[type[Exception], ...] = (
    *CERTIFICATE_PARSE_ERRORS,
    KeyError,
    IndexError,
    AttributeError,
)


_SINGLE_VALUED = ("content_type", "message_digest", "signing_time", "signing_certificate_v2")


def _attribute_values(signed_attrs: Any) -> dict[str, Any]:
    """The attributes we read, each of which must occur once with one value (RFC 5652)."""
    found: dict[str, Any] = {}
    for attr in signed_attrs:
        name = attr["type"].native
        if name not in _SINGLE_VALUED:
            continue  # e.g. SMIMECapabilities from OpenSSL: signed, but not ours to read
        values = attr["values"]
        if name in found or len(values) != 1:
            raise _Bad(f"attribute {name} must occur once with one value")
        found[name] = values[0]
    return found


def _signer_certificate(certificates: Any, sid: Any) -> x509.Certificate:
    for choice in certificates or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            issuer = sid.chosen["issuer"]
            # Identical encodings first: asn1crypto's name comparison (string preparation
            # of every attribute) costs more than the rest of the parse.
            match = cert.serial_number == sid.chosen["serial_number"].native and (
                cert.issuer.dump() == issuer.dump() or cert.issuer == issuer
            )
        else:
            match = cert.key_identifier == sid.chosen.native
        if match:
            signer = x509.load_der_x509_certificate(cert.dump())
            signer.extensions  # noqa: B018 - parsed now, so garbage is MalformedSignature
            return signer
    raise _Bad("the signer's certificate is not included")


def _parse(signature_der: bytes) -> ParsedSignature:
    if not isinstance(signature_der, bytes | bytearray) or not signature_der:
        raise _Bad("empty signature")
    if len(signature_der) > MAX_SIGNATURE_BYTES:
        raise _Bad("signature too large")
    info = cms.ContentInfo.load(bytes(signature_der), strict=True)
    if info["content_type"].native != "signed_data":
        raise _Bad("not a SignedData")
    signed_data = info["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "data":
        raise _Bad("content type is not id-data")
    if encap["content"].native is not None:
        raise _Bad("not a detached signature (content embedded)")
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise _Bad("exactly one signer expected")
    signer_info = signer_infos[0]
    if signer_info["digest_algorithm"]["algorithm"].native != "sha256":
        raise _Bad("digest algorithm must be SHA-256")
    if signer_info["signature_algorithm"]["algorithm"].dotted not in (
        _ECDSA_SHA256,
        _EC_PUBLIC_KEY,
    ):
        raise _Bad("signature algorithm must be ECDSA with SHA-256")
    signed_attrs = signer_info["signed_attrs"]
    if not isinstance(signed_attrs, cms.CMSAttributes):
        raise _Bad("signed attributes are missing")
    # What the signer signed: the attributes' content octets exactly as received, under a
    # SET OF header instead of the [0] IMPLICIT tag (RFC 5652 §5.4). Taken before anything
    # parses the children, so nothing is re-encoded.
    signed_blob = cms.CMSAttributes(contents=signed_attrs.contents).dump()
    if len(signed_attrs) == 0:
        raise _Bad("signed attributes are missing")
    attrs = _attribute_values(signed_attrs)
    if "content_type" not in attrs or attrs["content_type"].native != "data":
        raise _Bad("content-type attribute must be id-data")
    if "message_digest" not in attrs:
        raise _Bad("message-digest attribute is missing")
    digest = attrs["message_digest"].native
    if not isinstance(digest, bytes):
        raise _Bad("message-digest is not an OCTET STRING")
    signing_time = attrs["signing_time"].native if "signing_time" in attrs else None
    ess_hashes = None
    if "signing_certificate_v2" in attrs:
        ess_hashes = tuple(_ess_hash(item) for item in attrs["signing_certificate_v2"]["certs"])
    return ParsedSignature(
        certificate=_signer_certificate(signed_data["certificates"], signer_info["sid"]),
        signed_attrs=signed_blob,
        signature=signer_info["signature"].native,
        message_digest=digest,
        signing_time=as_utc(signing_time) if signing_time else None,
        ess_hashes=ess_hashes,
    )


def _ess_hash(item: Any) -> bytes:
    if item["hash_algorithm"]["algorithm"].native != "sha256":
        raise _Bad("signing-certificate-v2 must use SHA-256")
    value = item["cert_hash"].native
    if not isinstance(value, bytes):
        raise _Bad("signing-certificate-v2 hash is not an OCTET STRING")
    return value


def parse_signature(signature_der: bytes) -> ParsedSignature:
    """Parse without verifying; MalformedSignature for anything that is not our profile."""
    try:
        return _parse(signature_der)
    except _Bad as exc:
        raise MalformedSignature(details={"reason": str(exc)}) from exc
    except _PARSE_ERRORS as exc:
        # asn1crypto parses lazily: structural errors surface on first access.
        raise MalformedSignature(details={"reason": "not DER CMS"}) from exc


def verify_digest(
    signature_der: bytes | ParsedSignature,
    digest: bytes,
    *,
    ca_certificate: x509.Certificate,
    revoked_serials: RevocationSource = (),
    at: dt.datetime | None = None,
    purposes: Iterable[Purpose] | None = None,
) -> VerifiedSignature:
    """As :func:`verify_detached` for content known only by its SHA-256 ``digest``."""
    when = as_utc(at) if at else now()
    parsed = (
        signature_der
        if isinstance(signature_der, ParsedSignature)
        else parse_signature(signature_der)
    )
    cert = parsed.certificate
    # Trust first: a certificate from the trial environment is reported as such (A5),
    # whatever else is wrong with the signature.
    check_issued_by(cert, ca_certificate)
    check_profile(cert)
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)  # check_profile guarantees it
    try:
        public.verify(parsed.signature, parsed.signed_attrs, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise SignatureInvalid(details={"reason": "signed attributes"}) from exc
    if not hmac.compare_digest(parsed.message_digest, digest):
        raise SignatureInvalid(details={"reason": "message digest"})
    if parsed.ess_hashes is not None:
        cert_hash = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()
        if cert_hash not in parsed.ess_hashes:
            raise SignatureInvalid(details={"reason": "signing certificate"})
    info = verify_certificate(
        cert,
        ca_certificate=ca_certificate,
        revoked_serials=revoked_serials,
        at=when,
        purposes=purposes,
    )
    if parsed.signing_time is not None:
        if parsed.signing_time > when + FUTURE_TOLERANCE:
            raise SignatureInvalid(
                "签名时间晚于当前时间，签名不可信",
                "The signing time lies in the future; the signature is not trusted",
                details={"signing_time": iso(parsed.signing_time), "at": iso(when)},
            )
        check_validity(cert, parsed.signing_time, what="signing_time")
    return VerifiedSignature(
        signer_certificate=cert,
        serial=info.serial,
        user_id=info.user_id,
        name=info.name,
        signing_time=parsed.signing_time,
        delegated_from_serial=info.delegated_from_serial,
        session_id=info.session_id,
        purpose=info.purpose,
        environment=info.environment,
        fingerprint=info.fingerprint,
        message_digest=digest.hex(),
    )


def verify_detached(
    signature_der: bytes | ParsedSignature,
    data: bytes,
    *,
    ca_certificate: x509.Certificate,
    revoked_serials: RevocationSource = (),
    at: dt.datetime | None = None,
    purposes: Iterable[Purpose] | None = None,
) -> VerifiedSignature:
    """Verify a detached CMS signature over ``data`` against THIS environment's CA.

    Refuses with MalformedSignature, ForeignEnvironment, UntrustedCertificate,
    SignatureInvalid, CertificateRevoked, CertificateExpired/NotYetValid or
    CertificateUsageInvalid (all :class:`~patentdesk.pki.errors.SignatureVerificationError`).
    ``at`` is when the certificate must be valid (default now); the signing time must
    also fall within the certificate's validity. ``purposes`` restricts the profiles
    accepted (e.g. ``{"signing", "delegated"}`` for filings, ``{"office"}`` for receipts).
    A signature the caller parsed already (:func:`parse_signature`) is not parsed again.
    """
    return verify_digest(
        signature_der,
        hashlib.sha256(data).digest(),
        ca_certificate=ca_certificate,
        revoked_serials=revoked_serials,
        at=at,
        purposes=purposes,
    )


__all__ = [
    "KeySigner",
    "ParsedSignature",
    "Signer",
    "VerifiedSignature",
    "parse_signature",
    "sign_detached",
    "sign_digest",
    "verify_detached",
    "verify_digest",
]
