"""HTTP shapes of the query, statistics and My Desk APIs."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from patentdesk import apischema
from patentdesk.query.service import CaseRow


class SubAccountRef(BaseModel):
    id: uuid.UUID
    name: str | None


class CaseOut(BaseModel):
    """One case in a query result. The first four fields are the CLI contract (SPEC §10)."""

    application_number: str
    title: str
    status: str
    internal_number: str | None
    id: uuid.UUID
    kind: str
    filing_date: dt.date
    applicants: list[str]
    inventors: list[str]
    international_number: str | None
    sub_account: SubAccountRef | None
    domain: uuid.UUID
    domain_name: str | None

    @classmethod
    def of(cls, row: CaseRow) -> CaseOut:
        return cls(
            application_number=row.application_number,
            title=row.title,
            status=row.status,
            internal_number=row.internal_number,
            id=row.id,
            kind=row.kind,
            filing_date=row.filing_date,
            applicants=row.applicants,
            inventors=row.inventors,
            international_number=row.international_number,
            sub_account=SubAccountRef(id=row.sub_account_id, name=row.sub_account_name)
            if row.sub_account_id
            else None,
            domain=row.domain_id,
            domain_name=row.domain_name,
        )


class CasePageOut(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )
    query: str = Field(description="the query in canonical form (without the cursor)")
    sort: str
    limit: int


class SavedQueryIn(BaseModel):
    name: str = Field(max_length=100, json_schema_extra=apischema.text(100))
    query: str = Field(
        max_length=4000, description="a query string as for GET /api/v1/cases, e.g. title=电池"
    )


class SavedQueryOut(BaseModel):
    id: uuid.UUID
    name: str
    query: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CountOut(BaseModel):
    key: str
    label: str
    label_en: str
    count: int
    amount: str | None = Field(
        default=None,
        description="yuan (CNY) with two decimals, e.g. 12345.60, for money figures (fees "
        "paid: the amount of the `count` confirmed payments); null for plain counts",
    )


class StatsOut(BaseModel):
    """Statistics (统计) over the cases, submissions and notices the actor may see."""

    as_of: dt.date
    total_cases: int
    by_status: list[CountOut]
    by_kind: list[CountOut]
    by_month: list[CountOut]
    submissions_by_sub_account: list[CountOut]
    notices_by_type: list[CountOut]
    deadlines_due: list[CountOut] = Field(description="notices due within 7 and 30 days")
    fees_paid: list[CountOut] | None = Field(
        description="confirmed payments of the domain (count) and yuan paid (amount): key "
        "`total`, then `method:<method>`, then `month:YYYY-MM` (Beijing time, oldest first); "
        "null for office users, who do not see a domain's fees"
    )


class NoticeBrief(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    serial: str
    application_number: str
    title: str | None
    dispatch_date: dt.date
    deadline: dt.date | None
    days_left: int | None


class DraftOut(BaseModel):
    title: str
    business_type: str
    updated: dt.datetime | None
    href: str


class AttentionOut(BaseModel):
    """What needs attention today (My Desk): the panel and ``GET /api/v1/desk``."""

    as_of: dt.date
    unconfirmed_notices: int
    unconfirmed: list[NoticeBrief]
    deadlines_soon: int
    deadlines: list[NoticeBrief]
    drafts: list[DraftOut] | None = Field(
        description="drafts not submitted; null while no drafts provider is installed"
    )
    drafts_note: str = Field(description="where drafts live, when the list is not available")
    drafts_note_en: str
    payments_due: list[dict[str, object]] | None = Field(
        description="null while no payments provider is installed (fees are not built yet)"
    )
