"""Filings on a case by someone outside its domain, answered without telling which
unpublished numbers exist.

A third party's bibliographic change (第三方变更) names a case by its number. Were a number
nobody holds refused at once while an unpublished one is received, anyone could probe which
applications exist. So both are received alike — the same status, the same receipt with
nothing but the number — and the office, which sees the difference, refuses the one on an
unknown number. That submission has no case: :func:`case_of` stands one in, never stored,
carrying only the number.
"""

from __future__ import annotations

from sqlalchemy.orm import Session as Db

from patentdesk.errors import Conflict
from patentdesk.filing.models import Case, Submission
from patentdesk.packages import numbers

UNKNOWN_STATUS = "unknown"


class ApplicationUnknown(Conflict):
    code = "APPLICATION_UNKNOWN"
    message_zh = "申请号 {number} 不存在：该请求只能不受理"
    message_en = "There is no application {number}: this request can only be refused"


def canonical_number(text: str | None) -> str | None:
    """The number as cases store it (check character included), or None when malformed."""
    if not text:
        return None
    value = text.strip().upper()
    if value.startswith("PCT/"):
        try:
            return str(numbers.parse_pct_number(value))
        except Exception:  # a malformed number is simply not found
            return None
    value = value.removeprefix("ZL")
    try:
        return str(numbers.parse_application_number(value, allow_without_check=True))
    except Exception:  # a malformed number is simply not found
        return None


def unknown_case(number: str) -> Case:
    """A stand-in for the case a number would name: transient (never added to a session),
    no id, no domain, nothing but the number."""
    return Case(
        id=None,
        domain_id=None,
        org_id=None,
        application_number=number,
        kind="",
        title="",
        internal_number=None,
        applicants=[],
        inventors=[],
        bibliographic={},
        status=UNKNOWN_STATUS,
        filing_date=None,
        filed_at=None,
        patent_number=None,
        international_number=None,
    )


def target_number(sub: Submission) -> str:
    from patentdesk.packages.registry import MAIN_FORM

    form = sub.forms.get(MAIN_FORM) or {}
    text = str(form.get("application_number") or "")
    return canonical_number(text) or text


def case_of(db: Db, sub: Submission) -> Case:
    """The submission's case, or the stand-in for a number nobody holds."""
    if sub.case_id is None:
        return unknown_case(target_number(sub))
    case = db.get(Case, sub.case_id)
    assert case is not None
    return case


def is_unknown(case: Case) -> bool:
    return case.id is None and case.status == UNKNOWN_STATUS
