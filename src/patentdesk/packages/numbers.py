"""Application numbers (申请号), PCT international application numbers and patent numbers.

CNIPA formats (see docs/notices.md and the project's CNIPA reference):

* new, since 1 October 2003: 4-digit year + type digit + 7-digit serial + ``.`` + check
  character, e.g. ``201710601862.3``;
* old, 1985–2003: 2-digit year + type digit + 5-digit serial + ``.`` + check character,
  e.g. ``95115608.X``.

Type digits: 1 invention, 2 utility model, 3 design, 8 PCT invention entering the national
phase, 9 PCT utility model entering the national phase. The check character is the sum of
the digits weighted 2,3,4,5,6,7,8,9,2,3,4,5 (the first eight weights for the old format),
mod 11, with 10 written ``X``.

Because 11 is prime and every weight is between 2 and 9, changing any single digit changes
the weighted sum by w·δ with 0 < w, |δ| < 11, which is never a multiple of 11: the check
character catches every single-digit error. Swapping two adjacent digits changes the sum by
(w_i − w_j)(d_j − d_i); adjacent weights differ by 1 or by 7, so every adjacent
transposition of different digits is caught too. Two or more independent errors can cancel
(a 1-in-11 chance), which no single check character can prevent.

Nothing here imports the server: the offline client validates numbers with it too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from patentdesk.errors import PatentDeskError, ValidationFailed

WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
TYPE_DIGITS: dict[int, str] = {
    1: "invention",  # 发明
    2: "utility",  # 实用新型
    3: "design",  # 外观设计
    8: "pct-national-invention",  # 进入中国国家阶段的 PCT 发明
    9: "pct-national-utility",  # 进入中国国家阶段的 PCT 实用新型
}
TYPE_NAMES_ZH: dict[int, str] = {
    1: "发明",
    2: "实用新型",
    3: "外观设计",
    8: "PCT 发明（国家阶段）",
    9: "PCT 实用新型（国家阶段）",
}
# Business types (package types of SPEC §10) that create an application, with aliases.
_BUSINESS_TYPE_DIGITS: dict[str, int] = {
    "invention": 1,
    "utility": 2,
    "utility-model": 2,
    "utility_model": 2,
    "design": 3,
    "pct-national": 8,
    "pct-national-invention": 8,
    "pct-national-utility": 9,
}
NEW_FORMAT_SINCE_YEAR = 2003  # the 12-digit numbers started on 2003-10-01
OLD_FORMAT_YEARS = range(1985, 2004)

NumberFormat = Literal["new", "old"]


class ApplicationNumberInvalid(ValidationFailed):
    code = "APPLICATION_NUMBER_INVALID"
    message_zh = "申请号格式不正确"
    message_en = "The application number is not valid"


class ApplicationNumberCheckFailed(ApplicationNumberInvalid):
    code = "APPLICATION_NUMBER_CHECK_FAILED"
    message_zh = "申请号校验位错误"
    message_en = "The application number's check character is wrong"


class NoApplicationNumberForBusiness(PatentDeskError):
    code = "NO_APPLICATION_NUMBER_FOR_BUSINESS"
    status = 422
    message_zh = "该业务类型不产生新的申请号"
    message_en = "This business type does not create an application number"


class PctNumberInvalid(ValidationFailed):
    code = "PCT_NUMBER_INVALID"
    message_zh = "PCT 国际申请号格式不正确"
    message_en = "The PCT international application number is not valid"


def check_character(digits: str) -> str:
    """The check character (``0``–``9`` or ``X``) for 8 (old) or 12 (new) digits."""
    if len(digits) not in (8, 12) or not digits.isascii() or not digits.isdigit():
        raise ApplicationNumberInvalid(
            "校验位只能对 8 位或 12 位数字计算：{digits}",
            "A check character needs 8 or 12 digits: {digits}",
            digits=digits,
        )
    total = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """An application number split into its parts.

    ``check`` is the check character as given (``None`` when the text had none); ``str()``
    gives the canonical form with the computed check character, e.g. ``201710601862.3``.
    """

    year: int
    type_digit: int
    serial: int
    check: str | None
    format: NumberFormat

    @property
    def digits(self) -> str:
        if self.format == "new":
            return f"{self.year:04d}{self.type_digit}{self.serial:07d}"
        return f"{self.year % 100:02d}{self.type_digit}{self.serial:05d}"

    @property
    def check_char(self) -> str:
        return check_character(self.digits)

    @property
    def kind(self) -> str:
        """invention, utility, design, pct-national-invention or pct-national-utility."""
        return TYPE_DIGITS[self.type_digit]

    @property
    def kind_zh(self) -> str:
        return TYPE_NAMES_ZH[self.type_digit]

    def __str__(self) -> str:
        return f"{self.digits}.{self.check_char}"


def _validate_parts(year: int, type_digit: int, serial: int, fmt: NumberFormat) -> None:
    if type_digit not in TYPE_DIGITS:
        raise ApplicationNumberInvalid(
            "申请种类号 {type_digit} 无效，应为 1、2、3、8 或 9",
            "Type digit {type_digit} is not valid; use 1, 2, 3, 8 or 9",
            type_digit=type_digit,
        )
    if fmt == "new":
        if not NEW_FORMAT_SINCE_YEAR <= year <= 9999:
            raise ApplicationNumberInvalid(
                "申请年份 {year} 无效（新格式申请号自 2003 年起使用）",
                "Year {year} is not valid (the 12-digit format started in 2003)",
                year=year,
            )
        max_serial = 9_999_999
    else:
        if year not in OLD_FORMAT_YEARS:
            raise ApplicationNumberInvalid(
                "申请年份 {year} 无效（旧格式申请号用于 1985–2003 年）",
                "Year {year} is not valid (the 8-digit format was used 1985–2003)",
                year=year,
            )
        max_serial = 99_999
    if not 1 <= serial <= max_serial:
        raise ApplicationNumberInvalid(
            "流水号 {serial} 超出范围 1–{max_serial}",
            "Serial {serial} is outside 1–{max_serial}",
            serial=serial,
            max_serial=max_serial,
        )


def format_application_number(
    year: int, type_digit: int, serial: int, *, style: Literal["auto", "new", "old"] = "auto"
) -> str:
    """``201710601862.3`` from (2017, 1, 601862). ``auto`` uses the new format from 2003 on;
    an old-format number of 2003 needs ``style="old"``."""
    fmt: NumberFormat = (
        ("new" if year >= NEW_FORMAT_SINCE_YEAR else "old") if style == "auto" else style
    )
    _validate_parts(year, type_digit, serial, fmt)
    return str(ParsedNumber(year, type_digit, serial, None, fmt))


def _normalise(text: str) -> str:
    # NFKC folds full-width digits, dots and letters (２０１７．Ｘ) typed in Chinese IMEs.
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().upper()
    return re.sub(r"[\s]+", "", cleaned)


_APP_RE = re.compile(r"^(?:CN)?(?P<digits>\d{12}|\d{8})(?:\.?(?P<check>[0-9X]))?$")


def parse_application_number(text: str, allow_without_check: bool = True) -> ParsedNumber:
    """Parses ``201710601862.3``, ``2017106018623``, ``CN201710601862.3``, ``95115608.X``…

    Without a check character the number is accepted only when ``allow_without_check``; a
    given check character must be right. Errors name the problem (length, type digit, year,
    check character).
    """
    raw = text
    value = _normalise(text)
    match = _APP_RE.match(value)
    if not match:
        raise ApplicationNumberInvalid(
            "申请号“{raw}”格式不正确：应为 12 位数字加校验位（如 201710601862.3）"
            "或 8 位数字加校验位（如 95115608.X）",
            "Application number '{raw}' is malformed: expected 12 digits and a check "
            "character (201710601862.3) or 8 digits and one (95115608.X)",
            raw=raw,
        )
    digits, check = match["digits"], match["check"]
    if len(digits) == 12:
        year, type_digit, serial = int(digits[:4]), int(digits[4]), int(digits[5:])
        fmt: NumberFormat = "new"
    else:
        yy = int(digits[:2])
        year = 1900 + yy if yy >= 85 else 2000 + yy
        type_digit, serial, fmt = int(digits[2]), int(digits[3:]), "old"
    _validate_parts(year, type_digit, serial, fmt)
    expected = check_character(digits)
    if check is None:
        if not allow_without_check:
            raise ApplicationNumberInvalid(
                "申请号“{raw}”缺少校验位（应为 {digits}.{expected}）",
                "Application number '{raw}' lacks its check character ({digits}.{expected})",
                raw=raw,
                digits=digits,
                expected=expected,
            )
    elif check != expected:
        raise ApplicationNumberCheckFailed(
            "申请号“{raw}”校验位错误：{digits} 的校验位应为 {expected}",
            "Application number '{raw}': the check character of {digits} is {expected}",
            raw=raw,
            digits=digits,
            expected=expected,
        )
    return ParsedNumber(year, type_digit, serial, check, fmt)


def is_valid_application_number(text: str, allow_without_check: bool = False) -> bool:
    try:
        parse_application_number(text, allow_without_check=allow_without_check)
    except ApplicationNumberInvalid:
        return False
    return True


def type_digit_for(business_type: str) -> int:
    """The type digit of a new application of this business type (SPEC §10 package types).

    ``pct-national`` means an invention entering the national phase (8); a utility model
    entering it is ``pct-national-utility`` (9). Follow-up business (change, response, fee,
    reexam, invalidation) attaches to an existing number; a PCT international application
    gets a ``PCT/CN…`` number instead; IC layout designs are another platform.
    """
    key = business_type.strip().lower()
    if key in _BUSINESS_TYPE_DIGITS:
        return _BUSINESS_TYPE_DIGITS[key]
    raise NoApplicationNumberForBusiness(
        "业务类型“{business_type}”不产生新的申请号（只有发明、实用新型、外观设计和 PCT "
        "进入国家阶段的申请才分配申请号）",
        "Business type '{business_type}' does not create an application number (only "
        "invention, utility model, design and PCT national phase applications do)",
        business_type=business_type,
    )


# ---- PCT international application numbers (RO/CN) -----------------------------------


@dataclass(frozen=True, slots=True)
class PctNumber:
    """``PCT/CN2024/012345``: receiving office CN, year, 6-digit serial (WIPO format since
    2004). ``str()`` gives that standard form."""

    year: int
    serial: int
    office: str = "CN"

    def __str__(self) -> str:
        return f"PCT/{self.office}{self.year:04d}/{self.serial:06d}"


_PCT_RE = re.compile(r"^PCT/?(?P<office>[A-Z]{2})/?(?P<year>\d{4})/(?P<serial>\d{6})$")


def format_pct_number(year: int, serial: int, office: str = "CN") -> str:
    if not 2004 <= year <= 9999 or not 1 <= serial <= 999_999:
        raise PctNumberInvalid(
            "PCT 国际申请号的年份或流水号超出范围：{year}/{serial}",
            "PCT number year or serial out of range: {year}/{serial}",
            year=year,
            serial=serial,
        )
    return str(PctNumber(year, serial, office.upper()))


def parse_pct_number(text: str) -> PctNumber:
    """Accepts the standard ``PCT/CN2024/012345`` and the spelling ``PCT/CN/2024/012345``."""
    match = _PCT_RE.match(_normalise(text))
    if not match:
        raise PctNumberInvalid(
            "PCT 国际申请号“{raw}”格式不正确，应为 PCT/CN2024/012345",
            "PCT number '{raw}' is malformed; expected PCT/CN2024/012345",
            raw=text,
        )
    year, serial = int(match["year"]), int(match["serial"])
    format_pct_number(year, serial)  # range check
    return PctNumber(year, serial, match["office"])


# ---- patent numbers (专利号) -----------------------------------------------------------


def format_patent_number(application_number: str | ParsedNumber) -> str:
    """A granted patent keeps its application number: ``ZL201710601862.3``."""
    parsed = (
        application_number
        if isinstance(application_number, ParsedNumber)
        else parse_application_number(application_number)
    )
    return f"ZL{parsed}"


def parse_patent_number(text: str, allow_without_check: bool = True) -> ParsedNumber:
    """``ZL201710601862.3`` (also ``ZL 201710601862.3``) → the application number's parts."""
    value = _normalise(text)
    if not value.startswith("ZL"):
        raise ApplicationNumberInvalid(
            "专利号“{raw}”应以 ZL 开头，后接申请号（如 ZL201710601862.3）",
            "Patent number '{raw}' must be ZL followed by the application number",
            raw=text,
        )
    return parse_application_number(value[2:], allow_without_check=allow_without_check)
