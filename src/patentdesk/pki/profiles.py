"""Certificate profiles: names, object identifiers and what a certificate says about itself.

PatentDesk's OIDs live under a UUID arc (``2.25.<uuid>``, ITU-T X.667), which needs no
registration and cannot collide with anybody else's.

Names (all UTF8String):

- CA:      ``O=PatentDesk, OU=<environment>, CN=PatentDesk <environment> CA``
- user:    ``O=PatentDesk, OU=<environment>, UID=<user id>, CN=<name>``
- service: ``O=PatentDesk, OU=<environment>, CN=<name>``

The environment in the issuer's OU is what lets a verifier say "this certificate is from
the trial environment" instead of a bare "untrusted" (seed A5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, get_args

from asn1crypto import core
from cryptography import x509
from cryptography.x509.oid import NameOID

from patentdesk.pki.keys import fingerprint

ORGANIZATION = "PatentDesk"

PATENTDESK_ARC = "2.25.131010587013381048250430959571648179131"

Purpose = Literal["signing", "device", "delegated", "office"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)

#: certificatePolicies OID per profile: the machine-readable purpose of a certificate.
POLICY_OIDS: dict[Purpose, x509.ObjectIdentifier] = {
    "signing": x509.ObjectIdentifier(f"{PATENTDESK_ARC}.1.1"),
    "device": x509.ObjectIdentifier(f"{PATENTDESK_ARC}.1.2"),
    "delegated": x509.ObjectIdentifier(f"{PATENTDESK_ARC}.1.3"),
    "office": x509.ObjectIdentifier(f"{PATENTDESK_ARC}.1.4"),
}
_PURPOSE_BY_OID = {oid: purpose for purpose, oid in POLICY_OIDS.items()}

#: Non-critical extension on delegated (no-scan window, 免扫码) certificates.
DELEGATION_OID = x509.ObjectIdentifier(f"{PATENTDESK_ARC}.2.1")


class Delegation(core.Sequence):
    """``SEQUENCE { delegatedFrom INTEGER, sessionId UTF8String OPTIONAL }``.

    ``delegatedFrom`` is the serial of the user's signing certificate whose holder (the
    phone) approved the window; ``sessionId`` the client session that holds the key.
    """

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("delegated_from", core.Integer),
        ("session_id", core.UTF8String, {"optional": True}),
    ]


def ca_name(environment: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, environment),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{ORGANIZATION} {environment} CA"),
        ]
    )


def subject_name(environment: str, name: str, user_id: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, environment),
    ]
    if user_id is not None:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, user_id))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
    return x509.Name(attributes)


def _single(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1:
        return None
    value = values[0].value
    return value if isinstance(value, str) else None


def environment_of(name: x509.Name) -> str | None:
    """The environment a PatentDesk name belongs to, or None for anybody else's name."""
    if _single(name, NameOID.ORGANIZATION_NAME) != ORGANIZATION:
        return None
    return _single(name, NameOID.ORGANIZATIONAL_UNIT_NAME)


def encode_delegation(delegated_from_serial: int, session_id: str | None) -> bytes:
    value = Delegation({"delegated_from": delegated_from_serial})
    if session_id is not None:
        value["session_id"] = session_id
    encoded: bytes = value.dump()
    return encoded


def decode_delegation(cert: x509.Certificate) -> tuple[int, str | None] | None:
    """``(delegated_from_serial, session_id)`` or None; ValueError if present but garbled."""
    try:
        ext = cert.extensions.get_extension_for_oid(DELEGATION_OID)
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):
        raise ValueError("unexpected delegation extension type")
    parsed = Delegation.load(value.value, strict=True)
    serial = parsed["delegated_from"].native
    session = parsed["session_id"].native
    if not isinstance(serial, int) or serial <= 0:
        raise ValueError("delegatedFrom must be a positive serial")
    return serial, session


def purpose_of(cert: x509.Certificate) -> Purpose | None:
    """The profile named by the certificate's PatentDesk policy OID (None if absent)."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return None
    found = {
        _PURPOSE_BY_OID[p.policy_identifier]
        for p in policies
        if p.policy_identifier in _PURPOSE_BY_OID
    }
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class CertificateInfo:
    """What a PatentDesk certificate says about itself (not a statement of trust).

    :func:`patentdesk.pki.validation.verify_certificate` returns one of these only after
    every check passed; :func:`describe_certificate` reads one from any certificate for
    display (``mobile certificate``).
    """

    certificate: x509.Certificate
    serial: int
    environment: str | None
    purpose: Purpose | None
    user_id: str | None
    name: str
    not_before: dt.datetime
    not_after: dt.datetime
    delegated_from_serial: int | None
    session_id: str | None
    fingerprint: str

    @property
    def delegated(self) -> bool:
        return self.delegated_from_serial is not None


def describe_certificate(cert: x509.Certificate) -> CertificateInfo:
    """Read a certificate's PatentDesk fields; ValueError if its delegation is garbled."""
    delegation = decode_delegation(cert)
    return CertificateInfo(
        certificate=cert,
        serial=cert.serial_number,
        environment=environment_of(cert.issuer),
        purpose=purpose_of(cert),
        user_id=_single(cert.subject, NameOID.USER_ID),
        name=_single(cert.subject, NameOID.COMMON_NAME) or cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        delegated_from_serial=delegation[0] if delegation else None,
        session_id=delegation[1] if delegation else None,
        fingerprint=fingerprint(cert),
    )
