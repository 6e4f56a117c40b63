"""What the published API description says about fields the domain checks itself.

The services check phone numbers, names, identity numbers, passwords and codes and refuse
with specific error codes (``INVALID_PHONE``, ``WEAK_PASSWORD``, …) that clients rely on, so
the request models do not check them a second time. These fragments go into the models'
``json_schema_extra`` so that ``/openapi.json`` states the same rules: a request the
description calls valid is not refused for its shape. Rules JSON Schema cannot say (a check
character, a code that must match the SMS sent) stay the services' alone.
"""

from __future__ import annotations

from typing import Any

# Control, zero-width and bidirectional-override characters: never part of a name or text.
_HIDDEN = r"\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
# Visible text: at least one character that is not a space, none of the hidden ones.
VISIBLE_TEXT = rf"^[^{_HIDDEN}]*[^\s{_HIDDEN}][^{_HIDDEN}]*$"


def text(max_length: int, min_length: int = 1) -> dict[str, Any]:
    """A non-blank text of ``min_length`` to ``max_length`` characters."""
    return {"minLength": min_length, "maxLength": max_length, "pattern": VISIBLE_TEXT}


# A mainland mobile number (the service also accepts +86, spaces and dashes around it).
PHONE: dict[str, Any] = {"pattern": r"^1[3-9][0-9]{9}$", "examples": ["13800138000"]}
# A name as registered and put into certificates (identity.service.clean_name).
NAME = text(50)
# A resident identity number (GB 11643); its check character is the service's to verify.
ID_NUMBER: dict[str, Any] = {"pattern": r"^[0-9]{17}[0-9Xx]$", "examples": ["11010519491231002X"]}
# identity.passwords.check_strength: 8 to 64 characters with a letter and a digit.
PASSWORD: dict[str, Any] = {
    "minLength": 8,
    "maxLength": 64,
    "pattern": r"^(?=.*[A-Za-z])(?=.*[0-9]).{8,64}$",
}
# The six digits sent by SMS.
SMS_CODE: dict[str, Any] = {"pattern": r"^[0-9]{6}$", "examples": ["123456"]}
# Standard base64 (RFC 4648 §4) with its padding, not empty.
BASE64: dict[str, Any] = {
    "pattern": r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$"
}
