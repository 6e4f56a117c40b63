"""Amounts of money as they enter the system: one bounded format, checked in constant time.

Every way money comes in — the payments API, the portal's forms, deduction sheets, the
office's payment notices, the CLI — goes through :func:`parse_yuan`. A decimal number with
scientific notation («1E+400000») is refused by the format before any :class:`Decimal`
arithmetic runs on it: such numbers froze the server (a 400,002-digit integer), overflowed
(a 500) or rounded to a payment of 0 yuan.

The format: up to :data:`MAX_INTEGER_DIGITS` integer digits, up to two decimals (fen), an
optional minus sign only where a sheet has credit lines; nothing else (no exponent, no
thousands separators, no currency sign). JSON numbers are taken when they print in that
format.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer
from pydantic_core import PydanticCustomError

MAX_INTEGER_DIGITS = 7
MAX_YUAN = Decimal("9999999.99")  # 7 integer digits: far above any case's fees
MAX_FEN = int(MAX_YUAN * 100)
# What a text may be at most before the pattern is even tried (a sign, 7 digits, ".", 2).
MAX_TEXT_LENGTH = 1 + MAX_INTEGER_DIGITS + 3
# Published in the API's schema: a positive amount of yuan with at most two decimals.
POSITIVE_PATTERN = r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,6}(\.[0-9]{1,2})?)$"
_SIGNED = re.compile(r"-?[0-9]{1,7}(\.[0-9]{1,2})?")
CENT = Decimal("0.01")


class AmountFormatError(ValueError):
    """An amount outside the format; ``zh`` and ``en`` say what is expected."""

    def __init__(self, value: object, *, positive: bool, signed: bool = False) -> None:
        self.value = shown(value)
        if positive:
            zh = f"应为大于 0、不超过 {MAX_YUAN:,} 元、最多两位小数的金额（如 960 或 960.50）"
            en = f"give more than 0 and at most CNY {MAX_YUAN:,}, with at most two decimals"
        else:
            zh = (
                f"应为{'' if signed else '不小于 0、'}绝对值不超过 {MAX_YUAN:,} 元、"
                "最多两位小数的金额（如 960 或 960.50），不能用科学计数法"
            )
            en = (
                f"give {'' if signed else 'a non-negative '}amount of at most CNY {MAX_YUAN:,}"
                f"{' either way' if signed else ''}, with at most two decimals and no exponent"
            )
        self.zh, self.en = zh, en
        super().__init__(f"{self.value}: {zh} / {en}")


def shown(value: object) -> str:
    """The value as an error message may quote it: short, one line."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:21] + "…"


def _text(value: object) -> str | None:
    """The amount as text in the format's alphabet, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # Bounded by the JSON parser's own limit (4,300 digits): the comparison is cheap.
        return str(value) if abs(value) < 10**MAX_INTEGER_DIGITS else None
    if isinstance(value, float):
        # repr gives the shortest text that reads back as this float: 960.5, not 960.5000001.
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite() or not -3 <= value.adjusted() < MAX_INTEGER_DIGITS:
            return "0" if value.is_zero() else None
        # Bounded by ``adjusted()``: at most seven integer digits, so this is short.
        return f"{value:f}" if value == value.quantize(CENT) else None
    if isinstance(value, str):
        return value.strip() if len(value) <= MAX_TEXT_LENGTH + 8 else None
    return None


def parse_yuan(value: object, *, positive: bool = True, signed: bool = False) -> Decimal:
    """An amount of yuan in the bounded format, to the fen; raises :class:`AmountFormatError`.

    ``positive``: more than 0 (a payment). Otherwise 0 is allowed, and with ``signed`` a
    negative amount too (a sheet's credit lines, e.g. the e-filing reduction).
    """
    text = _text(value)
    if text is None or len(text) > MAX_TEXT_LENGTH or not _SIGNED.fullmatch(text):
        raise AmountFormatError(value, positive=positive, signed=signed)
    amount = Decimal(text)  # at most 11 characters of digits: constant time from here on
    if (positive and amount <= 0) or (not signed and amount < 0):
        raise AmountFormatError(value, positive=positive, signed=signed)
    return amount.quantize(CENT)


def parse_fen(value: object, *, positive: bool = True, signed: bool = False) -> int:
    """:func:`parse_yuan` in integer fen."""
    return int(parse_yuan(value, positive=positive, signed=signed) * 100)


def _pydantic(positive: bool, signed: bool) -> Any:
    def check(value: object) -> Decimal:
        try:
            return parse_yuan(value, positive=positive, signed=signed)
        except AmountFormatError as exc:
            raise PydanticCustomError(
                "fee_amount", "{zh} / {en}", {"zh": exc.zh, "en": exc.en}
            ) from None

    return BeforeValidator(check)


def _json_number(value: Decimal) -> int | float:
    # Scripts read amounts as JSON numbers; whole yuan stay integers (9620, not 9620.0).
    return int(value) if value == value.to_integral_value() else float(value)


_AS_JSON = PlainSerializer(_json_number, return_type=int | float, when_used="json")
# A fee sheet's amount (an item, a reduction, a total): a credit line may be negative.
SheetAmount = Annotated[Decimal, _pydantic(positive=False, signed=True), _AS_JSON]
# What a payer asks to pay, as an API body declares it (the published schema says the format).
AmountText = Annotated[
    str,
    Field(
        pattern=POSITIVE_PATTERN,
        max_length=MAX_TEXT_LENGTH,
        description=(
            f"CNY, more than 0 and at most {MAX_YUAN}, at most two decimals, e.g. 960 or "
            "960.50 (no exponent)"
        ),
        examples=["960", "960.50"],
    ),
]


def payment_fen(value: object, *, field: str = "amount", label: str = "缴费金额") -> int:
    """A payment's amount in fen; a clear, typed error naming ``field`` when it is not one."""
    from patentdesk.fees.errors import PaymentAmountInvalid

    try:
        return parse_fen(value, positive=True)
    except AmountFormatError as exc:
        raise PaymentAmountInvalid(
            field=label,
            field_en=f"The {field}",
            amount=exc.value,
            reason_zh=exc.zh,
            reason_en=exc.en,
            details={"field": field},
        ) from None
