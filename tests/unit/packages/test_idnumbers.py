from __future__ import annotations

import pytest

from patentdesk.packages import idnumbers


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x"])
def test_resident_id_known_good(number: str) -> None:
    # GB 11643-1999's own example number (the check character may be written in lower case).
    assert idnumbers.is_valid_resident_id(number)
    assert idnumbers.resident_id_check_char(number[:17]) == "X"


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # too short
        "11010519491331002X",  # month 13
        "1101051949123100２X",  # full-width digit
        "",
    ],
)
def test_resident_id_bad(number: str) -> None:
    assert not idnumbers.is_valid_resident_id(number)


def test_resident_id_check_char_from_the_weights() -> None:
    # Weighted sum of 11010519491231002 is 167; 167 mod 11 = 2 -> "X".
    assert idnumbers.resident_id_check_char("11010519491231002") == "X"
    assert idnumbers.resident_id_check_char("44030419900101001") in idnumbers.ID_CHECK


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "91350100m000100y43"])
def test_uscc_known_good(code: str) -> None:
    assert idnumbers.is_valid_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # too short
        "91350100M000100I43",  # I is not in the alphabet
        "",
    ],
)
def test_uscc_bad(code: str) -> None:
    assert not idnumbers.is_valid_uscc(code)


def test_every_uscc_check_character_is_unique() -> None:
    # Changing any one character of a valid code makes it invalid.
    code = "91350100M000100Y43"
    for i in range(17):
        for ch in idnumbers.USCC_ALPHABET:
            if ch != code[i]:
                assert not idnumbers.is_valid_uscc(code[:i] + ch + code[i + 1 :])


@pytest.mark.parametrize(
    ("digits", "check"), [("201710601862", "3"), ("95115608", "X"), ("97101765", "4")]
)
def test_application_number_known_good(digits: str, check: str) -> None:
    # Known-good numbers from shared/reference/cnipa-reference.md.
    assert idnumbers.application_number_check_char(digits) == check
    assert idnumbers.normalize_application_number(f"CN{digits}.{check}") == f"{digits}.{check}"


def test_application_number_bad() -> None:
    assert idnumbers.normalize_application_number("201710601862.4") is None
    assert idnumbers.normalize_application_number("2017106") is None
