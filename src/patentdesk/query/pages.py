"""Portal pages for advanced query (高级查询) and statistics (统计), and the My Desk panel.

The query page's address carries the same query string as ``GET /api/v1/cases``, so a page
can be bookmarked, saved, exported or repeated with the CLI unchanged.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patentdesk.authz import Actor
from patentdesk.deps import DbSession, OptionalActor
from patentdesk.errors import PatentDeskError
from patentdesk.notices.types import all_notice_types
from patentdesk.query import charts, desk, labels, routes, service, stats
from patentdesk.query.language import KINDS, LABELS, PAGE_ONLY, SORTS, CaseQuery
from patentdesk.web import routes as web
from patentdesk.web.render import (
    error_text,
    form_values,
    lang_of,
    page,
    page_router,
)

router = page_router()

PANEL_TEMPLATE = "query_desk_panel.html"
_NAV = ({"href": "/query", "key": "nav.query"}, {"href": "/stats", "key": "nav.stats"})


def register() -> None:
    """Adds the navigation entries and the My Desk panel once (create_app may run often)."""
    for item in _NAV:
        if item not in web.NAV_ITEMS:
            web.NAV_ITEMS.append(dict(item))
    if all(template != PANEL_TEMPLATE for template, _ in web.DESK_PANELS):
        web.DESK_PANELS.append((PANEL_TEMPLATE, desk.desk_panel))
    from patentdesk.query import providers

    providers.register()


register()


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _texts(request: Request) -> dict[str, Any]:
    lang = lang_of(request)
    return {
        "qt": lambda key, **fmt: labels.text(lang, key, **fmt),
        "kind_label": lambda k: labels.kind_label(k, lang),
        "status_label": lambda s: labels.status_label(s, lang),
        "business_label": lambda b: labels.business_label(b, lang),
        "field_label": lambda name: LABELS[name][1 if lang == "en" else 0],
        "nav_items": web.NAV_ITEMS,
    }


def _page_params(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in PAGE_ONLY]


def _query_page(
    request: Request,
    actor: Actor,
    db: DbSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    flash: str | None = None,
    params: list[tuple[str, str]] | None = None,
) -> Response:
    lang = lang_of(request)
    params = _page_params(request) if params is None else params
    form = dict(params)
    query: CaseQuery | None = None
    result = None
    try:
        query = CaseQuery.parse(params)
        result = service.search(db, actor, query)
    except PatentDeskError as exc:
        db.rollback()
        error, status_code = error_text(lang, exc), exc.status
    return page(
        request,
        "query.html",
        actor,
        status_code=status_code,
        error=error,
        flash=flash,
        form=form,
        query=query,
        result=result,
        saved=service.list_saved(db, actor),
        sub_accounts=service.sub_accounts_of_domain(db, actor),
        notice_types=[
            (t.code, t.name_en if lang == "en" else t.name_zh) for t in all_notice_types()
        ],
        kinds=KINDS,
        statuses=list(labels.STATUS_LABELS),
        business_types=list(labels.BUSINESS_LABELS),
        sorts=SORTS,
        export_cap=routes.EXPORT_MAX_ROWS,
        **_texts(request),
    )


@router.get("/query", response_class=HTMLResponse)
def query_page(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return _redirect("/login")
    return _query_page(request, actor, db)


@router.get("/query/export.csv")
def query_export(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return _redirect("/login")
    return routes.export_cases(db, actor, CaseQuery.parse(_page_params(request)))


def _form(request: Request) -> dict[str, str]:
    return form_values(request)


@router.post("/query/saved", response_class=HTMLResponse)
def save_from_page(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return _redirect("/login")
    form = _form(request)
    query_string = form.get("query", "")
    try:
        saved = service.save_query(
            db, actor, form.get("name", ""), CaseQuery.from_query_string(query_string)
        )
    except PatentDeskError as exc:
        db.rollback()
        # The page of the query that was being saved, with the error on it.
        return _query_page(
            request,
            actor,
            db,
            status_code=exc.status,
            error=error_text(lang_of(request), exc),
            params=[(k, v) for k, v in parse_qsl(query_string) if k not in PAGE_ONLY],
        )
    db.commit()
    return _redirect(f"/query?{saved.query}")


@router.post("/query/saved/{query_id}/delete")
def delete_from_page(
    query_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession
) -> Response:
    if actor is None:
        return _redirect("/login")
    _form(request)
    service.delete_saved(db, actor, str(query_id))
    db.commit()
    return _redirect("/query")


# -- statistics ----------------------------------------------------------------------------


def _charts(s: stats.Stats, lang: str) -> dict[str, Any]:
    def items(counts: list[stats.Count]) -> list[tuple[str, int]]:
        return [(c.label_in(lang), c.count) for c in counts]

    months = s.by_month[-24:]
    return {
        "by_status": charts.bar_chart(
            items(s.by_status), title=labels.text(lang, "stats.by_status"), chart_id="chart-status"
        ),
        "by_kind": charts.bar_chart(
            items(s.by_kind), title=labels.text(lang, "stats.by_kind"), chart_id="chart-kind"
        ),
        "by_month": charts.column_chart(
            [(c.key, c.count) for c in months],
            title=labels.text(lang, "stats.by_month"),
            chart_id="chart-month",
        ),
        "submissions_by_sub_account": charts.bar_chart(
            items(s.submissions_by_sub_account[:15]),
            title=labels.text(lang, "stats.submissions_by_sub_account"),
            chart_id="chart-sub-accounts",
        ),
        "notices_by_type": charts.bar_chart(
            items(s.notices_by_type[:15]),
            title=labels.text(lang, "stats.notices_by_type"),
            chart_id="chart-notices",
        ),
    }


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return _redirect("/login")
    lang = lang_of(request)
    try:
        s = stats.compute(db, actor)
    except PatentDeskError as exc:
        return page(
            request,
            "stats.html",
            actor,
            status_code=exc.status,
            error=error_text(lang, exc),
            stats=None,
            **_texts(request),
        )
    return page(
        request,
        "stats.html",
        actor,
        stats=s,
        sections=stats.SECTIONS,
        charts=_charts(s, lang),
        **_texts(request),
    )


@router.get("/stats/export.csv")
def stats_export(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return _redirect("/login")
    return routes.csv_response(
        stats.to_csv(stats.compute(db, actor), lang_of(request)), "statistics.csv"
    )
