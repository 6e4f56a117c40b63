"""Mainland mobile numbers. Identity numbers (GB 11643, GB 32100) live in
:mod:`patentdesk.packages.idnumbers`, which the offline client shares."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


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
