"""Renewing the phone's signing key: the new key replaces the old one only together with
the CA's certificate for it, so a refused renewal leaves the phone able to sign."""

from __future__ import annotations

import pytest

from patentdesk.mobile.keystore import Keystore
from patentdesk.pki import errors
from patentdesk.pki.ca import CertificateAuthority
from patentdesk.pki.keys import certificate_pem, generate_key


@pytest.fixture
def phone(tmp_path):
    ca = CertificateAuthority.create("production")
    store = Keystore(tmp_path)
    _device, signing = store.create_keys()
    store.save_certificate(certificate_pem(ca.issue_user_certificate(signing, "u-1", "张三")))
    return ca, store


def test_the_new_key_and_its_certificate_arrive_together(phone):
    ca, store = phone
    key = generate_key()
    cert = ca.issue_user_certificate(key.public_key(), "u-1", "张三")
    store.install_signing_key(key, certificate_pem(cert))
    assert store.signing_public_key() == key.public_key()
    assert store.signer().certificate.serial_number == cert.serial_number


def test_a_certificate_for_another_key_changes_nothing(phone):
    ca, store = phone
    before = store.signer().certificate.serial_number
    other = ca.issue_user_certificate(generate_key().public_key(), "u-1", "张三")
    with pytest.raises(errors.CertificateKeyMismatch):
        store.install_signing_key(generate_key(), certificate_pem(other))
    assert store.signer().certificate.serial_number == before
