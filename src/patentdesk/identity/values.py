"""Values every domain checks the same way (people's names, phones, ID numbers, other
names' characters) and the request context services receive. Below ``identity.service`` and
``orgs.service`` both, so neither imports the other to get them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from patentdesk.config import Settings
from patentdesk.identity import idnumbers
from patentdesk.identity.errors import (
    InvalidIdNumber,
    InvalidName,
    InvalidPhone,
    NameCharacterInvalid,
    TextCharacterInvalid,
)
from patentdesk.packages.idnumbers import is_valid_resident_id
from patentdesk.packages.text import NAME_MAX_CHARS, fits_certificate, forbidden_character


@dataclass
class Context:
    """What a service needs to know about the request besides the database."""

    settings: Settings
    ip: str | None = None
    user_agent: str | None = None


def clean_phone(phone: str) -> str:
    value = idnumbers.normalise_mobile(phone)
    if not idnumbers.mobile_valid(value):
        raise InvalidPhone(details={"field": "phone"})
    return value


def clean_name(name: str, field: str = "name") -> str:
    """A person's real name, the same rule wherever one enters (registration, 补录, office
    users, handlers, sub-accounts): 1–50 characters that fit a certificate (64 bytes, 21
    Chinese characters), without control, bidi or invisible characters."""
    value = unicodedata.normalize("NFC", " ".join(name.split()))
    bad = forbidden_character(value)
    if bad is not None:
        raise NameCharacterInvalid(details={"field": field, "character": bad}, character=bad)
    if not (1 <= len(value) <= NAME_MAX_CHARS) or not fits_certificate(value):
        raise InvalidName(details={"field": field})
    return value


def name_acceptable(name: str) -> bool:
    try:
        clean_name(name)
    except InvalidName:
        return False
    return True


def check_characters(value: str, field: str) -> None:
    """Refuses a control, bidi or invisible character in any other name (organisations,
    branches): the same rule as people's names, its own error code."""
    bad = forbidden_character(value)
    if bad is not None:
        raise TextCharacterInvalid(details={"field": field, "character": bad}, character=bad)


def clean_id_number(id_number: str) -> str:
    value = id_number.strip().upper()
    if not is_valid_resident_id(value):
        raise InvalidIdNumber(details={"field": "id_number"})
    return value
