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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
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

# Loaded on first use: ``from patentdesk.pki.errors import …`` (e.g. in the HTTP error
# handler or a CLI command) should not pay for importing asn1crypto and the CMS code.
_EXPORTS = {
    "CertificateAuthority": "patentdesk.pki.ca",
    "CertificateError": "patentdesk.pki.errors",
    "CertificateExpired": "patentdesk.pki.errors",
    "CertificateInfo": "patentdesk.pki.profiles",
    "CertificateNotYetValid": "patentdesk.pki.errors",
    "CertificateRevoked": "patentdesk.pki.errors",
    "CertificateUsageInvalid": "patentdesk.pki.errors",
    "ForeignEnvironment": "patentdesk.pki.errors",
    "KeySigner": "patentdesk.pki.cms",
    "MalformedPayload": "patentdesk.pki.errors",
    "MalformedSignature": "patentdesk.pki.errors",
    "PayloadSignatureInvalid": "patentdesk.pki.errors",
    "PkiError": "patentdesk.pki.errors",
    "Purpose": "patentdesk.pki.profiles",
    "RevocationList": "patentdesk.pki.validation",
    "SignatureInvalid": "patentdesk.pki.errors",
    "SignatureVerificationError": "patentdesk.pki.errors",
    "Signer": "patentdesk.pki.cms",
    "UntrustedCertificate": "patentdesk.pki.errors",
    "VerifiedSignature": "patentdesk.pki.cms",
    "certificate_der": "patentdesk.pki.keys",
    "certificate_pem": "patentdesk.pki.keys",
    "describe_certificate": "patentdesk.pki.profiles",
    "fingerprint": "patentdesk.pki.keys",
    "format_serial": "patentdesk.pki.keys",
    "generate_key": "patentdesk.pki.keys",
    "load_certificate": "patentdesk.pki.keys",
    "load_crl": "patentdesk.pki.validation",
    "load_or_create_office_signer": "patentdesk.pki.ca",
    "load_public_key": "patentdesk.pki.keys",
    "parse_signature": "patentdesk.pki.cms",
    "peek_payload": "patentdesk.pki.payload",
    "public_key_der": "patentdesk.pki.keys",
    "public_key_pem": "patentdesk.pki.keys",
    "sign_detached": "patentdesk.pki.cms",
    "sign_digest": "patentdesk.pki.cms",
    "sign_payload": "patentdesk.pki.payload",
    "verify_certificate": "patentdesk.pki.validation",
    "verify_detached": "patentdesk.pki.cms",
    "verify_digest": "patentdesk.pki.cms",
    "verify_payload": "patentdesk.pki.payload",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


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
