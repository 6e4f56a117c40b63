"""Cases and notices written straight into the database, for query tests and the bench.

The domains, people and sub-accounts come from the API (tests.support.factories.World);
only the filed cases are inserted with the ORM, as the submission service would leave them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from patentdesk.db import Database
from patentdesk.filing.models import Case, Submission
from patentdesk.notices.models import Notice
from patentdesk.packages.numbers import format_application_number
from patentdesk.timeutil import BEIJING

_serials = itertools.count(1)
_notice_serials = itertools.count(1)
_TYPE_DIGITS = {"invention": 1, "utility": 2, "design": 3, "pct-national": 8}


def next_application_number(year: int, kind: str = "invention") -> str:
    return format_application_number(year, _TYPE_DIGITS.get(kind, 1), next(_serials))


def _filed_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), BEIJING).astimezone(dt.UTC)


def uid(value: str | uuid.UUID) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def add_case(
    db: Database,
    domain_id: str | uuid.UUID,
    submitted_by: str | uuid.UUID,
    *,
    title: str = "一种折叠式电动自行车",
    internal_number: str | None = None,
    kind: str = "invention",
    status: str = "submitted",
    filing_date: dt.date = dt.date(2026, 3, 2),
    applicants: list[Any] | None = None,
    inventors: list[Any] | None = None,
    sub_account: str | uuid.UUID | None = None,
    org_id: str | uuid.UUID | None = None,
    application_number: str | None = None,
    business_type: str | None = None,
    fee_sheet: dict[str, Any] | None = None,
) -> Case:
    """One filed case (and, with ``business_type`` or ``fee_sheet``, a submission of that
    business on it, owing that sheet's fees)."""
    if fee_sheet is not None:
        business_type = business_type or kind
    with db.unit_of_work() as s:
        case = Case(
            domain_id=uid(domain_id),
            org_id=uid(org_id) if org_id else None,
            application_number=application_number
            or next_application_number(filing_date.year, kind),
            kind=kind,
            title=title,
            internal_number=internal_number,
            applicants=applicants if applicants is not None else [{"name": "杭州某某科技有限公司"}],
            inventors=inventors if inventors is not None else [{"name": "张三"}],
            status=status,
            filing_date=filing_date,
            filed_at=_filed_at(filing_date),
            submitted_by_user_id=uid(submitted_by),
            submitted_by_sub_account_id=uid(sub_account) if sub_account else None,
            environment="test",
        )
        s.add(case)
        s.flush()
        if business_type:
            s.add(
                Submission(
                    case_id=case.id,
                    domain_id=case.domain_id,
                    business_type=business_type,
                    idempotency_key=uuid.uuid4().hex,
                    package_sha256="0" * 64,
                    package_size=1,
                    signer_user_id=case.submitted_by_user_id,
                    signer_name="签名人",
                    signer_certificate_serial="1",
                    signer_role="sub" if sub_account else "natural",
                    submitted_by_user_id=case.submitted_by_user_id,
                    submitted_by_sub_account_id=case.submitted_by_sub_account_id,
                    received_at=case.filed_at,
                    fee_sheet=fee_sheet,
                )
            )
        s.expunge(case)
    return case


def add_notice(
    db: Database,
    case: Case,
    code: str = "210401",
    *,
    dispatch_date: dt.date = dt.date(2026, 4, 1),
    deadline: dt.date | None = None,
    confirmed: bool = False,
    name: str = "第一次审查意见通知书",
) -> Notice:
    with db.unit_of_work() as s:
        notice = Notice(
            serial=f"2026{next(_notice_serials):08d}",
            code=code,
            name=name,
            case_id=case.id,
            application_number=case.application_number,
            title=case.title,
            domain_id=case.domain_id,
            dispatched_at=_filed_at(dispatch_date),
            dispatch_date=dispatch_date,
            delivered_on=dispatch_date,
            deadline=deadline,
            pdf_sha256="0" * 64,
            confirmed_at=_filed_at(dispatch_date) if confirmed else None,
        )
        s.add(notice)
        s.flush()
        s.expunge(notice)
    return notice


@dataclass
class Desk:
    """An agency with a main domain and a branch, a sub-account in each, and tokens."""

    org: dict[str, Any]
    handler: Any
    main_domain: str
    branch_domain: str
    sub: dict[str, Any]  # sub-account in the main domain (account_id, domain)
    sub_person: Any
    branch_sub: dict[str, Any]
    branch_person: Any
    tokens: dict[str, str] = field(default_factory=dict)


def agency_desk(world: Any, name: str = "代理") -> Desk:
    """Builds the organisation through the API, the way users do."""
    handler = world.person(f"{name}经办人")
    org = world.agency(handler)
    branch_id = world.branch(org, f"{name}分所")
    sub_person = world.person(f"{name}子账户")
    sub = world.sub_account(org, sub_person)
    branch_person = world.person(f"{name}分所子账户")
    branch_sub = world.sub_account(org, branch_person, branch=branch_id)
    desk = Desk(
        org=org,
        handler=handler,
        main_domain=sub["domain"],
        branch_domain=branch_sub["domain"],
        sub=sub,
        sub_person=sub_person,
        branch_sub=branch_sub,
        branch_person=branch_person,
    )
    desk.tokens = {
        "handler": org["handler_token"],
        "sub": world.sub_token(sub_person, sub["account_id"]),
        "branch_sub": world.sub_token(branch_person, branch_sub["account_id"]),
    }
    return desk
