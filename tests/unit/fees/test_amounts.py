"""The one bounded money format (issue 15 items 1 and 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from patentdesk.fees.amounts import (
    MAX_YUAN,
    AmountFormatError,
    parse_fen,
    parse_yuan,
    payment_fen,
)
from patentdesk.fees.errors import PaymentAmountInvalid


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("0.01", 1),
        ("960", 96000),
        (" 960.5 ", 96050),
        ("0960.50", 96050),
        (960, 96000),
        (960.5, 96050),
        (Decimal("9620.00"), 962000),
        (Decimal("1E+2"), 10000),
        (str(MAX_YUAN), 999999999),
    ],
)
def test_amounts_in_the_format(value: object, fen: int) -> None:
    assert parse_fen(value) == fen


@pytest.mark.parametrize(
    "value",
    [
        "1E+400000",
        "1E+999999999",
        "1e-1000030",
        "1e2",
        "NaN",
        "Infinity",
        "-0",
        "0",
        "0.00",
        "-5",
        "1.234",
        "1,000",
        "¥100",
        "10000000",
        "9" * 5000,
        "",
        True,
        None,
        [1],
        1e300,
        float("nan"),
        0.1 + 0.2,
        10**4000,
        Decimal("1E+400000"),
        Decimal("1E-1000030"),
        Decimal("NaN"),
        Decimal("0.001"),
    ],
)
def test_everything_else_is_refused_before_any_arithmetic(value: object) -> None:
    with pytest.raises(AmountFormatError) as err:
        parse_yuan(value)
    assert len(err.value.value) <= 25  # quoted short, whatever was sent
    assert "两位小数" in err.value.zh and "two decimals" in err.value.en


def test_sheet_amounts_may_be_zero_or_credit_lines() -> None:
    assert parse_yuan("0", positive=False) == 0
    assert parse_yuan(Decimal("0E-1000030"), positive=False) == 0
    assert parse_yuan("-200", positive=False, signed=True) == Decimal("-200.00")
    with pytest.raises(AmountFormatError):
        parse_yuan("-200", positive=False)


def test_a_payment_amount_error_names_the_field() -> None:
    with pytest.raises(PaymentAmountInvalid) as err:
        payment_fen("1E+400000")
    assert err.value.code == "FEE_PAYMENT_AMOUNT_INVALID" and err.value.status == 422
    assert err.value.details == {"field": "amount"}
    assert err.value.zh.startswith("缴费金额（1E+400000）") and "amount" in err.value.en
