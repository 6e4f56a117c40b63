"""Who reaches a draft from a page: login, the right to edit cases, the domain's store.

Shared by the business collection pages and the signing and submission pages."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from patentdesk.authz import Actor, Permission, authorize
from patentdesk.drafts.shared import drafts_for
from patentdesk.drafts.store import Draft, DraftStore, Owner
from patentdesk.errors import PatentDeskError
from patentdesk.web.render import error_text, lang_of, page
from patentdesk.web.routes import NAV_ITEMS


def owner_of(actor: Actor) -> Owner:
    return Owner(actor.user_id, actor.domain_id)


def store_of(request: Request) -> DraftStore:
    """The drafts this server sees: with an object store, the cluster's, changed in the
    request's own transaction."""
    return drafts_for(
        request.app.state.settings,
        session=getattr(request.state, "db_session", None),
        database=request.app.state.db,
    )


def draft_of(request: Request, actor: Actor, draft_id: str) -> Draft:
    return store_of(request).get(owner_of(actor), draft_id)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(
    request: Request, actor: Actor | None, exc: PatentDeskError, back: str | None = None
) -> Response:
    """The error in words, with the way back (to the draft when there is one)."""
    return page(
        request,
        "drafts_error.html",
        actor,
        status_code=exc.status,
        error=error_text(lang_of(request), exc),
        back=back,
        nav_items=NAV_ITEMS,
    )


def gate(request: Request, actor: Actor | None) -> Response | None:
    """Login first; then only roles that edit cases (not the office) get drafts."""
    if actor is None:
        return redirect("/login")
    try:
        authorize(actor, Permission.CASE_EDIT)
    except PatentDeskError as exc:
        return error_page(request, actor, exc)
    return None
