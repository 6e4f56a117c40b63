"""Detached CMS signatures: sign → re-parse → validate, and every refusal."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from patentdesk.pki import errors
from patentdesk.pki.ca import CertificateAuthority
from patentdesk.pki.cms import (
    KeySigner,
    parse_signature,
    sign_detached,
    sign_digest,
    verify_detached,
    verify_digest,
)
from patentdesk.pki.keys import generate_key
from patentdesk.timeutil import now

from .conftest import START, Holder

DATA = "专利申请案卷包 manifest\n".encode() * 50


def verify(sig: bytes, ca: CertificateAuthority, data: bytes = DATA, **kw):
    return verify_detached(sig, data, ca_certificate=ca.certificate, **kw)


def test_round_trip_reports_the_signer(ca, alice: Holder):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    parsed = parse_signature(sig)
    assert parsed.certificate == alice.certificate
    assert parsed.signing_time == START

    result = verify(sig, ca)
    assert result.serial == alice.certificate.serial_number
    assert result.user_id == "u-alice"
    assert result.name == "张三"
    assert result.signing_time == START
    assert result.purpose == "signing"
    assert result.environment == "production"
    assert result.delegated_from_serial is None and not result.delegated
    assert result.message_digest == hashlib.sha256(DATA).hexdigest()
    assert result.signer_certificate == alice.certificate


def test_signing_time_is_explicit_and_second_precision(ca, alice: Holder):
    when = START - dt.timedelta(minutes=3, microseconds=123)
    sig = sign_detached(DATA, alice.key, alice.certificate, signing_time=when)
    assert verify(sig, ca).signing_time == when.replace(microsecond=0)


def test_digest_signing_matches_content_signing(ca, alice: Holder):
    """The phone sees only the package digest; the result verifies over the content."""
    sig = sign_digest(hashlib.sha256(DATA).digest(), alice.key, alice.certificate)
    assert verify(sig, ca).user_id == "u-alice"
    assert verify_digest(
        sig, hashlib.sha256(DATA).digest(), ca_certificate=ca.certificate
    ).serial == (alice.certificate.serial_number)
    with pytest.raises(ValueError):
        sign_digest(b"short", alice.key, alice.certificate)


@pytest.mark.parametrize(
    "altered",
    [DATA + b"x", DATA[:-1], b"X" + DATA[1:], b""],
    ids=["appended", "truncated", "changed", "empty"],
)
def test_altered_bytes_are_refused(ca, alice: Holder, altered: bytes):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    with pytest.raises(errors.SignatureInvalid) as info:
        verify(sig, ca, data=altered)
    assert info.value.code == "SIGNATURE_INVALID"
    assert "改动" in info.value.zh


def _edit_signed_attribute(sig: bytes, name: str, value: object) -> bytes:
    info = cms.ContentInfo.load(sig)
    for attr in info["content"]["signer_infos"][0]["signed_attrs"]:
        if attr["type"].native == name:
            attr["values"] = [value]
    return info.dump(force=True)


def test_attributes_are_verified_as_received_not_re_encoded(ca, alice: Holder):
    """A signer whose SET OF is not in DER order (BER) still verifies: the signature
    is checked over the octets as sent, never over a re-sorted copy."""
    info = cms.ContentInfo.load(sign_detached(DATA, alice.key, alice.certificate))
    signer_info = info["content"]["signer_infos"][0]
    members = [attr.dump() for attr in signer_info["signed_attrs"]]
    unsorted = b"".join(reversed(members))
    assert unsorted != b"".join(sorted(members))
    blob = cms.CMSAttributes(contents=unsorted).dump()
    signer_info["signed_attrs"] = cms.CMSAttributes.load(blob)
    signer_info["signature"] = alice.key.sign(blob, ec.ECDSA(hashes.SHA256()))
    sig = info.dump()
    assert parse_signature(sig).signed_attrs == blob
    assert verify(sig, ca).user_id == "u-alice"


def test_tampered_signing_time_is_refused(ca, alice: Holder):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    backdated = cms.Time({"utc_time": START - dt.timedelta(days=1)})
    tampered = _edit_signed_attribute(sig, "signing_time", backdated)
    assert parse_signature(tampered).signing_time == START - dt.timedelta(days=1)
    with pytest.raises(errors.SignatureInvalid):
        verify(tampered, ca)


def test_digest_swapped_for_other_content_is_refused(ca, alice: Holder):
    """Replacing the content and its message-digest attribute breaks the signature."""
    other = b"another package"
    tampered = _edit_signed_attribute(
        sign_detached(DATA, alice.key, alice.certificate),
        "message_digest",
        hashlib.sha256(other).digest(),
    )
    with pytest.raises(errors.SignatureInvalid):
        verify(tampered, ca, data=other)


def test_certificate_swapped_for_another_of_the_same_key_is_refused(ca, alice: Holder):
    """ESS signing-certificate-v2 binds the certificate, not just the key."""
    sig = sign_detached(DATA, alice.key, alice.certificate)
    impostor = ca.issue_user_certificate(alice.key.public_key(), "u-mallory", "李四")
    info = cms.ContentInfo.load(sig)
    other = asn1_x509.Certificate.load(impostor.public_bytes(Encoding.DER))
    info["content"]["certificates"] = [other]
    sid = info["content"]["signer_infos"][0]["sid"].chosen
    sid["serial_number"] = impostor.serial_number
    with pytest.raises(errors.SignatureInvalid):
        verify(info.dump(force=True), ca)


@pytest.mark.parametrize("as_callback", [False, True])
def test_revoked_certificate_is_refused(ca, alice: Holder, as_callback: bool):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    serial = alice.certificate.serial_number
    revoked = (lambda s: s == serial) if as_callback else {serial}
    with pytest.raises(errors.CertificateRevoked) as info:
        verify(sig, ca, revoked_serials=revoked)
    assert info.value.code == "CERTIFICATE_REVOKED"
    # Another serial revoked: this signature is fine.
    assert verify(sig, ca, revoked_serials={serial + 1}).serial == serial


def test_expired_certificate_is_refused(ca, clock: time_machine.Traveller):
    key = generate_key()
    cert = ca.issue_user_certificate(
        key.public_key(), "u-bob", "王五", not_after=now() + dt.timedelta(days=1)
    )
    sig = sign_detached(DATA, key, cert)
    assert verify(sig, ca).user_id == "u-bob"
    clock.shift(dt.timedelta(days=2))
    with pytest.raises(errors.CertificateExpired) as info:
        verify(sig, ca)
    assert info.value.code == "CERTIFICATE_EXPIRED"
    assert info.value.details["not_after"].startswith("2026-03-03")
    # Verified as of a time when it was valid (an old receipt), it passes.
    assert verify(sig, ca, at=START).user_id == "u-bob"


def test_signature_claiming_a_time_outside_the_validity_is_refused(ca, alice: Holder):
    early = sign_detached(
        DATA, alice.key, alice.certificate, signing_time=START - dt.timedelta(days=1)
    )
    with pytest.raises(errors.CertificateNotYetValid) as info:
        verify(early, ca)
    assert isinstance(info.value, errors.CertificateExpired)  # one family for callers
    assert "signing_time" in info.value.details


def test_signing_time_in_the_future_is_refused(ca, alice: Holder):
    late = sign_detached(
        DATA, alice.key, alice.certificate, signing_time=START + dt.timedelta(hours=1)
    )
    with pytest.raises(errors.SignatureInvalid):
        verify(late, ca)
    # Small clock skew between phone and server is tolerated.
    skewed = sign_detached(
        DATA, alice.key, alice.certificate, signing_time=START + dt.timedelta(minutes=2)
    )
    assert verify(skewed, ca).user_id == "u-alice"


def test_not_yet_valid_at_the_time_asked(ca, alice: Holder):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    with pytest.raises(errors.CertificateNotYetValid):
        verify(sig, ca, at=START - dt.timedelta(days=1))


@pytest.mark.seed("A5")
def test_certificate_of_another_environment_is_foreign(ca, trial_ca):
    key = generate_key()
    trial_cert = trial_ca.issue_user_certificate(key.public_key(), "u-alice", "张三")
    sig = sign_detached(DATA, key, trial_cert)
    with pytest.raises(errors.ForeignEnvironment) as info:
        verify(sig, ca)
    err = info.value
    assert err.code == "CERTIFICATE_FOREIGN_ENVIRONMENT"
    assert err.zh == "证书不属于本环境，请重新注册并下载新证书"
    assert "re-register and download a new certificate" in err.en
    assert err.details == {"certificate_environment": "trial", "environment": "production"}
    # The trial's own CA accepts it: the refusal is about the environment, not the bytes.
    assert verify(sig, trial_ca).environment == "trial"


@pytest.mark.seed("A5")
def test_certificate_of_a_recreated_ca_of_the_same_name_is_foreign(ca, alice: Holder):
    """A reset environment has a CA of the same name but a new key."""
    sig = sign_detached(DATA, alice.key, alice.certificate)
    recreated = CertificateAuthority.create("production")
    with pytest.raises(errors.ForeignEnvironment):
        verify(sig, recreated)


def _rogue_ca(name: x509.Name, ski_from: CertificateAuthority | None = None):
    """A CA certificate of the given name whose key is not the environment's."""
    key = generate_key()
    ski = (
        ski_from.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        if ski_from
        else x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now() - dt.timedelta(days=1))
        .not_valid_after(now() + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(issuer_key, issuer_cert: x509.Certificate, ski_ca: x509.Certificate, ca_flag=False):
    key = generate_key()
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
        ski_ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rogue")]))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now() - dt.timedelta(days=1))
        .not_valid_after(now() + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca_flag, path_length=None), critical=True)
        .add_extension(aki, critical=False)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return key, cert


def test_certificate_of_an_unrelated_ca_is_untrusted(ca):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other CA")])
    rogue_key, rogue_cert = _rogue_ca(name)
    key, cert = _leaf(rogue_key, rogue_cert, rogue_cert)
    with pytest.raises(errors.UntrustedCertificate) as info:
        verify(sign_detached(DATA, key, cert), ca)
    assert not isinstance(info.value, errors.ForeignEnvironment)
    assert info.value.code == "CERTIFICATE_UNTRUSTED"


def test_forged_certificate_under_our_name_and_key_id_is_untrusted(ca):
    """Same issuer name and key identifier as our CA, but signed by another key."""
    rogue_key, rogue_cert = _rogue_ca(ca.certificate.subject, ski_from=ca)
    key, cert = _leaf(rogue_key, rogue_cert, ca.certificate)
    with pytest.raises(errors.UntrustedCertificate) as info:
        verify(sign_detached(DATA, key, cert), ca)
    assert not isinstance(info.value, errors.ForeignEnvironment)


def test_the_ca_key_itself_cannot_sign_documents(ca):
    sig = sign_detached(DATA, ca._key, ca.certificate)
    with pytest.raises(errors.CertificateUsageInvalid):
        verify(sig, ca)


def test_purposes_restrict_the_accepted_profiles(ca, alice: Holder):
    office_key = generate_key()
    office = ca.issue_service_certificate(office_key.public_key(), "PatentDesk Office")
    receipt_sig = sign_detached(DATA, office_key, office)
    assert verify(receipt_sig, ca, purposes={"office"}).purpose == "office"
    with pytest.raises(errors.CertificateUsageInvalid):
        verify(receipt_sig, ca, purposes={"signing", "delegated"})
    user_sig = sign_detached(DATA, alice.key, alice.certificate)
    with pytest.raises(errors.CertificateUsageInvalid):
        verify(user_sig, ca, purposes={"office"})


@pytest.mark.seed("C6")
def test_delegated_signature_is_reported_as_such(ca, alice: Holder, window: Holder):
    sig = KeySigner(window.key, window.certificate).sign_detached(DATA)
    result = verify(sig, ca, purposes={"signing", "delegated"})
    assert result.delegated
    assert result.delegated_from_serial == alice.certificate.serial_number
    assert result.session_id == "sess-1"
    assert result.purpose == "delegated"
    assert result.user_id == "u-alice"


@pytest.mark.seed("C6")
def test_delegated_signature_after_the_window_is_refused(
    ca, window: Holder, clock: time_machine.Traveller
):
    signer = KeySigner(window.key, window.certificate)
    assert verify(signer.sign_detached(DATA), ca).delegated
    clock.shift(dt.timedelta(minutes=31))
    with pytest.raises(errors.CertificateExpired):
        verify(signer.sign_detached(DATA), ca)


@pytest.mark.seed("C6")
def test_delegated_signature_after_the_window_was_closed_is_refused(ca, window: Holder):
    sig = KeySigner(window.key, window.certificate).sign_detached(DATA)
    with pytest.raises(errors.CertificateRevoked):
        verify(sig, ca, revoked_serials={window.certificate.serial_number})


@pytest.mark.seed("C6")
def test_delegated_signature_after_the_phone_was_reported_lost_is_refused(
    ca, alice: Holder, window: Holder
):
    sig = KeySigner(window.key, window.certificate).sign_detached(DATA)
    with pytest.raises(errors.CertificateRevoked) as info:
        verify(sig, ca, revoked_serials={alice.certificate.serial_number})
    assert info.value.details["serial"] == f"{alice.certificate.serial_number:X}"


@pytest.mark.parametrize(
    "blob",
    [b"", b"not a signature", b"\x30\x03\x02\x01\x01", b"\x30\x82\xff\xff" + b"\0" * 10],
    ids=["empty", "text", "wrong-structure", "bad-length"],
)
def test_garbage_is_malformed(ca, blob: bytes):
    with pytest.raises(errors.MalformedSignature) as info:
        verify(blob, ca)
    assert info.value.code == "SIGNATURE_MALFORMED"


def test_truncated_signature_is_malformed(ca, alice: Holder):
    sig = sign_detached(DATA, alice.key, alice.certificate)
    with pytest.raises(errors.MalformedSignature):
        verify(sig[: len(sig) // 2], ca)


def test_signature_without_the_signer_certificate_is_malformed(ca, alice: Holder):
    info = cms.ContentInfo.load(sign_detached(DATA, alice.key, alice.certificate))
    del info["content"]["certificates"]
    with pytest.raises(errors.MalformedSignature) as err:
        verify(info.dump(force=True), ca)
    assert "certificate" in err.value.details["reason"]


def test_attached_signature_is_not_accepted_as_detached(ca, alice: Holder):
    info = cms.ContentInfo.load(sign_detached(DATA, alice.key, alice.certificate))
    info["content"]["encap_content_info"]["content"] = DATA
    with pytest.raises(errors.MalformedSignature):
        verify(info.dump(force=True), ca)


def test_every_refusal_is_one_family(ca, alice: Holder):
    """Callers can catch SignatureVerificationError and show its code and messages."""
    sig = sign_detached(DATA, alice.key, alice.certificate)
    for kwargs in ({"data": b"x"}, {"revoked_serials": {alice.certificate.serial_number}}):
        with pytest.raises(errors.SignatureVerificationError) as info:
            verify(sig, ca, **kwargs)
        body = info.value.to_dict()
        assert body["code"] and body["message"] and body["message_en"]


def test_corrupted_signatures_never_escape_as_raw_errors(ca, alice: Holder):
    """Flip bits across the whole signature: every outcome is a PkiError, or (for bytes
    outside what is signed, like the unsigned digest-algorithm list) the same signer."""
    sig = sign_detached(DATA, alice.key, alice.certificate)
    outcomes: set[str] = set()
    for pos in range(0, len(sig), 2):
        for mask in (0x01, 0x80):
            corrupted = bytearray(sig)
            corrupted[pos] ^= mask
            try:
                result = verify(bytes(corrupted), ca)
            except errors.PkiError as exc:
                outcomes.add(exc.code)
            else:
                assert result.serial == alice.certificate.serial_number
                assert result.message_digest == hashlib.sha256(DATA).hexdigest()
    assert {"SIGNATURE_MALFORMED", "SIGNATURE_INVALID", "CERTIFICATE_UNTRUSTED"} <= outcomes
