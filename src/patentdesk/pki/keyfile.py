"""Private key files on disk: 0700 folders, 0600 files, atomic writes, encrypted PKCS#8.

Shared by the server's CA, the phone's key store and the desktop client's session key so
that "how a secret lands on disk" is written once. A file is first written under a
temporary name opened with mode 0600 (never world-readable, not even for a moment) and
then renamed over the target, so a crash leaves either the old or the new file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.pki.keys import CURVE, PrivateKey

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, readable by the owner only (0600)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if os.name == "posix":
            os.chmod(tmp, PRIVATE_FILE_MODE)  # the umask may have narrowed, never widened
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_public_file(path: Path, data: bytes) -> None:
    """Atomically replace a non-secret file (certificates, public keys): mode 0644."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def private_key_pem(key: PrivateKey, password: bytes | None) -> bytes:
    """PKCS#8 PEM, encrypted (PBES2 via BestAvailableEncryption) when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def read_private_key(path: Path, password: bytes | None) -> PrivateKey:
    """Load a P-256 private key; ``ValueError`` if it cannot be decrypted or is not P-256.

    Callers map the ``ValueError`` to their own error (a locked key store, a damaged CA).
    """
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=password)
    except TypeError as exc:  # password given for a plain key or missing for an encrypted one
        raise ValueError(str(exc)) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, CURVE):
        raise ValueError(f"{path.name} is not an ECDSA P-256 key")
    return key


def new_wrapping_secret() -> bytes:
    """32 random bytes, hex-encoded: a password with full entropy for PKCS#8 encryption."""
    return secrets.token_hex(32).encode("ascii")


def remove_tree(path: Path) -> None:
    """Delete a private folder: files are overwritten with zeros first (best effort)."""
    if not path.exists():
        return
    for child in sorted(path.rglob("*"), reverse=True):
        if child.is_dir():
            child.rmdir()
            continue
        with contextlib.suppress(OSError):
            size = child.stat().st_size
            with open(child, "r+b") as fh:
                fh.write(b"\0" * size)
                fh.flush()
                os.fsync(fh.fileno())
        child.unlink(missing_ok=True)
    path.rmdir()


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An advisory inter-process lock (several server workers starting at once).

    On platforms without ``fcntl`` this is a no-op; the atomic writes still prevent torn
    files, at worst one of two racing creators wins the rename.
    """
    if sys.platform == "win32":
        yield
        return
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
