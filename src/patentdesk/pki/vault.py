"""A folder of private keys encrypted at rest, and the secret that unlocks them.

Used by the phone's key store and by the desktop client's session key. Keys are PKCS#8
PEM encrypted with ``BestAvailableEncryption`` (PBES2, AES-256-CBC). The password is
either

- ``secret``: 32 random bytes in ``wrap.secret`` (0600), standing in for the platform
  key store a real phone would use (Android Keystore, iOS Keychain): the key files alone,
  copied off the device or out of a backup, are useless; or
- ``pin``: derived with scrypt from a PIN the user types (``PATENTDESK_MOBILE_PIN`` for
  the scripted app), so even the whole folder is useless without the PIN.

Private keys are never written or returned unencrypted by this module.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from patentdesk.pki import keyfile
from patentdesk.pki.errors import KeystoreEmpty, KeystoreError, KeystoreLocked
from patentdesk.pki.keys import PrivateKey

META_FILE = "keystore.json"
SECRET_FILE = "wrap.secret"  # noqa: S105 - a file name, not a password
FORMAT_VERSION = 1
# scrypt cost for PIN-derived passwords: ~50 ms on a laptop, far more for a guesser.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1

Protection = Literal["secret", "pin"]


class KeyVault:
    """Encrypted key files in one 0700 folder (``<name>.key.pem``, 0600 each)."""

    def __init__(self, folder: Path, *, pin: str | None = None) -> None:
        self.folder = folder
        self._pin = pin or None
        self._password: bytes | None = None

    # --- state ----------------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        return (self.folder / META_FILE).exists()

    def _meta(self) -> dict[str, object]:
        try:
            meta = json.loads((self.folder / META_FILE).read_text("utf-8"))
        except FileNotFoundError as exc:
            raise KeystoreEmpty() from exc
        except (OSError, ValueError) as exc:
            raise KeystoreError(details={"reason": f"{META_FILE}: {exc}"}) from exc
        if not isinstance(meta, dict) or meta.get("version") != FORMAT_VERSION:
            raise KeystoreError(details={"reason": f"{META_FILE}: unknown format"})
        return meta

    @property
    def protection(self) -> Protection:
        return "pin" if self._meta().get("protection") == "pin" else "secret"

    def initialise(self) -> None:
        """Create the folder and the unlocking material (a PIN if one was given)."""
        keyfile.ensure_private_dir(self.folder)
        meta: dict[str, object] = {"version": FORMAT_VERSION}
        if self._pin:
            meta["protection"] = "pin"
            meta["salt"] = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
        else:
            meta["protection"] = "secret"
            keyfile.write_private_file(self.folder / SECRET_FILE, keyfile.new_wrapping_secret())
        keyfile.write_private_file(
            self.folder / META_FILE, json.dumps(meta, indent=2).encode("utf-8")
        )
        self._password = None

    def _unlock(self) -> bytes:
        if self._password is not None:
            return self._password
        meta = self._meta()
        if meta.get("protection") == "pin":
            if not self._pin:
                raise KeystoreLocked(details={"reason": "PIN required (PATENTDESK_MOBILE_PIN)"})
            salt = base64.b64decode(str(meta.get("salt", "")))
            kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
            password = kdf.derive(self._pin.encode("utf-8")).hex().encode("ascii")
        else:
            try:
                password = (self.folder / SECRET_FILE).read_bytes().strip()
            except FileNotFoundError as exc:
                raise KeystoreLocked(details={"reason": f"{SECRET_FILE} missing"}) from exc
        self._password = password
        return password

    # --- keys -----------------------------------------------------------------------------

    def _key_path(self, name: str) -> Path:
        return self.folder / f"{name}.key.pem"

    def has_key(self, name: str) -> bool:
        return self._key_path(name).exists()

    def store_key(self, name: str, key: PrivateKey) -> None:
        pem = keyfile.private_key_pem(key, self._unlock())
        keyfile.write_private_file(self._key_path(name), pem)

    def load_key(self, name: str) -> PrivateKey:
        path = self._key_path(name)
        if not path.exists():
            raise KeystoreEmpty(details={"key": name})
        password = self._unlock()
        try:
            return keyfile.read_private_key(path, password)
        except ValueError as exc:
            self._password = None
            raise KeystoreLocked(details={"key": name}) from exc

    def remove_key(self, name: str) -> None:
        self._key_path(name).unlink(missing_ok=True)

    # --- public files (certificates, public keys) ------------------------------------------

    def write_public(self, filename: str, data: bytes) -> None:
        keyfile.ensure_private_dir(self.folder)
        keyfile.write_public_file(self.folder / filename, data)

    def read_public(self, filename: str) -> bytes | None:
        try:
            return (self.folder / filename).read_bytes()
        except FileNotFoundError:
            return None

    def remove_public(self, filename: str) -> None:
        (self.folder / filename).unlink(missing_ok=True)

    def wipe(self) -> None:
        """Delete everything (secret, keys, certificates), overwriting files first."""
        keyfile.remove_tree(self.folder)
        self._password = None
