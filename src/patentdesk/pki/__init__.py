"""PatentDesk's PKI: a small typed library, no database (see docs/pki.md).

- :mod:`~patentdesk.pki.ca` — the environment's CA, certificate issuing, CRLs, office key
- :mod:`~patentdesk.pki.cms` — detached CMS signatures: signers, sign, verify
- :mod:`~patentdesk.pki.validation` — certificate checks against this environment's CA
- :mod:`~patentdesk.pki.payload` — compact signed JSON (JWS ES256) for the login protocol
- :mod:`~patentdesk.pki.keys` — key/certificate encodings and fingerprints
- :mod:`~patentdesk.pki.clientkey` — the desktop client's no-scan-window session key
- :mod:`~patentdesk.pki.errors` — the error hierarchy (all PatentDeskError)

The lead's services store certificates and revocations and call in here.
"""

from __future__ import annotations

from patentdesk.pki.ca import CertificateAuthority, load_or_create_office_signer
from patentdesk.pki.cms import (
    KeySigner,
    Signer,
    VerifiedSignature,
    parse_signature,
    sign_detached,
    sign_digest,
    verify_detached,
    verify_digest,
)
from patentdesk.pki.errors import (
    CertificateError,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUsageInvalid,
    ForeignEnvironment,
    MalformedPayload,
    MalformedSignature,
    PayloadSignatureInvalid,
    PkiError,
    SignatureInvalid,
    SignatureVerificationError,
    UntrustedCertificate,
)
from patentdesk.pki.keys import (
    certificate_der,
    certificate_pem,
    fingerprint,
    format_serial,
    generate_key,
    load_certificate,
    load_public_key,
    public_key_der,
    public_key_pem,
)
from patentdesk.pki.payload import peek_payload, sign_payload, verify_payload
from patentdesk.pki.profiles import CertificateInfo, Purpose, describe_certificate
from patentdesk.pki.validation import RevocationList, load_crl, verify_certificate

__all__ = [
    "CertificateAuthority",
    "CertificateError",
    "CertificateExpired",
    "CertificateInfo",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUsageInvalid",
    "ForeignEnvironment",
    "KeySigner",
    "MalformedPayload",
    "MalformedSignature",
    "PayloadSignatureInvalid",
    "PkiError",
    "Purpose",
    "RevocationList",
    "SignatureInvalid",
    "SignatureVerificationError",
    "Signer",
    "UntrustedCertificate",
    "VerifiedSignature",
    "certificate_der",
    "certificate_pem",
    "describe_certificate",
    "fingerprint",
    "format_serial",
    "generate_key",
    "load_certificate",
    "load_crl",
    "load_or_create_office_signer",
    "load_public_key",
    "parse_signature",
    "peek_payload",
    "public_key_der",
    "public_key_pem",
    "sign_detached",
    "sign_digest",
    "sign_payload",
    "verify_certificate",
    "verify_detached",
    "verify_digest",
    "verify_payload",
]
