"""Notice types (通知书类型): codes, names, response periods and body templates, as data.

The types live in ``data/notice_types.yaml`` (with their source and effective date) and are
loaded once. ``notice_type("210401")`` gives a :class:`NoticeType`; an unknown code raises
:class:`UnknownNoticeType` naming it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from patentdesk.errors import NotFound, PatentDeskError, ValidationFailed

DATA_FILE = "notice_types.yaml"
PLACEHOLDERS = frozenset(
    {
        "application_number",
        "title",
        "applicant",
        "filing_date",
        "dispatch_date",
        "deadline",
        "serial",
        "text",
    }
)
# Values a caller may leave out: the office's free text, and the deadline of a type that
# has none. Everything else a template names must be given.
OPTIONAL_PLACEHOLDERS = frozenset({"text"})
_CODE_RE = re.compile(r"^\d{6}$")


class UnknownNoticeType(NotFound):
    code = "UNKNOWN_NOTICE_TYPE"
    message_zh = "未知的通知书代码"
    message_en = "Unknown notice code"


class NoticeTypeDataInvalid(PatentDeskError):
    """The data file is broken: an operator edited it wrongly. Raised at load time."""

    code = "NOTICE_TYPE_DATA_INVALID"
    status = 500
    message_zh = "通知书类型数据文件有误"
    message_en = "The notice type data file is not valid"


class NoticeTemplateValueMissing(ValidationFailed):
    code = "NOTICE_TEMPLATE_VALUE_MISSING"
    message_zh = "通知书正文缺少数据"
    message_en = "Values are missing for the notice text"


@dataclass(frozen=True, slots=True)
class Period:
    """A response period counted from the delivery date: months or days, never both."""

    months: int = 0
    days: int = 0
    purpose_zh: str = ""  # what the party does within it: 答复, 补正, 请求复审…
    basis_zh: str = ""  # the provision it comes from

    def describe_zh(self) -> str:
        return f"{self.months}个月" if self.months else f"{self.days}日"


@dataclass(frozen=True, slots=True)
class NoticeType:
    code: str  # 通知书代码
    name_zh: str  # 通知书名称
    name_en: str
    is_decision: bool  # 决定 rather than 通知书
    is_rejection: bool  # 驳回决定: cited by a reexamination request
    period: Period | None
    template_zh: str

    @property
    def has_period(self) -> bool:
        return self.period is not None

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(self.template_zh) if name
        )

    def render_body(self, values: Mapping[str, Any]) -> str:
        """The body text with ``values`` filled in. Dates become 2024年3月1日; a missing
        value the template needs raises :class:`NoticeTemplateValueMissing` naming it."""
        filled: dict[str, str] = {}
        missing = []
        for name in sorted(self.placeholders):
            value = values.get(name)
            if value is None or value == "":
                if name in OPTIONAL_PLACEHOLDERS:
                    filled[name] = ""
                    continue
                missing.append(name)
                continue
            filled[name] = format_date_zh(value) if isinstance(value, date) else str(value)
        if missing:
            raise NoticeTemplateValueMissing(
                "通知书 {code} 的正文缺少：{names}",
                "Notice {code} needs values for: {names}",
                code=self.code,
                names=", ".join(missing),
                details={"missing": missing},
            )
        # format_map substitutes once: braces inside values are not re-read as fields.
        text = self.template_zh.format_map(filled)
        # An empty {text} line should not leave a blank line at the end.
        return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def format_date_zh(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _bad(message: str) -> NoticeTypeDataInvalid:
    return NoticeTypeDataInvalid(
        "通知书类型数据文件有误：{problem}", "Notice type data invalid: {problem}", problem=message
    )


def _period(code: str, raw: Any) -> Period | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad(f"{code}: period must be a mapping or null")
    months, days = raw.get("months", 0), raw.get("days", 0)
    if not isinstance(months, int) or not isinstance(days, int) or months < 0 or days < 0:
        raise _bad(f"{code}: period months/days must be non-negative integers")
    if bool(months) == bool(days):
        raise _bad(f"{code}: period needs exactly one of months or days")
    return Period(months, days, str(raw.get("purpose", "")), str(raw.get("basis", "")))


def _parse_type(raw: Any) -> NoticeType:
    if not isinstance(raw, dict):
        raise _bad("every entry under types must be a mapping")
    code = str(raw.get("code", ""))
    if not _CODE_RE.match(code):
        raise _bad(f"code {code!r} is not six digits (quote it in YAML)")
    for key in ("name_zh", "name_en", "template_zh"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(f"{code}: {key} is required")
    notice = NoticeType(
        code=code,
        name_zh=raw["name_zh"].strip(),
        name_en=raw["name_en"].strip(),
        is_decision=bool(raw.get("decision", False)),
        is_rejection=bool(raw.get("rejection", False)),
        period=_period(code, raw.get("period")),
        template_zh=raw["template_zh"],
    )
    try:
        unknown = notice.placeholders - PLACEHOLDERS
    except ValueError as exc:  # unbalanced braces
        raise _bad(f"{code}: template: {exc}") from exc
    if unknown:
        raise _bad(f"{code}: unknown placeholders {sorted(unknown)}")
    if "deadline" in notice.placeholders and notice.period is None:
        raise _bad(f"{code}: the template names {{deadline}} but the type has no period")
    return notice


def load_notice_types(text: str) -> dict[str, NoticeType]:
    """Parses a notice type data file (exposed for tests and for operators' checks)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _bad(f"YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("types"), list):
        raise _bad("the file needs a list under 'types'")
    if not doc.get("source") or not doc.get("effective"):
        raise _bad("the file must state its source and effective date")
    types: dict[str, NoticeType] = {}
    for raw in doc["types"]:
        notice = _parse_type(raw)
        if notice.code in types:
            raise _bad(f"code {notice.code} appears twice")
        types[notice.code] = notice
    return types


@lru_cache(maxsize=1)
def _registry() -> dict[str, NoticeType]:
    text = resources.files("patentdesk.notices").joinpath("data", DATA_FILE).read_text("utf-8")
    return load_notice_types(text)


def notice_type(code: str) -> NoticeType:
    """The notice type of a six-digit code; :class:`UnknownNoticeType` when unknown."""
    key = str(code).strip()
    try:
        return _registry()[key]
    except KeyError:
        raise UnknownNoticeType(
            "未知的通知书代码“{code}”",
            "Unknown notice code '{code}'",
            code=code,
            details={"code": key},
        ) from None


def is_known_notice_code(code: str) -> bool:
    return str(code).strip() in _registry()


def all_notice_types() -> list[NoticeType]:
    """Every type, ordered by code."""
    return sorted(_registry().values(), key=lambda t: t.code)


def is_rejection_decision(code: str) -> bool:
    """True for 驳回决定 (200305, 210407). A well-formed code we do not know (a legacy
    notice of another type) is not a rejection decision; a malformed one is an error."""
    key = str(code).strip()
    if not _CODE_RE.match(key):
        raise UnknownNoticeType(
            "通知书代码“{code}”应为 6 位数字",
            "Notice code '{code}' must be six digits",
            code=code,
        )
    known = _registry().get(key)
    return bool(known and known.is_rejection)
