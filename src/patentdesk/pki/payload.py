"""Compact signed JSON for the login protocol: QR payloads and phone approvals.

The format is a JWS compact serialization (RFC 7515) with ES256 (RFC 7518 §3.4), so a
real phone app can produce and check it with any JOSE library::

    BASE64URL(header) "." BASE64URL(JSON payload) "." BASE64URL(r || s)

with header ``{"alg":"ES256"}`` (plus ``"kid"`` when given) and the signature over the
ASCII of the first two parts. JSON is serialised canonically (sorted keys, no spaces,
UTF-8) so the same object always gives the same token. Only ES256 is accepted on
verification: the algorithm is never taken from the token itself ("alg confusion").

The QR payloads the server signs let the phone refuse a code the server did not make;
approvals signed with the device key prove the phone holds it. Expiry, nonces and
single use are the protocol's business, not this module's: put them in the payload.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from patentdesk.pki.errors import MalformedPayload, PayloadSignatureInvalid
from patentdesk.pki.keys import PrivateKey, PublicKey, check_public_key

ALGORITHM = "ES256"
MAX_TOKEN_CHARS = 16 * 1024
_COORDINATE = 32  # P-256: r and s are 32 bytes each in JWS
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(c not in _B64_ALPHABET for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign_payload(obj: Mapping[str, Any], key: PrivateKey, *, kid: str | None = None) -> str:
    """Sign a JSON object; ``kid`` names the key (e.g. a device id or key fingerprint)."""
    if not isinstance(obj, Mapping):
        raise TypeError("payload must be a JSON object")
    header: dict[str, Any] = {"alg": ALGORITHM}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{_b64encode(canonical_json(header))}.{_b64encode(canonical_json(obj))}"
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(_COORDINATE, "big") + s.to_bytes(_COORDINATE, "big")
    return f"{signing_input}.{_b64encode(raw)}"


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], str, bytes]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise MalformedPayload(details={"reason": "not a token or too long"})
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise MalformedPayload(details={"reason": "expected three dot-separated parts"})
    try:
        header = json.loads(_b64decode(parts[0]))
        payload = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise MalformedPayload(details={"reason": "not base64url JSON"}) from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise MalformedPayload(details={"reason": "header and payload must be JSON objects"})
    return header, payload, f"{parts[0]}.{parts[1]}", signature


def peek_payload(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, payload)`` WITHOUT verifying: only to find which key to verify with."""
    header, payload, _, _ = _split(token)
    return header, payload


def verify_payload(token: str, public_key_or_cert: PublicKey | x509.Certificate) -> dict[str, Any]:
    """The payload if ``token`` was signed by the key (or the certificate's key).

    A certificate is used for its key only; validate it separately
    (:func:`patentdesk.pki.validation.verify_certificate`) when its status matters.
    """
    header, payload, signing_input, signature = _split(token)
    if header.get("alg") != ALGORITHM or "crit" in header:
        raise MalformedPayload(details={"reason": "only ES256 without crit is accepted"})
    if len(signature) != 2 * _COORDINATE:
        raise PayloadSignatureInvalid()
    key = (
        public_key_or_cert.public_key()
        if isinstance(public_key_or_cert, x509.Certificate)
        else public_key_or_cert
    )
    public = check_public_key(key)
    der = encode_dss_signature(
        int.from_bytes(signature[:_COORDINATE], "big"),
        int.from_bytes(signature[_COORDINATE:], "big"),
    )
    try:
        public.verify(der, signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise PayloadSignatureInvalid() from exc
    return payload
