"""Checksums of Chinese identity numbers, from the standards.

- Resident identity number (GB 11643-1999): 17 digits weighted 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2;
  the sum mod 11 picks the check character from "10X98765432".
- Unified social credit code (GB 32100-2015): 18 characters over an alphabet of 31; weights
  1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28; check = (31 - sum mod 31) mod 31.
"""

from __future__ import annotations

import datetime as dt
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def resident_id_check(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_valid(value: str) -> bool:
    """True for an 18-character resident ID with a real birth date and the right check."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return resident_id_check(value[:17]) == value[17]


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_valid(value: str) -> bool:
    value = value.strip().upper()
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    return uscc_check(value[:17]) == value[17]


def mobile_valid(value: str) -> bool:
    """A mainland China mobile number: 11 digits starting 13–19."""
    return bool(_MOBILE.fullmatch(value))


def normalise_mobile(value: str) -> str:
    """Accepts +86 / 0086 prefixes, spaces and dashes, which users type."""
    digits = re.sub(r"[\s-]", "", value.strip())
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits
