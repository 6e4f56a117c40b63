"""Passwords: argon2id hashes and the strength rule."""

from __future__ import annotations

import os
import re

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from patentdesk.identity.errors import WeakPassword


def _make_hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory profile).
    ``PATENTDESK_ARGON2_PROFILE`` names another argon2-cffi profile; the test suite uses
    CHEAPEST so that hundreds of registrations stay fast."""
    name = os.environ.get("PATENTDESK_ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(getattr(profiles, name))


_hasher = _make_hasher()
# Compared against when an account does not exist, so that timing does not reveal it.
_DUMMY_HASH = _hasher.hash("patentdesk-dummy-password-1")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_strength(password: str) -> None:
    if not (8 <= len(password) <= 64):
        raise WeakPassword(details={"field": "password"})
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise WeakPassword(details={"field": "password"})
