"""Signed JSON payloads (JWS compact, ES256) for QR codes and phone approvals."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from patentdesk.pki import errors
from patentdesk.pki.keys import fingerprint, generate_key, load_public_key, public_key_der
from patentdesk.pki.payload import peek_payload, sign_payload, verify_payload

QR = {
    "v": 1,
    "typ": "login",
    "server": "https://patentdesk.example.cn",
    "challenge": "3f1c0d…",
    "nonce": "n-128-bits",
    "client": "客户端 · Windows",
}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_round_trip_with_key_and_certificate(alice):
    token = sign_payload(QR, alice.key, kid="dev-1")
    assert verify_payload(token, alice.key.public_key()) == QR
    assert verify_payload(token, alice.certificate) == QR
    header, payload = peek_payload(token)
    assert header == {"alg": "ES256", "kid": "dev-1"}
    assert payload == QR


def test_token_is_standard_jws_es256():
    """Any JOSE library can check it: header.payload.raw(r||s) over the first two parts."""
    key = generate_key()
    token = sign_payload({"b": 2, "a": "中"}, key)
    head, body, sig = token.split(".")
    assert json.loads(unb64(head)) == {"alg": "ES256"}
    assert unb64(body) == '{"a":"中","b":2}'.encode()  # canonical: sorted, compact, UTF-8
    raw = unb64(sig)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.public_key().verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))


def test_payload_not_signed_by_the_server_is_refused(alice):
    server_key, attacker_key = generate_key(), generate_key()
    forged = sign_payload(QR, attacker_key)
    with pytest.raises(errors.PayloadSignatureInvalid) as info:
        verify_payload(forged, server_key.public_key())
    assert info.value.code == "PAYLOAD_SIGNATURE_INVALID"


def test_altered_payload_is_refused():
    key = generate_key()
    head, _, sig = sign_payload(QR, key).split(".")
    altered = f"{head}.{b64(json.dumps({**QR, 'server': 'https://evil'}).encode())}.{sig}"
    with pytest.raises(errors.PayloadSignatureInvalid):
        verify_payload(altered, key.public_key())


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", None])
def test_only_es256_is_accepted(alg):
    key = generate_key()
    _, body, sig = sign_payload(QR, key).split(".")
    header = {} if alg is None else {"alg": alg}
    token = f"{b64(json.dumps(header).encode())}.{body}.{sig}"
    with pytest.raises(errors.MalformedPayload):
        verify_payload(token, key.public_key())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!.??.**",
        f"{b64(b'[1]')}.{b64(b'{}')}.{b64(b'x')}",
        "x" * 20000,
    ],
    ids=["empty", "one-part", "two-parts", "four-parts", "not-b64", "array-header", "huge"],
)
def test_garbage_tokens_are_malformed(token):
    with pytest.raises(errors.MalformedPayload):
        verify_payload(token, generate_key().public_key())


def test_wrong_signature_length_is_invalid():
    key = generate_key()
    head, body, _ = sign_payload(QR, key).split(".")
    with pytest.raises(errors.PayloadSignatureInvalid):
        verify_payload(f"{head}.{body}.{b64(b'x' * 63)}", key.public_key())


def test_key_helpers_round_trip_and_fingerprint():
    key = generate_key().public_key()
    der = public_key_der(key)
    assert load_public_key(der) == key
    assert len(fingerprint(key)) == 64
    assert fingerprint(key) != fingerprint(generate_key().public_key())
    with pytest.raises(errors.InvalidKey):
        verify_payload(
            sign_payload(QR, generate_key()), ec.generate_private_key(ec.SECP384R1()).public_key()
        )
