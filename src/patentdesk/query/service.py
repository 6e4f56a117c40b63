"""Advanced query (高级查询) over the cases an actor may see, and saved queries.

Every statement starts from :func:`patentdesk.authz.restrict`: an actor sees its own
domain's cases, office users see every domain. Paging is by keyset (the sort key and id of
the last row shown, in an opaque cursor), so a deep page costs what the first one does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from patentdesk.authz import Actor, Permission, authorize, restrict
from patentdesk.errors import Conflict, NotFound, ValidationFailed
from patentdesk.filing.models import Case, Submission
from patentdesk.notices.models import Notice
from patentdesk.orgs.models import Domain, SubAccount
from patentdesk.query.language import CaseQuery, Cursor
from patentdesk.query.models import SavedQuery
from patentdesk.query.textsearch import text_search
from patentdesk.timeutil import beijing_date


@dataclass(frozen=True)
class CaseRow:
    """One result row: what the portal, the API and ``patentdesk query`` show."""

    id: uuid.UUID
    application_number: str
    title: str
    status: str
    internal_number: str | None
    kind: str
    filing_date: dt.date
    applicants: list[str]
    inventors: list[str]
    international_number: str | None
    sub_account_id: uuid.UUID | None
    sub_account_name: str | None
    domain_id: uuid.UUID
    domain_name: str | None


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None
    query: CaseQuery


def _names(values: Any) -> list[str]:
    """Names from a JSON list of ``{"name": …}`` objects or plain strings."""
    out: list[str] = []
    for item in values if isinstance(values, list) else []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name:
            out.append(name)
    return out


# -- conditions ---------------------------------------------------------------------------


def _notice_condition(actor: Actor, query: CaseQuery, today: dt.date) -> ColumnElement[bool]:
    """Cases with one notice that meets every notice condition of the query."""
    sub = sa.select(Notice.case_id).where(Notice.case_id.is_not(None))
    sub = restrict(sub, Notice.domain_id, actor, Permission.NOTICE_VIEW)
    if query.notice_code:
        sub = sub.where(Notice.code.in_(query.notice_code))
    if query.notice_unconfirmed:
        sub = sub.where(Notice.confirmed_at.is_(None))
    if query.dispatched_from:
        sub = sub.where(Notice.dispatch_date >= query.dispatched_from)
    if query.dispatched_to:
        sub = sub.where(Notice.dispatch_date <= query.dispatched_to)
    low, high = query.deadline_range(today)
    if low:
        sub = sub.where(Notice.deadline >= low)
    if high:
        sub = sub.where(Notice.deadline <= high)
    return Case.id.in_(sub)


def conditions(actor: Actor, query: CaseQuery, today: dt.date) -> list[ColumnElement[bool]]:
    """The conditions other than the text fields (see textsearch)."""
    out: list[ColumnElement[bool]] = []
    if query.kind:
        out.append(Case.kind.in_(query.kind))
    if query.status:
        out.append(Case.status.in_(query.status))
    if query.filed_from:
        out.append(Case.filing_date >= query.filed_from)
    if query.filed_to:
        out.append(Case.filing_date <= query.filed_to)
    if query.sub_account:
        out.append(Case.submitted_by_sub_account_id == query.sub_account)
    if query.business_type:
        sub = sa.select(Submission.case_id).where(Submission.business_type.in_(query.business_type))
        sub = restrict(sub, Submission.domain_id, actor, Permission.CASE_VIEW)
        out.append(Case.id.in_(sub))
    if query.has_notice_condition:
        out.append(_notice_condition(actor, query, today))
    return out


# Sort name: (key column, descending). "id" breaks ties; application numbers are unique.
_ORDER: dict[str, tuple[str, bool]] = {
    "-filing_date": ("filing_date", True),
    "filing_date": ("filing_date", False),
    "application_number": ("application_number", False),
    "-application_number": ("application_number", True),
}
_CASE_KEYS: dict[str, Any] = {
    "filing_date": Case.filing_date,
    "application_number": Case.application_number,
    "id": Case.id,
}


def _order_and_seek(
    stmt: sa.Select[Any], query: CaseQuery, keys: dict[str, Any] | None = None
) -> sa.Select[Any]:
    """ORDER BY the sort key and id, and start after the cursor. ``keys`` may name the same
    values in a joined table (PostgreSQL's cases_fts), whose index the planner can walk."""
    keys = keys or _CASE_KEYS
    name, desc = _ORDER[query.sort]
    column, ident = keys[name], keys["id"]
    unique = name == "application_number"  # no tie-breaker needed
    if desc:
        stmt = stmt.order_by(column.desc(), *([] if unique else [ident.desc()]))
    else:
        stmt = stmt.order_by(column.asc(), *([] if unique else [ident.asc()]))
    cursor = query.decoded_cursor
    if cursor is None:
        return stmt
    key: Any = cursor.key
    if name == "filing_date":
        try:
            key = dt.date.fromisoformat(cursor.key)
        except ValueError as exc:
            raise ValidationFailed(
                "翻页标记无效，请从第一页重新查询",
                "The page cursor is not valid; start again from the first page",
                details={"field": "cursor"},
            ) from exc
    if unique:
        return stmt.where(column < key if desc else column > key)
    pair = sa.tuple_(column, ident)
    bound = sa.tuple_(sa.literal(key, type_=column.type), sa.literal(cursor.id, type_=sa.Uuid))
    return stmt.where(pair < bound if desc else pair > bound)


def _cursor_after(row: Case, query: CaseQuery) -> str:
    name, _desc = _ORDER[query.sort]
    key = row.filing_date.isoformat() if name == "filing_date" else row.application_number
    return Cursor(query.sort, key, row.id).encode()


def statement(db: Session, actor: Actor, query: CaseQuery, today: dt.date) -> sa.Select[Any]:
    """The SELECT of one page (one row more than the page, to know whether more follow)."""
    stmt = restrict(sa.select(Case), Case.domain_id, actor, Permission.QUERY)
    text = text_search(db, actor, query)
    keys = _CASE_KEYS
    if text.join is not None:
        found = text.join
        stmt = stmt.join(found, found.c.case_id == Case.id)
        stmt = restrict(stmt, found.c.domain_id, actor, Permission.QUERY)
        keys = {
            "filing_date": found.c.filing_date,
            "id": found.c.case_id,
            "application_number": found.c.application_number,
        }
    stmt = stmt.where(*text.conditions, *conditions(actor, query, today))
    return _order_and_seek(stmt, query, keys).limit(query.limit + 1)


# -- search -------------------------------------------------------------------------------


@contextmanager
def _planned_for_its_values(db: Session) -> Iterator[None]:
    """PostgreSQL: plan each search for its own values.

    psycopg prepares a statement it has run a few times, and the server then plans it once
    for every value: a generic plan cannot tell a common word from a rare one, or a prefix
    from a substring, and picks one path for all (measured: 260 ms instead of 7 ms for some
    names). Searches are therefore sent unprepared; the connection's setting is restored.
    """
    if db.get_bind().dialect.name != "postgresql":
        yield
        return
    raw: Any = db.connection().connection.driver_connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = before


def search(
    db: Session, actor: Actor, query: CaseQuery, *, today: dt.date | None = None
) -> CasePage:
    """One page of the cases ``actor`` may see that match ``query``."""
    authorize(actor, Permission.QUERY)
    with _planned_for_its_values(db):
        stmt = statement(db, actor, query, today or beijing_date())
        cases = list(db.execute(stmt).scalars())
    more = len(cases) > query.limit
    cases = cases[: query.limit]
    next_cursor = _cursor_after(cases[-1], query) if more and cases else None
    return CasePage(_rows(db, cases), next_cursor, query)


def iter_rows(
    db: Session, actor: Actor, query: CaseQuery, *, batch: int = 500, max_rows: int | None = None
) -> Iterator[CaseRow]:
    """Every matching row, page by page (CSV export); ``max_rows`` caps the total."""
    page_query = replace(query, limit=batch, cursor=None)
    produced = 0
    while True:
        page = search(db, actor, page_query)
        for row in page.rows:
            if max_rows is not None and produced >= max_rows:
                return
            produced += 1
            yield row
        if page.next_cursor is None:
            return
        page_query = page_query.next_page(page.next_cursor)


def _rows(db: Session, cases: list[Case]) -> list[CaseRow]:
    sub_ids = {c.submitted_by_sub_account_id for c in cases} - {None}
    subs = (
        dict(
            db.execute(
                sa.select(SubAccount.id, SubAccount.display_name).where(SubAccount.id.in_(sub_ids))
            ).all()
        )
        if sub_ids
        else {}
    )
    domain_ids = {c.domain_id for c in cases}
    domains = (
        dict(db.execute(sa.select(Domain.id, Domain.name).where(Domain.id.in_(domain_ids))).all())
        if domain_ids
        else {}
    )
    return [
        CaseRow(
            id=c.id,
            application_number=c.application_number,
            title=c.title,
            status=c.status,
            internal_number=c.internal_number,
            kind=c.kind,
            filing_date=c.filing_date,
            applicants=_names(c.applicants),
            inventors=_names(c.inventors),
            international_number=c.international_number,
            sub_account_id=c.submitted_by_sub_account_id,
            sub_account_name=subs.get(c.submitted_by_sub_account_id)
            if c.submitted_by_sub_account_id
            else None,
            domain_id=c.domain_id,
            domain_name=domains.get(c.domain_id),
        )
        for c in cases
    ]


def sub_accounts_of_domain(db: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """The sub-accounts working in the actor's domain (the portal's submitter choice).

    Office users work across every domain: a list of every sub-account would be no choice.
    """
    authorize(actor, Permission.QUERY)
    if actor.is_office:
        return []
    pairs = cast(sa.Select[Any], sa.select(SubAccount.id, SubAccount.display_name))
    stmt = restrict(pairs, SubAccount.domain_id, actor, Permission.QUERY).order_by(
        SubAccount.display_name
    )
    return [(i, n) for i, n in db.execute(stmt)]


# -- saved queries (保存的查询) -------------------------------------------------------------


class SavedQueryNameInvalid(ValidationFailed):
    code = "SAVED_QUERY_NAME_INVALID"
    message_zh = "查询名称不正确：应为 1 至 100 个字符"
    message_en = "The query name is not valid: 1 to 100 characters"


class SavedQueryNotFound(NotFound):
    code = "SAVED_QUERY_NOT_FOUND"
    message_zh = "保存的查询不存在"
    message_en = "Saved query not found"


class SavedQueryLimit(Conflict):
    code = "SAVED_QUERY_LIMIT"
    message_zh = "保存的查询已达上限（{limit} 个），请先删除不用的查询"
    message_en = "You have saved the maximum of {limit} queries; delete some first"


MAX_SAVED_PER_USER = 200


def list_saved(db: Session, actor: Actor) -> list[SavedQuery]:
    authorize(actor, Permission.QUERY)
    stmt = (
        sa.select(SavedQuery).where(SavedQuery.user_id == actor.user_id).order_by(SavedQuery.name)
    )
    return list(db.execute(stmt).scalars())


def save_query(db: Session, actor: Actor, name: str, query: CaseQuery) -> SavedQuery:
    """Saves (or, under an existing name, replaces) a query for the actor's user."""
    authorize(actor, Permission.QUERY)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise SavedQueryNameInvalid(details={"field": "name"})
    text = query.query_string(paging=False)
    existing = db.execute(
        sa.select(SavedQuery).where(SavedQuery.user_id == actor.user_id, SavedQuery.name == name)
    ).scalar_one_or_none()
    if existing is not None:
        existing.query = text
        db.flush()
        return existing
    count = db.execute(
        sa.select(sa.func.count()).where(SavedQuery.user_id == actor.user_id)
    ).scalar_one()
    if count >= MAX_SAVED_PER_USER:
        raise SavedQueryLimit(limit=MAX_SAVED_PER_USER)
    saved = SavedQuery(user_id=actor.user_id, name=name, query=text)
    db.add(saved)
    db.flush()
    return saved


def get_saved(db: Session, actor: Actor, ref: str) -> SavedQuery:
    """A saved query of the actor's user by id or by name; anyone else's is not found."""
    authorize(actor, Permission.QUERY)
    stmt = sa.select(SavedQuery).where(SavedQuery.user_id == actor.user_id)
    try:
        stmt = stmt.where(SavedQuery.id == uuid.UUID(ref))
    except ValueError:
        stmt = stmt.where(SavedQuery.name == " ".join(ref.split()))
    saved = db.execute(stmt).scalar_one_or_none()
    if saved is None:
        raise SavedQueryNotFound(details={"query": ref})
    return saved


def delete_saved(db: Session, actor: Actor, ref: str) -> None:
    db.delete(get_saved(db, actor, ref))
    db.flush()
