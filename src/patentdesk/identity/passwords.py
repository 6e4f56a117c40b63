"""Passwords: argon2id hashes and the strength rule."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from patentdesk.identity.errors import WeakPassword

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
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
        raise WeakPassword()
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise WeakPassword()
