"""Key stores on disk: the phone's keys and the desktop session key, encrypted and 0600."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
import time_machine

from patentdesk.mobile.keystore import PIN_ENV, Keystore
from patentdesk.pki import errors
from patentdesk.pki.ca import CertificateAuthority
from patentdesk.pki.clientkey import ClientKeyStore
from patentdesk.pki.cms import verify_detached
from patentdesk.pki.keys import certificate_pem, generate_key
from patentdesk.pki.payload import sign_payload, verify_payload
from patentdesk.timeutil import now

from .conftest import Holder

PLAINTEXT_MARKERS = (b"BEGIN PRIVATE KEY", b"BEGIN EC PRIVATE KEY")


def assert_private_on_disk(folder: Path) -> None:
    """Folder 0700; every key file 0600, encrypted PKCS#8; no plaintext key anywhere."""
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    key_files = list(folder.glob("*.key.pem"))
    assert key_files
    for path in key_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for path in folder.rglob("*"):
        data = path.read_bytes()
        assert not any(marker in data for marker in PLAINTEXT_MARKERS), path.name
    for path in folder.glob("*.secret"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.fixture
def no_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PIN_ENV, raising=False)


@pytest.mark.usefixtures("no_pin")
def test_keys_are_created_on_the_device_encrypted_and_private(tmp_path: Path):
    store = Keystore(tmp_path)
    assert not store.exists()
    device_pub, signing_pub = store.create_keys()
    assert device_pub != signing_pub
    assert_private_on_disk(store.folder)
    reopened = Keystore(tmp_path)
    assert reopened.device_key().public_key() == device_pub
    assert reopened.signing_key().public_key() == signing_pub
    assert reopened.device_public_key() == device_pub
    assert reopened.signing_public_key() == signing_pub


@pytest.mark.usefixtures("no_pin")
def test_key_files_alone_are_useless(tmp_path: Path):
    """Without the wrapping secret (the OS key store's stand-in) nothing unlocks."""
    store = Keystore(tmp_path)
    store.create_keys()
    (store.folder / "wrap.secret").unlink()
    with pytest.raises(errors.KeystoreLocked) as info:
        Keystore(tmp_path).signing_key()
    assert info.value.code == "KEYSTORE_LOCKED"


def test_pin_protected_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(PIN_ENV, "246810")
    store = Keystore(tmp_path)
    _, signing_pub = store.create_keys()
    assert not (store.folder / "wrap.secret").exists()
    assert_private_on_disk(store.folder)
    assert Keystore(tmp_path).signing_key().public_key() == signing_pub
    with pytest.raises(errors.KeystoreLocked):
        Keystore(tmp_path, pin="000000").signing_key()
    monkeypatch.delenv(PIN_ENV)
    with pytest.raises(errors.KeystoreLocked):
        Keystore(tmp_path).device_key()
    # Public halves need no PIN (registration shows them before unlocking).
    assert Keystore(tmp_path).signing_public_key() == signing_pub


@pytest.mark.usefixtures("no_pin")
def test_keys_are_not_silently_replaced(tmp_path: Path):
    store = Keystore(tmp_path)
    first, _ = store.create_keys()
    with pytest.raises(errors.KeystoreExists):
        store.create_keys()
    second, _ = store.create_keys(replace=True)
    assert second != first
    assert Keystore(tmp_path).device_key().public_key() == second


@pytest.mark.usefixtures("no_pin")
def test_empty_store_says_so(tmp_path: Path):
    store = Keystore(tmp_path)
    for call in (store.device_key, store.signing_key, store.signer, store.device_public_key):
        with pytest.raises(errors.KeystoreEmpty):
            call()
    assert store.certificate() is None


@pytest.mark.usefixtures("no_pin")
def test_certificate_and_signing_on_the_phone(tmp_path: Path, ca: CertificateAuthority):
    store = Keystore(tmp_path)
    _, signing_pub = store.create_keys()
    with pytest.raises(errors.CertificateMissing):
        store.signer()
    other = ca.issue_user_certificate(generate_key().public_key(), "u-1", "张三")
    with pytest.raises(errors.CertificateKeyMismatch):
        store.save_certificate(certificate_pem(other))
    cert = ca.issue_user_certificate(signing_pub, "u-1", "张三")
    store.save_certificate(certificate_pem(cert))
    assert Keystore(tmp_path).certificate() == cert
    sig = Keystore(tmp_path).signer().sign_detached(b"package")
    assert verify_detached(sig, b"package", ca_certificate=ca.certificate).user_id == "u-1"
    # Approvals are signed with the device key.
    approval = sign_payload({"challenge": "c1", "decision": "approve"}, store.device_key())
    assert verify_payload(approval, store.device_public_key())["decision"] == "approve"


@pytest.mark.usefixtures("no_pin")
def test_renewing_the_signing_key_drops_the_old_certificate(tmp_path: Path, ca):
    store = Keystore(tmp_path)
    device_pub, signing_pub = store.create_keys()
    store.save_certificate(certificate_pem(ca.issue_user_certificate(signing_pub, "u-1", "张三")))
    new_pub = store.renew_signing_key()
    assert new_pub != signing_pub and store.certificate() is None
    assert store.signing_key().public_key() == new_pub
    assert store.device_public_key() == device_pub


@pytest.mark.usefixtures("no_pin")
def test_wipe_forgets_everything(tmp_path: Path):
    store = Keystore(tmp_path)
    store.create_keys()
    store.wipe()
    assert not store.folder.exists()
    assert not store.exists()
    with pytest.raises(errors.KeystoreEmpty):
        store.signing_key()


# --- the desktop client's session key (no-scan window, C6) --------------------------------


@pytest.mark.seed("C6")
def test_session_key_signs_only_while_the_window_is_open(
    tmp_path: Path, ca: CertificateAuthority, alice: Holder, clock: time_machine.Traveller
):
    store = ClientKeyStore(tmp_path)
    public = store.create_key("sess-1")
    assert store.session_id() == "sess-1"
    assert store.signer() is None  # no window yet: the client must ask for a scan
    cert = ca.issue_delegated_certificate(
        public, "u-alice", "张三", alice.certificate.serial_number,
        now() + dt.timedelta(minutes=10), session_id="sess-1",
    )  # fmt: skip
    store.save_certificate(certificate_pem(cert))
    assert_private_on_disk(store.folder)
    signer = ClientKeyStore(tmp_path).signer()
    assert signer is not None
    result = verify_detached(signer.sign_detached(b"pkg"), b"pkg", ca_certificate=ca.certificate)
    assert result.delegated and result.session_id == "sess-1"
    clock.shift(dt.timedelta(minutes=11))
    assert ClientKeyStore(tmp_path).signer() is None


@pytest.mark.seed("C6")
def test_session_key_refuses_certificates_not_meant_for_it(
    tmp_path: Path, ca: CertificateAuthority, alice: Holder
):
    store = ClientKeyStore(tmp_path)
    public = store.create_key("sess-1")
    end = now() + dt.timedelta(minutes=10)
    with pytest.raises(errors.CertificateKeyMismatch):
        store.save_certificate(certificate_pem(alice.certificate))
    plain = ca.issue_user_certificate(public, "u-alice", "张三")
    with pytest.raises(errors.CertificateUsageInvalid):
        store.save_certificate(certificate_pem(plain))
    other_session = ca.issue_delegated_certificate(
        public, "u-alice", "张三", alice.certificate.serial_number, end, session_id="sess-2"
    )
    with pytest.raises(errors.CertificateUsageInvalid):
        store.save_certificate(certificate_pem(other_session))
    store.clear()
    assert store.public_key() is None and store.certificate() is None
