"""Check characters of Chinese identity numbers.

- Resident identity card number (公民身份号码), GB 11643-1999: 17 digits and a check
  character over ISO 7064 MOD 11-2.
- Unified social credit code (统一社会信用代码), GB 32100-2015: 17 characters and a check
  character over a 31-character alphabet (no I, O, S, V, Z).

Used by the validation rules here and by registration on the server.
"""

from __future__ import annotations

import datetime as dt

from patentdesk.errors import PatentDeskError
from patentdesk.packages.numbers import check_character, parse_application_number

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_resident_id(number: str) -> bool:
    """True for an 18-character resident ID number with a valid check character and birth date."""
    value = number.strip().upper()
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return resident_id_check_char(value[:17]) == value[17]


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    value = first17.upper()
    if len(value) != 17 or any(ch not in USCC_ALPHABET for ch in value):
        raise ValueError("need exactly 17 characters of the USCC alphabet")
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(value, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-character unified social credit code with a valid check character."""
    value = code.strip().upper()
    if len(value) != 18 or any(ch not in USCC_ALPHABET for ch in value):
        return False
    return uscc_check_char(value[:17]) == value[17]


def application_number_check_char(digits: str) -> str:
    """The check character of a CNIPA application number (12 digits since 2003, 8 before)."""
    if len(digits) not in (8, 12) or not digits.isascii() or not digits.isdigit():
        raise ValueError("need 8 or 12 digits")
    return check_character(digits)


def normalize_application_number(number: str) -> str | None:
    """``201710601862.3`` from ``CN201710601862.3``, ``ZL 2017106018623`` …; None if invalid.

    Patent numbers (``ZL…``) are application numbers with a prefix, so they pass too.
    """
    value = number.strip().upper().replace(" ", "")
    if value.startswith("ZL"):
        value = value[2:]
    try:
        return str(parse_application_number(value, allow_without_check=False))
    except PatentDeskError:
        return None
