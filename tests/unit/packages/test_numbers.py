import pytest
from hypothesis import given
from hypothesis import strategies as st

from patentdesk.errors import PatentDeskError
from patentdesk.packages import numbers as n

new_parts = st.tuples(
    st.integers(2003, 2099), st.sampled_from([1, 2, 3, 8, 9]), st.integers(1, 9_999_999)
)
old_parts = st.tuples(
    st.integers(1985, 2003), st.sampled_from([1, 2, 3, 8, 9]), st.integers(1, 99_999)
)


@pytest.mark.parametrize(
    ("digits", "check"),
    [("201710601862", "3"), ("95115608", "X"), ("97101765", "4")],
)
def test_reference_numbers(digits, check):
    assert n.check_character(digits) == check
    assert n.parse_application_number(f"{digits}.{check}", allow_without_check=False)


def test_reference_number_parts():
    p = n.parse_application_number("201710601862.3")
    assert (p.year, p.type_digit, p.serial, p.check, p.format) == (2017, 1, 601862, "3", "new")
    assert p.kind == "invention" and p.kind_zh == "发明"
    old = n.parse_application_number("95115608.x")
    assert (old.year, old.type_digit, old.serial, old.format) == (1995, 1, 15608, "old")
    assert str(old) == "95115608.X"
    assert n.parse_application_number("03100001").year == 2003


@pytest.mark.parametrize(
    "text",
    [
        "2017106018623",
        "CN201710601862.3",
        " 2017 1060 1862.3 ",
        "２０１７１０６０１８６２．３",  # full-width, as typed with a Chinese IME
        "201710601862",
    ],
)
def test_accepted_spellings(text):
    assert str(n.parse_application_number(text)) == "201710601862.3"


def test_without_check_character_when_not_allowed():
    with pytest.raises(n.ApplicationNumberInvalid, match=r"201710601862\.3"):
        n.parse_application_number("201710601862", allow_without_check=False)


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("201710601862.4", "APPLICATION_NUMBER_CHECK_FAILED", "应为 3"),
        ("20171060186.3", "APPLICATION_NUMBER_INVALID", "格式不正确"),
        ("201750601862", "APPLICATION_NUMBER_INVALID", "种类号 5"),
        ("200210601862", "APPLICATION_NUMBER_INVALID", "年份 2002"),
        ("50115608", "APPLICATION_NUMBER_INVALID", "年份 2050"),
        ("201710000000", "APPLICATION_NUMBER_INVALID", "流水号 0"),
        ("abc", "APPLICATION_NUMBER_INVALID", "格式不正确"),
        ("", "APPLICATION_NUMBER_INVALID", "格式不正确"),
    ],
)
def test_bad_input_is_named(text, code, fragment):
    with pytest.raises(PatentDeskError) as info:
        n.parse_application_number(text)
    assert info.value.code == code
    assert fragment in info.value.zh
    assert info.value.en


@given(new_parts)
def test_every_generated_new_number_verifies(parts):
    text = n.format_application_number(*parts)
    assert len(text) == 14 and text[12] == "."
    parsed = n.parse_application_number(text, allow_without_check=False)
    assert (parsed.year, parsed.type_digit, parsed.serial) == parts


@given(old_parts)
def test_every_generated_old_number_verifies(parts):
    text = n.format_application_number(*parts, style="old")
    assert len(text) == 10
    parsed = n.parse_application_number(text, allow_without_check=False)
    assert (parsed.year, parsed.type_digit, parsed.serial) == parts


@given(new_parts, st.integers(0, 11), st.integers(1, 9))
def test_any_single_digit_change_is_detected(parts, position, delta):
    # Weights 2..9 and the prime modulus 11 make w·δ ≢ 0 (mod 11) for every δ in 1..9:
    # the check character catches every single-digit change (see the module docstring).
    text = n.format_application_number(*parts)
    digits, check = text[:12], text[13]
    changed = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    assert n.check_character(changed) != check
    with pytest.raises(n.ApplicationNumberInvalid):
        n.parse_application_number(f"{changed}.{check}")


@given(new_parts, st.integers(0, 10))
def test_adjacent_transpositions_are_detected(parts, position):
    text = n.format_application_number(*parts)
    digits, check = text[:12], text[13]
    swapped = digits[:position] + digits[position + 1] + digits[position] + digits[position + 2 :]
    if swapped != digits:
        assert n.check_character(swapped) != check


def test_format_validates_parts():
    assert n.format_application_number(2026, 1, 1) == "202610000001." + n.check_character(
        "202610000001"
    )
    with pytest.raises(n.ApplicationNumberInvalid, match="种类号 4"):
        n.format_application_number(2026, 4, 1)
    with pytest.raises(n.ApplicationNumberInvalid, match="流水号"):
        n.format_application_number(2026, 1, 10_000_000)
    with pytest.raises(n.ApplicationNumberInvalid, match="年份"):
        n.format_application_number(2010, 1, 1, style="old")


@pytest.mark.parametrize(
    ("business_type", "digit"),
    [
        ("invention", 1),
        ("utility", 2),
        ("design", 3),
        ("pct-national", 8),
        ("pct-national-utility", 9),
        ("Invention", 1),
    ],
)
def test_type_digit_for(business_type, digit):
    assert n.type_digit_for(business_type) == digit


@pytest.mark.parametrize("business_type", ["change", "response", "pct", "ic-layout", "fee"])
def test_business_without_new_number(business_type):
    with pytest.raises(n.NoApplicationNumberForBusiness, match=business_type):
        n.type_digit_for(business_type)


def test_pct_numbers():
    assert n.format_pct_number(2024, 12345) == "PCT/CN2024/012345"
    assert str(n.parse_pct_number("PCT/CN2024/012345")) == "PCT/CN2024/012345"
    assert n.parse_pct_number("pct/cn/2024/012345") == n.PctNumber(2024, 12345)
    for bad in ("PCT/CN24/012345", "PCT/CN2024/12345", "CN2024/012345", "PCT/CN2024/000000"):
        with pytest.raises(n.PctNumberInvalid):
            n.parse_pct_number(bad)


@given(st.integers(2004, 2099), st.integers(1, 999_999))
def test_pct_round_trip(year, serial):
    assert n.parse_pct_number(n.format_pct_number(year, serial)) == n.PctNumber(year, serial)


def test_patent_numbers():
    assert n.format_patent_number("201710601862") == "ZL201710601862.3"
    assert str(n.parse_patent_number("ZL 201710601862.3")) == "201710601862.3"
    with pytest.raises(n.ApplicationNumberInvalid, match="ZL"):
        n.parse_patent_number("201710601862.3")
    with pytest.raises(n.ApplicationNumberCheckFailed):
        n.parse_patent_number("ZL201710601862.5")


def test_is_valid():
    assert n.is_valid_application_number("97101765.4")
    assert not n.is_valid_application_number("97101765.5")
    assert not n.is_valid_application_number("97101765")
