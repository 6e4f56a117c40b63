"""Query, statistics and My Desk API (thin): parse, call the service, shape the answer."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from patentdesk.authz import Actor
from patentdesk.deps import CurrentActor, DbSession
from patentdesk.query import desk, labels, service, stats
from patentdesk.query.language import (
    CSV_COLUMNS,
    KINDS,
    MAX_DEADLINE_DAYS,
    MAX_LIMIT,
    MAX_TEXT,
    SORTS,
    CaseQuery,
)
from patentdesk.query.schemas import (
    AttentionOut,
    CaseOut,
    CasePageOut,
    CountOut,
    DraftOut,
    NoticeBrief,
    SavedQueryIn,
    SavedQueryOut,
    StatsOut,
)

router = APIRouter(prefix="/api/v1", tags=["query"])

EXPORT_MAX_ROWS = 50_000

# Documented here for the OpenAPI spec, as patentdesk.query.language reads them;
# patentdesk.query.language reads and checks them (also repeated parameters), with errors
# naming the field in Chinese and English (QUERY_INVALID), so FastAPI checks nothing more.
_NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"
_TOKENS = r"^[a-z][a-z0-9_-]{0,31}(,[a-z][a-z0-9_-]{0,31})*$"
_KIND = "(" + "|".join(KINDS) + ")"
_DATE = {"format": "date"}


def _doc(**schema: object) -> dict[str, object]:
    return dict(schema)


Text = Annotated[
    str | None,
    Query(max_length=200, json_schema_extra=_doc(maxLength=MAX_TEXT, pattern=_NO_CONTROL)),
]
Date = Annotated[str | None, Query(max_length=200, json_schema_extra=_DATE)]
Tokens = Annotated[str | None, Query(max_length=200, json_schema_extra=_doc(pattern=_TOKENS))]


def read_query(request: Request) -> CaseQuery:
    return CaseQuery.parse(request.query_params.multi_items())


@router.get("/cases", response_model=CasePageOut)
def query_cases(
    request: Request,
    actor: CurrentActor,
    db: DbSession,
    application_number: Annotated[
        str | None,
        Query(
            max_length=200,
            description="a full number (check character optional) or a run of its digits",
            json_schema_extra=_doc(
                pattern=r"^(ZL|CN)?[0-9][0-9.X]{0,20}$|^PCT/CN[0-9]{4}/[0-9]{6}$"
            ),
        ),
    ] = None,
    title: Text = None,
    applicant: Text = None,
    inventor: Text = None,
    internal_number: Annotated[
        str | None,
        Query(
            max_length=200,
            description="机构内部编号; * is a wildcard",
            json_schema_extra=_doc(maxLength=MAX_TEXT, pattern=_NO_CONTROL),
        ),
    ] = None,
    kind: Annotated[
        str | None,
        Query(
            description="invention,utility,design,pct,pct-national",
            json_schema_extra=_doc(pattern=f"^{_KIND}(,{_KIND})*$"),
        ),
    ] = None,
    business_type: Tokens = None,
    status: Tokens = None,
    filed_from: Date = None,
    filed_to: Date = None,
    dispatched_from: Date = None,
    dispatched_to: Date = None,
    sub_account: Annotated[str | None, Query(json_schema_extra=_doc(format="uuid"))] = None,
    notice_code: Annotated[
        str | None, Query(json_schema_extra=_doc(pattern=r"^[0-9]{6}(,[0-9]{6})*$"))
    ] = None,
    deadline_from: Date = None,
    deadline_to: Date = None,
    deadline_within: Annotated[
        str | None,
        Query(
            description=f"days from today, 0 to {MAX_DEADLINE_DAYS}",
            json_schema_extra=_doc(
                pattern=r"^[0-9]{1,3}$|^[0-2][0-9]{3}$|^3[0-5][0-9]{2}$|^36[0-5][0-9]$|^3660$"
            ),
        ),
    ] = None,
    notice_unconfirmed: Annotated[
        str | None,
        Query(
            description="1: with a notice not yet confirmed (接收确认)",
            json_schema_extra=_doc(enum=["1", "0", "true", "false", "yes", "no", "on"]),
        ),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            description="-filing_date (default), filing_date, application_number, "
            "-application_number",
            json_schema_extra=_doc(enum=list(SORTS)),
        ),
    ] = None,
    limit: Annotated[
        str | None,
        Query(
            description=f"1–{MAX_LIMIT}, default 50",
            json_schema_extra=_doc(pattern=r"^[1-9][0-9]?$|^[1-4][0-9]{2}$|^500$"),
        ),
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> CasePageOut:
    """Advanced query (高级查询) over the cases of the caller's permission domain (office
    users: every domain). Keyset paging: follow ``next_cursor``."""
    query = read_query(request)
    page = service.search(db, actor, query)
    return CasePageOut(
        items=[CaseOut.of(r) for r in page.rows],
        next_cursor=page.next_cursor,
        query=query.query_string(paging=False),
        sort=query.sort,
        limit=query.limit,
    )


def cases_csv(rows: list[service.CaseRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                stats.excel_safe(v)
                for v in (
                    r.application_number,
                    r.title,
                    r.status,
                    r.internal_number or "",
                    r.kind,
                    r.filing_date.isoformat(),
                    "；".join(r.applicants),
                    "；".join(r.inventors),
                    r.sub_account_name or "",
                    r.domain_name or "",
                )
            ]
        )
    return buffer.getvalue()


def csv_response(text: str, filename: str, truncated: bool = False) -> Response:
    # The byte-order mark makes spreadsheet programs read the UTF-8 (Chinese) correctly.
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if truncated:
        headers["X-PatentDesk-Truncated"] = str(EXPORT_MAX_ROWS)
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers=headers)


def export_cases(db: DbSession, actor: Actor, query: CaseQuery) -> Response:
    rows = list(service.iter_rows(db, actor, query, max_rows=EXPORT_MAX_ROWS + 1))
    truncated = len(rows) > EXPORT_MAX_ROWS
    return csv_response(cases_csv(rows[:EXPORT_MAX_ROWS]), "cases.csv", truncated)


@router.get("/cases.csv", response_class=Response)
def query_cases_csv(request: Request, actor: CurrentActor, db: DbSession) -> Response:
    """Every case matching the query (parameters as for ``GET /api/v1/cases``) as CSV, up to
    50,000 rows (header ``X-PatentDesk-Truncated`` when there were more)."""
    return export_cases(db, actor, read_query(request))


# -- saved queries -------------------------------------------------------------------------


def _saved_out(s: service.SavedQuery) -> SavedQueryOut:
    return SavedQueryOut(
        id=s.id, name=s.name, query=s.query, created_at=s.created_at, updated_at=s.updated_at
    )


@router.get("/queries", response_model=list[SavedQueryOut])
def saved_queries(actor: CurrentActor, db: DbSession) -> list[SavedQueryOut]:
    """The caller's saved queries (保存的查询)."""
    return [_saved_out(s) for s in service.list_saved(db, actor)]


@router.post("/queries", response_model=SavedQueryOut, status_code=status.HTTP_201_CREATED)
def save_query(body: SavedQueryIn, actor: CurrentActor, db: DbSession) -> SavedQueryOut:
    """Saves a query under a name; saving under an existing name replaces it."""
    query = CaseQuery.from_query_string(body.query)
    return _saved_out(service.save_query(db, actor, body.name, query))


@router.delete("/queries/{query_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_query(query_id: uuid.UUID, actor: CurrentActor, db: DbSession) -> Response:
    service.delete_saved(db, actor, str(query_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- statistics and My Desk ----------------------------------------------------------------


def _counts(counts: list[stats.Count] | None) -> list[CountOut] | None:
    if counts is None:
        return None
    return [
        CountOut(
            key=c.key,
            label=c.label,
            label_en=c.label_en,
            count=c.count,
            amount=None if c.amount is None else c.amount_text(grouped=False),
        )
        for c in counts
    ]


@router.get("/stats", response_model=StatsOut)
def statistics(actor: CurrentActor, db: DbSession) -> StatsOut:
    """Statistics (统计) of the caller's permission domain (office users: the whole office)."""
    s = stats.compute(db, actor)
    return StatsOut.model_validate(
        {
            "as_of": s.as_of,
            "total_cases": s.total_cases,
            **{k: _counts(getattr(s, k)) for k in stats.SECTIONS},
        }
    )


@router.get("/stats.csv", response_class=Response)
def statistics_csv(
    actor: CurrentActor, db: DbSession, lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh"
) -> Response:
    return csv_response(stats.to_csv(stats.compute(db, actor), lang), "statistics.csv")


def _brief(n: desk.NoticeItem) -> NoticeBrief:
    return NoticeBrief(**n.__dict__)


@router.get("/desk", response_model=AttentionOut)
def attention(actor: CurrentActor, db: DbSession) -> AttentionOut:
    """What needs attention today (My Desk): unconfirmed notices, deadlines within 30 days,
    where drafts live, payments due (null while fees are not connected)."""
    a = desk.attention(db, actor, limit=20)
    return AttentionOut(
        as_of=a.as_of,
        unconfirmed_notices=a.unconfirmed_count,
        unconfirmed=[_brief(n) for n in a.unconfirmed],
        deadlines_soon=a.deadlines_count,
        deadlines=[_brief(n) for n in a.deadlines],
        drafts=None if a.drafts is None else [DraftOut(**d.__dict__) for d in a.drafts],
        drafts_note=labels.text("zh", "desk.drafts.where"),
        drafts_note_en=labels.text("en", "desk.drafts.where"),
        payments_due=None
        if a.payments_due is None
        else [
            {
                "application_number": p.application_number,
                "fee_name": p.fee_name,
                "amount": str(p.amount),
                "due": p.due.isoformat() if p.due else None,
            }
            for p in a.payments_due
        ],
    )
