"""The phone's key store (移动端密钥): device key and signing key, made on the device.

Two P-256 keys live in ``<home>/keystore`` (0700):

- the **device key** approves QR logins and opens no-scan windows: its public key is
  registered with the server when the phone registers or logs in;
- the **signing key** signs case packages; the environment's CA certifies it and the
  certificate is kept next to it (``signing.cert.pem``).

Both private keys are encrypted at rest (:mod:`patentdesk.pki.vault`) under a random
secret standing in for the OS key store, or under ``PATENTDESK_MOBILE_PIN`` when set at
creation. Nothing here exports a private key: the phone signs with them in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509

from patentdesk.pki.cms import KeySigner
from patentdesk.pki.errors import (
    CertificateKeyMismatch,
    CertificateMissing,
    KeystoreEmpty,
    KeystoreExists,
)
from patentdesk.pki.keys import (
    PrivateKey,
    PublicKey,
    certificate_pem,
    generate_key,
    load_certificate,
    load_public_key,
    public_key_pem,
)
from patentdesk.pki.vault import KeyVault

PIN_ENV = "PATENTDESK_MOBILE_PIN"
DEVICE = "device"
SIGNING = "signing"
SIGNING_CERT_FILE = "signing.cert.pem"


def _public_file(name: str) -> str:
    return f"{name}.pub.pem"


class Keystore:
    """The phone's keys in ``<home>/keystore``; ``pin`` defaults to ``$PATENTDESK_MOBILE_PIN``."""

    def __init__(self, home: Path, *, pin: str | None = None) -> None:
        self.folder = Path(home) / "keystore"
        self._vault = KeyVault(self.folder, pin=pin if pin is not None else os.environ.get(PIN_ENV))

    def exists(self) -> bool:
        return self._vault.initialised and self._vault.has_key(DEVICE)

    def create_keys(self, *, replace: bool = False) -> tuple[PublicKey, PublicKey]:
        """Make the device and signing keys; returns their public keys ``(device, signing)``.

        Refuses (KEYSTORE_EXISTS) when keys exist, unless ``replace``: a new key pair
        invalidates the certificate and the device registration, so it is never implicit.
        """
        if self.exists() and not replace:
            raise KeystoreExists()
        self._vault.wipe()  # no leftovers of an earlier, half-made or replaced store
        self._vault.initialise()
        keys = {DEVICE: generate_key(), SIGNING: generate_key()}
        for name, key in keys.items():
            self._vault.store_key(name, key)
            self._vault.write_public(_public_file(name), public_key_pem(key.public_key()).encode())
        return keys[DEVICE].public_key(), keys[SIGNING].public_key()

    def renew_signing_key(self) -> PublicKey:
        """A new signing key (the old one and its certificate are dropped)."""
        self._require()
        key = generate_key()
        self._vault.store_key(SIGNING, key)
        self._vault.write_public(_public_file(SIGNING), public_key_pem(key.public_key()).encode())
        self._vault.remove_public(SIGNING_CERT_FILE)
        return key.public_key()

    def install_signing_key(self, key: PrivateKey, pem: bytes | str) -> x509.Certificate:
        """Replace the signing key with ``key`` and the CA's certificate for it, together:
        a renewal the server refused leaves the old key and certificate in place."""
        self._require()
        cert = load_certificate(pem)
        if cert.public_key() != key.public_key():
            raise CertificateKeyMismatch()
        self._vault.store_key(SIGNING, key)
        self._vault.write_public(_public_file(SIGNING), public_key_pem(key.public_key()).encode())
        self._vault.write_public(SIGNING_CERT_FILE, certificate_pem(cert).encode("ascii"))
        return cert

    def _require(self) -> None:
        if not self.exists():
            raise KeystoreEmpty()

    # --- private keys (unlocked on use) ---------------------------------------------------

    def device_key(self) -> PrivateKey:
        self._require()
        return self._vault.load_key(DEVICE)

    def signing_key(self) -> PrivateKey:
        self._require()
        return self._vault.load_key(SIGNING)

    # --- public keys (readable without unlocking) -----------------------------------------

    def _public(self, name: str) -> PublicKey:
        self._require()
        data = self._vault.read_public(_public_file(name))
        if data is None:  # the public half is a cache; the private key is the truth
            return self._vault.load_key(name).public_key()
        return load_public_key(data)

    def device_public_key(self) -> PublicKey:
        return self._public(DEVICE)

    def signing_public_key(self) -> PublicKey:
        return self._public(SIGNING)

    # --- certificate ----------------------------------------------------------------------

    def save_certificate(self, pem: bytes | str) -> x509.Certificate:
        """Keep the CA's certificate for the signing key; refuses one for another key."""
        cert = load_certificate(pem)
        if cert.public_key() != self.signing_public_key():
            raise CertificateKeyMismatch()
        self._vault.write_public(SIGNING_CERT_FILE, certificate_pem(cert).encode("ascii"))
        return cert

    def certificate(self) -> x509.Certificate | None:
        data = self._vault.read_public(SIGNING_CERT_FILE) if self.exists() else None
        return load_certificate(data) if data else None

    def signer(self) -> KeySigner:
        """The signing key with its certificate, ready for ``sign_detached``/``sign_digest``."""
        self._require()
        cert = self.certificate()
        if cert is None:
            raise CertificateMissing()
        return KeySigner(self.signing_key(), cert)

    def wipe(self) -> None:
        """Forget every key and certificate on this device (logout for good, lost phone)."""
        self._vault.wipe()
