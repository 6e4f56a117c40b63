"""The advanced query language (高级查询): one set of parameter names for API, portal and CLI.

A query is a URL query string; ``GET /api/v1/cases?…``, the portal page ``/query?…`` and
``patentdesk query --option …`` (options named like the parameters, ``_`` written ``-``) all
read the same parameters:

==================  ===========================================================================
``application_number``  full number, with or without check character (``201710601862.3``,
                    ``2017106018623``, ``201710601862``, ``CN…``, ``ZL…``), or a run of its
                    digits for a partial match; ``PCT/CN2024/012345`` searches PCT numbers
``title``           Chinese (or any) substrings of the title; several words separated by
                    spaces must all occur
``applicant``       a substring of an applicant's name
``inventor``        a substring of an inventor's name
``internal_number`` 机构内部编号: exact (case-sensitive); ``*`` is a wildcard (``AG-2026-*``)
``kind``            application type: invention, utility, design, pct, pct-national
``business_type``   cases with a submission of this business type (change, response, …)
``status``          case status (``submitted``, ``accepted``, …)
``filed_from/to``   filing date range (``YYYY-MM-DD``, inclusive, Beijing dates)
``dispatched_from/to``  cases with a notice dispatched in this range
``sub_account``     submitted by this sub-account (id)
``notice_code``     cases with a notice of this type (six digits)
``deadline_from/to``  cases with a notice whose response deadline is in this range
``deadline_within`` … whose deadline is within this many days from today (Beijing)
``notice_unconfirmed``  ``1``: cases with a notice whose receipt is not yet confirmed (接收确认)
``sort``            ``-filing_date`` (default), ``filing_date``, ``application_number``,
                    ``-application_number``
``limit``           rows per page, 1–500 (default 50)
``cursor``          the ``next_cursor`` of the previous page (keyset paging)
==================  ===========================================================================

``kind``, ``business_type``, ``status`` and ``notice_code`` take several values separated by
commas (or the parameter repeated). The notice conditions (code, dispatch range, deadline)
apply to one and the same notice. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from patentdesk.errors import ValidationFailed
from patentdesk.packages import numbers

# The columns of a CSV export, the same from the API and the CLI.
CSV_COLUMNS = (
    "application_number",
    "title",
    "status",
    "internal_number",
    "kind",
    "filing_date",
    "applicants",
    "inventors",
    "sub_account",
    "domain",
)

KINDS = ("invention", "utility", "design", "pct", "pct-national")
SORTS = ("-filing_date", "filing_date", "application_number", "-application_number")
DEFAULT_SORT = "-filing_date"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_TEXT = 100
MAX_DEADLINE_DAYS = 3660
# Parameters of a page address that are not part of the query.
PAGE_ONLY = frozenset({"lang"})

# Field names in Chinese and English, for error messages and the portal form.
LABELS: dict[str, tuple[str, str]] = {
    "application_number": ("申请号", "application number"),
    "title": ("发明创造名称", "title"),
    "applicant": ("申请人", "applicant"),
    "inventor": ("发明人", "inventor"),
    "internal_number": ("机构内部编号", "internal number"),
    "kind": ("申请类型", "application type"),
    "business_type": ("业务类型", "business type"),
    "status": ("案件状态", "status"),
    "filed_from": ("申请日起", "filed from"),
    "filed_to": ("申请日止", "filed to"),
    "dispatched_from": ("发文日起", "dispatched from"),
    "dispatched_to": ("发文日止", "dispatched to"),
    "sub_account": ("提交子账户", "submitting sub-account"),
    "notice_code": ("通知书类型", "notice type"),
    "deadline_from": ("期限起", "deadline from"),
    "deadline_to": ("期限止", "deadline to"),
    "deadline_within": ("期限天数内", "deadline within days"),
    "notice_unconfirmed": ("未确认接收的通知书", "unconfirmed notice"),
    "sort": ("排序", "sort"),
    "limit": ("每页条数", "rows per page"),
    "cursor": ("翻页标记", "page cursor"),
}


class QueryInvalid(ValidationFailed):
    code = "QUERY_INVALID"
    message_zh = "查询条件不正确"
    message_en = "The query is not valid"


def _invalid(name: str, zh: str, en: str, **fmt: Any) -> QueryInvalid:
    label_zh, label_en = LABELS.get(name, (name, name))
    return QueryInvalid(
        f"查询条件“{label_zh}”（{name}）不正确：{zh}",
        f"Query field '{label_en}' ({name}) is not valid: {en}",
        details={"field": name},
        **fmt,
    )


@dataclass(frozen=True)
class NumberMatch:
    """How an application-number condition matches: ``exact``, ``pct`` or ``partial``."""

    mode: str
    value: str


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort key and id of the last row shown."""

    sort: str
    key: str  # the sort column's value as text (ISO date or application number)
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.key, self.id.hex], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: str) -> Cursor:
        try:
            padded = text + "=" * (-len(text) % 4)
            sort_in, key, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
            cursor = cls(str(sort_in), str(key), uuid.UUID(str(ident)))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise _invalid(
                "cursor",
                "无法识别，请从第一页重新查询",
                "not recognised; start again from the first page",
            ) from exc
        if cursor.sort != sort:
            raise _invalid(
                "cursor",
                "翻页标记属于另一种排序，请从第一页重新查询",
                "the cursor belongs to another sort order; start again from the first page",
            )
        return cursor


@dataclass(frozen=True)
class CaseQuery:
    """A parsed, validated advanced query. Empty conditions are ``None`` or empty tuples."""

    application_number: str | None = None
    title: str | None = None
    applicant: str | None = None
    inventor: str | None = None
    internal_number: str | None = None
    kind: tuple[str, ...] = ()
    business_type: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    filed_from: dt.date | None = None
    filed_to: dt.date | None = None
    dispatched_from: dt.date | None = None
    dispatched_to: dt.date | None = None
    sub_account: uuid.UUID | None = None
    notice_code: tuple[str, ...] = ()
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    deadline_within: int | None = None
    notice_unconfirmed: bool = False
    sort: str = DEFAULT_SORT
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    # Derived when parsed.
    number: NumberMatch | None = field(default=None, compare=False, repr=False)

    # -- reading -------------------------------------------------------------------------

    @classmethod
    def parse(cls, params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> CaseQuery:
        """Reads query parameters (a mapping, or pairs with repeats); errors name the field."""
        merged = _merge(params)
        unknown = sorted(set(merged) - set(LABELS) - PAGE_ONLY)
        if unknown:
            raise QueryInvalid(
                "未知的查询条件：{names}",
                "Unknown query field: {names}",
                details={"fields": unknown},
                names=", ".join(unknown),
            )
        values: dict[str, Any] = {}
        for name in ("title", "applicant", "inventor", "internal_number"):
            values[name] = _text(name, merged.get(name))
        values["application_number"] = _text("application_number", merged.get("application_number"))
        values["kind"] = _choices("kind", merged.get("kind"), KINDS)
        values["business_type"] = _tokens("business_type", merged.get("business_type"))
        values["status"] = _tokens("status", merged.get("status"))
        values["notice_code"] = _notice_codes(merged.get("notice_code"))
        for name in (
            "filed_from",
            "filed_to",
            "dispatched_from",
            "dispatched_to",
            "deadline_from",
            "deadline_to",
        ):
            values[name] = _date(name, merged.get(name))
        _ordered(values, "filed_from", "filed_to")
        _ordered(values, "dispatched_from", "dispatched_to")
        _ordered(values, "deadline_from", "deadline_to")
        values["deadline_within"] = _int(
            "deadline_within", merged.get("deadline_within"), 0, MAX_DEADLINE_DAYS, None
        )
        values["notice_unconfirmed"] = _flag("notice_unconfirmed", merged.get("notice_unconfirmed"))
        values["sub_account"] = _uuid("sub_account", merged.get("sub_account"))
        sort = (merged.get("sort") or "").strip() or DEFAULT_SORT
        if sort not in SORTS:
            raise _invalid(
                "sort", "应为 {choices} 之一", "use one of {choices}", choices=", ".join(SORTS)
            )
        values["sort"] = sort
        values["limit"] = _int("limit", merged.get("limit"), 1, MAX_LIMIT, DEFAULT_LIMIT)
        cursor = (merged.get("cursor") or "").strip() or None
        if cursor is not None:
            Cursor.decode(cursor, sort)  # fail early, with the field named
        values["cursor"] = cursor
        query = cls(**values)
        if query.application_number is not None:
            query = replace(query, number=match_number(query.application_number))
        return query

    @classmethod
    def from_query_string(cls, text: str) -> CaseQuery:
        return cls.parse(parse_qsl(text.lstrip("?"), keep_blank_values=False))

    # -- writing -------------------------------------------------------------------------

    def params(self, *, paging: bool = True) -> list[tuple[str, str]]:
        """The canonical parameters (defaults left out); without ``paging``, no cursor."""
        out: list[tuple[str, str]] = []
        for f in fields(self):
            if f.name == "number" or (not paging and f.name == "cursor"):
                continue
            value = getattr(self, f.name)
            if value is None or value is False or value in ((), ""):
                continue
            if f.name == "sort" and value == DEFAULT_SORT:
                continue
            if f.name == "limit" and value == DEFAULT_LIMIT:
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, uuid.UUID):
                value = str(value)
            elif value is True:
                value = "1"
            elif isinstance(value, dt.date):
                value = value.isoformat()
            out.append((f.name, str(value)))
        return out

    def query_string(self, *, paging: bool = True) -> str:
        return urlencode(self.params(paging=paging))

    def next_page(self, cursor: str) -> CaseQuery:
        return replace(self, cursor=cursor)

    @property
    def decoded_cursor(self) -> Cursor | None:
        return None if self.cursor is None else Cursor.decode(self.cursor, self.sort)

    @property
    def has_notice_condition(self) -> bool:
        return bool(
            self.notice_code
            or self.dispatched_from
            or self.dispatched_to
            or self.deadline_from
            or self.deadline_to
            or self.deadline_within is not None
            or self.notice_unconfirmed
        )

    def deadline_range(self, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
        """The deadline window: explicit bounds, narrowed by ``deadline_within`` days."""
        low, high = self.deadline_from, self.deadline_to
        if self.deadline_within is not None:
            within_high = today + dt.timedelta(days=self.deadline_within)
            low = max(low, today) if low else today
            high = min(high, within_high) if high else within_high
        return low, high

    def words(self, name: str) -> list[str]:
        """The space-separated words of a text condition (all must match)."""
        value = getattr(self, name)
        return value.split() if value else []


# -- helpers ------------------------------------------------------------------------------


def _merge(params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated parameters become one comma-separated value; blanks are dropped."""
    pairs: Iterable[tuple[str, Any]] = params.items() if isinstance(params, Mapping) else params
    merged: dict[str, list[str]] = {}
    for key, raw in pairs:
        items = raw if isinstance(raw, list | tuple) else [raw]
        for item in items:
            if item is None:
                continue
            text = str(item).strip()
            if text:
                merged.setdefault(key, []).append(text)
    return {k: ",".join(v) for k, v in merged.items()}


def _clean(text: str) -> str:
    # NFKC folds full-width letters, digits and spaces typed with Chinese input methods.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _text(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    value = _clean(raw)
    if not value:
        return None
    # The limit counts what was typed: NFKC may spell one character as several (「㍿」).
    if len(" ".join(raw.split())) > MAX_TEXT:
        raise _invalid(name, "不能超过 {n} 个字符", "at most {n} characters", n=MAX_TEXT)
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise _invalid(name, "含有控制字符", "contains control characters")
    return value


_TOKEN_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def _split(raw: str | None) -> list[str]:
    if raw is None:
        return []
    return [v for v in (_clean(p).lower() for p in raw.split(",")) if v]


def _tokens(name: str, raw: str | None) -> tuple[str, ...]:
    values = _split(raw)
    for v in values:
        if not _TOKEN_RE.match(v):
            raise _invalid(
                name,
                "“{v}”不是有效的取值（小写字母、数字、- 或 _）",
                "'{v}' is not a valid value (lower-case letters, digits, - or _)",
                v=v,
            )
    return tuple(dict.fromkeys(values))


def _choices(name: str, raw: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = _tokens(name, raw)
    for v in values:
        if v not in allowed:
            raise _invalid(
                name,
                "“{v}”不是有效的取值，应为 {choices} 之一",
                "'{v}' is not one of {choices}",
                v=v,
                choices=", ".join(allowed),
            )
    return values


def _notice_codes(raw: str | None) -> tuple[str, ...]:
    values = _split(raw)
    for v in values:
        if not re.fullmatch(r"\d{6}", v):
            raise _invalid(
                "notice_code",
                "“{v}”应为 6 位数字的通知书代码（如 210401）",
                "'{v}' should be a six-digit notice code (e.g. 210401)",
                v=v,
            )
    return tuple(dict.fromkeys(values))


def _date(name: str, raw: str | None) -> dt.date | None:
    if raw is None:
        return None
    value = _clean(raw)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(
            name,
            "“{v}”不是有效日期，应为 YYYY-MM-DD",
            "'{v}' is not a date; use YYYY-MM-DD",
            v=value,
        ) from exc


def _ordered(values: dict[str, Any], low: str, high: str) -> None:
    if values[low] and values[high] and values[low] > values[high]:
        raise _invalid(
            high,
            "结束日期早于开始日期（{low}）",
            "the end date is before the start date ({low})",
            low=values[low].isoformat(),
        )


def _int(name: str, raw: str | None, low: int, high: int, default: int | None) -> int | None:
    if raw is None:
        return default
    value = _clean(raw)
    if not re.fullmatch(r"\d{1,6}", value) or not low <= int(value) <= high:
        raise _invalid(
            name,
            "应为 {low} 至 {high} 之间的整数",
            "use a whole number from {low} to {high}",
            low=low,
            high=high,
        )
    return int(value)


def _flag(name: str, raw: str | None) -> bool:
    value = _clean(raw or "").lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise _invalid(name, "应为 1 或 0", "use 1 or 0")


def _uuid(name: str, raw: str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(_clean(raw))
    except ValueError as exc:
        raise _invalid(name, "应为子账户编号（UUID）", "use the sub-account's id (a UUID)") from exc


_PARTIAL_RE = re.compile(r"^[0-9][0-9.X]*$|^\.[0-9X]$")


def match_number(text: str) -> NumberMatch:
    """Full numbers (with or without check character) match exactly; digit runs partially."""
    value = _clean(text).upper().replace(" ", "")
    if value.startswith("PCT"):
        try:
            return NumberMatch("pct", str(numbers.parse_pct_number(value)))
        except numbers.PctNumberInvalid as exc:
            raise _invalid("application_number", exc.zh, exc.en) from exc
    for prefix in ("ZL", "CN"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    # 12 digits are a whole new-format number; 8 digits are one only with their check
    # character written ".3" or "X" (otherwise they are as likely a run of a longer number).
    full = re.fullmatch(r"(\d{12})(\.?[0-9X])?|(\d{8})(\.[0-9X]|X)", value)
    if full:
        # A wrong check character is an error, not an empty result: the user mistyped.
        try:
            parsed = numbers.parse_application_number(value, allow_without_check=True)
        except numbers.ApplicationNumberInvalid as exc:
            raise _invalid("application_number", exc.zh, exc.en) from exc
        return NumberMatch("exact", str(parsed))
    if not _PARTIAL_RE.match(value):
        raise _invalid(
            "application_number",
            "“{v}”不是申请号或其中的一段数字",
            "'{v}' is neither an application number nor a run of its digits",
            v=text,
        )
    return NumberMatch("partial", value)


def glob_parts(pattern: str) -> list[str]:
    """The literal pieces of an internal-number pattern with ``*`` wildcards."""
    return [p for p in pattern.split("*") if p]
