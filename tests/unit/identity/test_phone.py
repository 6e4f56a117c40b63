import pytest

from patentdesk.identity import idnumbers


@pytest.mark.parametrize(
    "raw,ok",
    [
        ("13800138000", True),
        ("+86 138-0013-8000", True),
        ("008613800138000", True),
        ("12800138000", False),
        ("1380013800", False),
        ("abc", False),
    ],
)
def test_mobile(raw, ok):
    assert idnumbers.mobile_valid(idnumbers.normalise_mobile(raw)) is ok
