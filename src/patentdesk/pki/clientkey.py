"""The desktop client's session key for the no-scan window (免扫码, seed C6).

Why a key and not just the session token: during a window the client signs by itself,
with a key it created and never sends anywhere, certified by a short-lived *delegated*
certificate the server issues only after the phone approved the window. A stolen
session token therefore cannot sign (no key), and a stolen key cannot sign outside the
window (the certificate expires, or is revoked when the window is closed early).

Flow: after login the client calls :meth:`ClientKeyStore.create_key` and sends the public
key with its session; when the phone opens a window the server issues the delegated
certificate for it; the client stores it (:meth:`save_certificate`) and signs with
:meth:`signer` until it expires. ``<home>/session-key`` holds the encrypted key (0600),
the certificate and ``binding.json`` naming the session the key belongs to.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cryptography import x509

from patentdesk.pki.cms import KeySigner
from patentdesk.pki.errors import CertificateKeyMismatch, CertificateUsageInvalid
from patentdesk.pki.keys import PublicKey, certificate_pem, generate_key, load_certificate
from patentdesk.pki.profiles import describe_certificate
from patentdesk.pki.vault import KeyVault
from patentdesk.timeutil import as_utc, now

KEY = "session"
CERT_FILE = "delegated.cert.pem"
BINDING_FILE = "binding.json"


class ClientKeyStore:
    """One session key per client state folder (one login per computer, seed A7)."""

    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / "session-key"
        self._vault = KeyVault(self.folder)

    def create_key(self, session_id: str) -> PublicKey:
        """A fresh key for ``session_id``, replacing any earlier key and certificate."""
        self._vault.wipe()
        self._vault.initialise()
        key = generate_key()
        self._vault.store_key(KEY, key)
        binding = {"session_id": session_id}
        self._vault.write_public(BINDING_FILE, json.dumps(binding).encode("utf-8"))
        return key.public_key()

    def session_id(self) -> str | None:
        data = self._vault.read_public(BINDING_FILE)
        if not data:
            return None
        try:
            value = json.loads(data).get("session_id")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def public_key(self) -> PublicKey | None:
        if not self._vault.initialised or not self._vault.has_key(KEY):
            return None
        return self._vault.load_key(KEY).public_key()

    def sign_statement(self, claims: dict[str, object]) -> str:
        """A JWS over ``claims`` with the session key: proves to the server that this
        client holds the key it registers for its session."""
        from patentdesk.pki.payload import sign_payload

        return sign_payload(claims, self._vault.load_key(KEY))

    def save_certificate(self, pem: bytes | str) -> x509.Certificate:
        """Keep the delegated certificate the server issued for this key and session."""
        cert = load_certificate(pem)
        if cert.public_key() != self.public_key():
            raise CertificateKeyMismatch()
        info = describe_certificate(cert)
        if info.purpose != "delegated" or (
            info.session_id is not None and info.session_id != self.session_id()
        ):
            raise CertificateUsageInvalid(details={"reason": "not this session's delegation"})
        self._vault.write_public(CERT_FILE, certificate_pem(cert).encode("ascii"))
        return cert

    def certificate(self) -> x509.Certificate | None:
        data = self._vault.read_public(CERT_FILE)
        return load_certificate(data) if data else None

    def signer(self, *, at: dt.datetime | None = None) -> KeySigner | None:
        """The session key with its delegated certificate while the window is open, else None.

        This is only the client's own shortcut (skip asking the server for a scan); the
        server still verifies the certificate's validity and revocation on every use.
        """
        cert = self.certificate()
        if cert is None:
            return None
        when = as_utc(at) if at else now()
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            return None
        return KeySigner(self._vault.load_key(KEY), cert)

    def drop_certificate(self) -> None:
        """Forget the window (closed or expired) but keep the session key for the next one."""
        self._vault.remove_public(CERT_FILE)

    def clear(self) -> None:
        """Forget key, certificate and binding (logout)."""
        self._vault.wipe()
