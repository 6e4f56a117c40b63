"""The environment CA: files on disk, certificate profiles, CRLs, the office signer."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from patentdesk.pki import errors
from patentdesk.pki.ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    OFFICE_CERT_FILE,
    OFFICE_KEY_FILE,
    CertificateAuthority,
    load_or_create_office_signer,
)
from patentdesk.pki.cms import verify_detached
from patentdesk.pki.keys import generate_key, public_key_pem
from patentdesk.pki.profiles import describe_certificate
from patentdesk.pki.validation import load_crl, verify_certificate
from patentdesk.timeutil import now

from .conftest import START, Holder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_load_or_create_writes_private_files_and_reloads(tmp_path: Path, clock):
    pki = tmp_path / "data" / "pki"
    ca = CertificateAuthority.load_or_create(pki, "trial")
    assert mode(pki) == 0o700
    assert mode(pki / CA_KEY_FILE) == 0o600
    assert b"PRIVATE KEY" in (pki / CA_KEY_FILE).read_bytes()
    again = CertificateAuthority.load_or_create(pki, "trial")
    assert again.certificate == ca.certificate
    # The reloaded CA issues certificates that chain to the same anchor.
    cert = again.issue_user_certificate(generate_key().public_key(), "u-1", "张三")
    assert verify_certificate(cert, ca_certificate=ca.certificate).user_id == "u-1"


def test_load_refuses_another_environments_folder(tmp_path: Path, clock):
    CertificateAuthority.load_or_create(tmp_path, "trial")
    with pytest.raises(errors.CaEnvironmentMismatch) as info:
        CertificateAuthority.load_or_create(tmp_path, "production")
    assert "trial" in info.value.zh and "production" in info.value.en


def test_ca_key_can_be_encrypted_with_a_passphrase(tmp_path: Path, clock):
    ca = CertificateAuthority.load_or_create(tmp_path, "trial", passphrase=b"s3cret")
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / CA_KEY_FILE).read_bytes()
    again = CertificateAuthority.load_or_create(tmp_path, "trial", passphrase=b"s3cret")
    assert again.certificate == ca.certificate
    with pytest.raises(errors.CaStorageError):
        CertificateAuthority.load_or_create(tmp_path, "trial", passphrase=b"wrong")
    with pytest.raises(errors.CaStorageError):
        CertificateAuthority.load_or_create(tmp_path, "trial")


def test_missing_certificate_is_rebuilt_for_the_existing_key(tmp_path: Path, clock):
    ca = CertificateAuthority.load_or_create(tmp_path, "trial")
    (tmp_path / CA_CERT_FILE).unlink()
    again = CertificateAuthority.load_or_create(tmp_path, "trial")
    assert again.certificate.public_key() == ca.certificate.public_key()


@pytest.mark.parametrize("environment", ["", "Trial", "t", "trial env", "x" * 40])
def test_bad_environment_ids_are_refused(environment: str):
    with pytest.raises(errors.CertificateRequestInvalid):
        CertificateAuthority.create(environment)


def test_ca_certificate_names_its_environment(ca: CertificateAuthority):
    subject = ca.certificate.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "PatentDesk"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == (
        "production"
    )
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "PatentDesk production CA"
    )
    constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert isinstance(ca.certificate.public_key().curve, ec.SECP256R1)


def test_user_certificate_profile(ca: CertificateAuthority, alice: Holder):
    cert = alice.certificate
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "u-alice"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "张三"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    info = describe_certificate(cert)
    assert (info.purpose, info.environment, info.delegated) == ("signing", "production", False)
    assert cert.not_valid_before_utc <= START <= cert.not_valid_after_utc
    assert cert.not_valid_after_utc - START > dt.timedelta(days=700)


def test_device_purpose_and_explicit_end(ca: CertificateAuthority):
    end = START + dt.timedelta(days=30)
    cert = ca.issue_user_certificate(
        generate_key().public_key(), "u-1", "张三", purpose="device", not_after=end
    )
    assert describe_certificate(cert).purpose == "device"
    assert cert.not_valid_after_utc == end


def test_public_key_may_come_as_pem(ca: CertificateAuthority):
    key = generate_key()
    cert = ca.issue_user_certificate(public_key_pem(key.public_key()), "u-1", "张三")
    assert cert.public_key() == key.public_key()


@pytest.mark.parametrize(
    "public_key",
    [
        lambda: ec.generate_private_key(ec.SECP384R1()).public_key(),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(),
        lambda: b"-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n",
        lambda: "not a key",
    ],
    ids=["p384", "rsa", "bad-pem", "text"],
)
def test_only_p256_public_keys_are_certified(ca: CertificateAuthority, public_key):
    with pytest.raises(errors.InvalidKey) as info:
        ca.issue_user_certificate(public_key(), "u-1", "张三")
    assert info.value.code == "KEY_INVALID"


@pytest.mark.parametrize(
    ("user_id", "name"), [("", "张三"), ("u-1", ""), ("u-1", "名" * 65), ("u\n1", "张三")]
)
def test_bad_subject_fields_are_refused(ca: CertificateAuthority, user_id: str, name: str):
    with pytest.raises(errors.CertificateRequestInvalid) as info:
        ca.issue_user_certificate(generate_key().public_key(), user_id, name)
    assert "{" not in info.value.zh and "{" not in info.value.en


def test_certificates_never_outlive_the_ca(ca: CertificateAuthority):
    cert = ca.issue_user_certificate(
        generate_key().public_key(), "u-1", "张三", not_after=START + dt.timedelta(days=50 * 365)
    )
    assert cert.not_valid_after_utc == ca.certificate.not_valid_after_utc


def test_an_end_in_the_past_is_refused(ca: CertificateAuthority):
    with pytest.raises(errors.CertificateRequestInvalid):
        ca.issue_user_certificate(
            generate_key().public_key(), "u-1", "张三", not_after=START - dt.timedelta(seconds=1)
        )


def test_delegated_certificate_profile(ca: CertificateAuthority, alice: Holder, window: Holder):
    info = describe_certificate(window.certificate)
    assert info.purpose == "delegated" and info.delegated
    assert info.delegated_from_serial == alice.certificate.serial_number
    assert info.session_id == "sess-1"
    assert info.not_after == START + dt.timedelta(minutes=30)
    with pytest.raises(errors.CertificateRequestInvalid):
        ca.issue_delegated_certificate(
            generate_key().public_key(), "u-alice", "张三", 0, START + dt.timedelta(minutes=5)
        )


def test_serials_are_distinct_positive_63_bit(ca: CertificateAuthority):
    key = generate_key().public_key()
    serials = {ca.issue_user_certificate(key, "u-1", "张三").serial_number for _ in range(50)}
    assert len(serials) == 50
    assert all(0 < s < 2**63 for s in serials)


def test_crl_lists_revocations_and_is_signed_by_the_ca(ca: CertificateAuthority, trial_ca):
    revoked = [(11, START - dt.timedelta(hours=1)), (12, START)]
    next_update = START + dt.timedelta(days=1)
    der = ca.crl(revoked, next_update)
    crl = load_crl(der, ca_certificate=ca.certificate)
    assert crl.serials == {11, 12}
    assert crl.next_update == next_update
    assert crl.is_current(START) and not crl.is_current(START + dt.timedelta(days=2))
    pem = ca.crl([], next_update, encoding="pem")
    assert pem.startswith(b"-----BEGIN X509 CRL")
    assert load_crl(pem, ca_certificate=ca.certificate).serials == frozenset()
    with pytest.raises(errors.ForeignEnvironment):
        load_crl(der, ca_certificate=trial_ca.certificate)
    impostor = CertificateAuthority.create("production")
    with pytest.raises(errors.UntrustedCertificate):
        load_crl(impostor.crl(revoked, next_update), ca_certificate=ca.certificate)
    with pytest.raises(errors.InvalidCertificateData):
        load_crl(b"garbage", ca_certificate=ca.certificate)


def test_office_signer_is_created_once_and_signs_receipts(
    tmp_path: Path, clock: time_machine.Traveller
):
    ca = CertificateAuthority.load_or_create(tmp_path, "trial")
    signer = load_or_create_office_signer(tmp_path, ca)
    assert mode(tmp_path / OFFICE_KEY_FILE) == 0o600
    assert (tmp_path / OFFICE_CERT_FILE).exists()
    again = load_or_create_office_signer(tmp_path, ca)
    assert again.certificate == signer.certificate
    receipt = b'{"application_number":"202610000001.5"}'
    result = verify_detached(
        signer.sign_detached(receipt), receipt, ca_certificate=ca.certificate, purposes={"office"}
    )
    assert result.purpose == "office" and result.user_id is None
    assert result.name == "PatentDesk trial Office"


def test_office_certificate_is_renewed_for_the_same_key(
    tmp_path: Path, clock: time_machine.Traveller
):
    ca = CertificateAuthority.load_or_create(tmp_path, "trial")
    first = load_or_create_office_signer(tmp_path, ca)
    clock.shift(dt.timedelta(days=10 * 365 - 30))  # inside the renewal margin
    renewed = load_or_create_office_signer(tmp_path, ca)
    assert renewed.certificate != first.certificate
    assert renewed.certificate.public_key() == first.certificate.public_key()
    assert renewed.certificate.not_valid_after_utc > now() + dt.timedelta(days=365)


def test_office_certificate_of_a_replaced_ca_is_reissued(tmp_path: Path, clock):
    old_ca = CertificateAuthority.load_or_create(tmp_path, "trial")
    load_or_create_office_signer(tmp_path, old_ca)
    new_ca = CertificateAuthority.create("trial")
    signer = load_or_create_office_signer(tmp_path, new_ca)
    verify_certificate(signer.certificate, ca_certificate=new_ca.certificate)
