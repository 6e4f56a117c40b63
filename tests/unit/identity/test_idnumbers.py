import pytest
from hypothesis import given
from hypothesis import strategies as st

from patentdesk.identity import idnumbers


@pytest.mark.parametrize("value", ["11010519491231002X", "110105194912310021"[:17] + "X"])
def test_known_resident_id(value):
    assert idnumbers.resident_id_valid("11010519491231002X")


@pytest.mark.parametrize(
    "bad",
    ["11010519491231002Y", "110105194912310020", "1101051949123100", "11010519491331002X", ""],
)
def test_bad_resident_ids(bad):
    assert not idnumbers.resident_id_valid(bad)


@given(st.from_regex(r"[1-6]\d{5}19[5-9]\d(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}", fullmatch=True))
def test_every_computed_check_digit_verifies_and_one_change_is_caught(first17):
    value = first17 + idnumbers.resident_id_check(first17)
    assert idnumbers.resident_id_valid(value)
    wrong = "0" if value[-1] != "0" else "1"
    assert not idnumbers.resident_id_valid(value[:-1] + wrong)


def test_uscc_known_good_and_bad():
    body = "91350100M000100Y4"
    good = body + idnumbers.uscc_check(body)
    assert idnumbers.uscc_valid(good)
    assert idnumbers.uscc_valid("91350100M000100Y43")  # a published sample code
    assert not idnumbers.uscc_valid(good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert not idnumbers.uscc_valid("91350100M000100Y4I")  # I is not in the alphabet
    assert not idnumbers.uscc_valid("913501")


@pytest.mark.parametrize(
    "raw,ok",
    [
        ("13800138000", True),
        ("+86 138-0013-8000", True),
        ("12800138000", False),
        ("1380013800", False),
        ("abc", False),
    ],
)
def test_mobile(raw, ok):
    assert idnumbers.mobile_valid(idnumbers.normalise_mobile(raw)) is ok
