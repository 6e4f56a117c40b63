"""Certificate validation against THIS environment's CA (a one-level chain).

The checks, in the order a user would want to hear about them:

1. trust — issued by this CA (name, then signature); a PatentDesk CA of another
   environment is ForeignEnvironment (seed A5), anybody else UntrustedCertificate;
2. profile — an end-entity P-256 certificate whose key usage allows signatures
   (digitalSignature or nonRepudiation);
3. revocation — the certificate, and for a delegated certificate the signing certificate
   it was delegated from (a lost phone ends its windows too);
4. validity period — of the CA and the certificate at the time asked about;
5. purpose — the PatentDesk profile is one the caller accepts (e.g. submissions accept
   ``signing``/``delegated``, receipts only ``office``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.pki.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUsageInvalid,
    ForeignEnvironment,
    InvalidCertificateData,
    UntrustedCertificate,
)
from patentdesk.pki.keys import CERTIFICATE_PARSE_ERRORS, CURVE, format_serial
from patentdesk.pki.profiles import CertificateInfo, Purpose, describe_certificate, environment_of
from patentdesk.timeutil import as_utc, iso, now

#: Either the revoked serials themselves or a callback asking the caller's database.
RevocationSource = Collection[int] | Callable[[int], bool]


def is_revoked(source: RevocationSource, serial: int) -> bool:
    if callable(source):
        return bool(source(serial))
    return serial in source


def _aki(cert: x509.Certificate) -> bytes | None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    return ext.value.key_identifier


def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _foreign(found: str | None, ca_certificate: x509.Certificate) -> ForeignEnvironment:
    ours = environment_of(ca_certificate.subject)
    return ForeignEnvironment(details={"certificate_environment": found, "environment": ours})


def _parsed_extensions(cert: x509.Certificate) -> None:
    # cryptography parses extensions lazily; a garbled one must not escape as ValueError.
    try:
        cert.extensions  # noqa: B018
    except CERTIFICATE_PARSE_ERRORS as exc:
        raise UntrustedCertificate(details={"reason": "malformed extensions"}) from exc


def check_issued_by(cert: x509.Certificate, ca_certificate: x509.Certificate) -> None:
    """Raise unless ``cert`` was signed by ``ca_certificate``'s key under its name."""
    _parsed_extensions(cert)
    if cert.issuer != ca_certificate.subject:
        found = environment_of(cert.issuer)
        if found is not None:
            raise _foreign(found, ca_certificate)
        raise UntrustedCertificate(details={"issuer": cert.issuer.rfc4514_string()})
    try:
        cert.verify_directly_issued_by(ca_certificate)
    except (ValueError, TypeError, InvalidSignature) as exc:
        # Same name, different key: the environment's CA was re-created (e.g. the trial
        # was reset), which for the user is the same situation as another environment.
        aki = _aki(cert)
        if aki is not None and aki != _ski(ca_certificate):
            raise _foreign(environment_of(cert.issuer), ca_certificate) from exc
        raise UntrustedCertificate(details={"issuer": cert.issuer.rfc4514_string()}) from exc


def check_profile(cert: x509.Certificate) -> None:
    """Raise CertificateUsageInvalid unless ``cert`` is a P-256 end-entity signing certificate."""
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, CURVE):
        raise CertificateUsageInvalid(details={"reason": "key is not ECDSA P-256"})
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            raise CertificateUsageInvalid(details={"reason": "a CA certificate cannot sign"})
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise CertificateUsageInvalid(details={"reason": "no key usage"}) from exc
    if not (usage.digital_signature or usage.content_commitment):
        raise CertificateUsageInvalid(details={"reason": "key usage does not allow signing"})


def check_validity(cert: x509.Certificate, at: dt.datetime, *, what: str = "at") -> None:
    """Raise CertificateExpired/CertificateNotYetValid unless ``at`` is in the period."""
    details = {
        "serial": format_serial(cert.serial_number),
        "not_before": iso(cert.not_valid_before_utc),
        "not_after": iso(cert.not_valid_after_utc),
        what: iso(at),
    }
    if at < cert.not_valid_before_utc:
        raise CertificateNotYetValid(details=details)
    if at > cert.not_valid_after_utc:
        raise CertificateExpired(details=details)


def verify_certificate(
    cert: x509.Certificate,
    *,
    ca_certificate: x509.Certificate,
    revoked_serials: RevocationSource = (),
    at: dt.datetime | None = None,
    purposes: Iterable[Purpose] | None = None,
) -> CertificateInfo:
    """Validate ``cert`` for signing at ``at`` (default now); see the module docstring."""
    when = as_utc(at) if at else now()
    check_issued_by(cert, ca_certificate)
    check_profile(cert)
    try:
        info = describe_certificate(cert)
    except ValueError as exc:  # our CA never issues a garbled delegation extension
        raise UntrustedCertificate(details={"reason": "malformed delegation"}) from exc
    for serial in (info.serial, info.delegated_from_serial):
        if serial is not None and is_revoked(revoked_serials, serial):
            raise CertificateRevoked(details={"serial": format_serial(serial)})
    check_validity(ca_certificate, when)
    check_validity(cert, when)
    if purposes is not None:
        allowed = set(purposes)
        if info.purpose not in allowed:
            raise CertificateUsageInvalid(
                details={"purpose": info.purpose, "accepted": sorted(allowed)}
            )
    return info


@dataclass(frozen=True)
class RevocationList:
    """A CRL whose signature was checked against this environment's CA."""

    serials: frozenset[int]
    this_update: dt.datetime
    next_update: dt.datetime | None

    def is_current(self, at: dt.datetime | None = None) -> bool:
        when = as_utc(at) if at else now()
        return self.next_update is None or when <= self.next_update


def load_crl(data: bytes, *, ca_certificate: x509.Certificate) -> RevocationList:
    """Parse a CRL (PEM or DER) and check it is signed by ``ca_certificate``.

    Used by the offline client, which verifies receipts with the CA certificate and the
    last CRL it downloaded; the caller decides what to do with a stale one.
    """
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise InvalidCertificateData() from exc
    if crl.issuer != ca_certificate.subject:
        found = environment_of(crl.issuer)
        if found is not None:
            raise _foreign(found, ca_certificate)
        raise UntrustedCertificate(details={"issuer": crl.issuer.rfc4514_string()})
    public = ca_certificate.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not crl.is_signature_valid(public):
        raise UntrustedCertificate(details={"reason": "CRL signature"})
    return RevocationList(
        serials=frozenset(entry.serial_number for entry in crl),
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
    )
