"""Web portal pages of this domain (thin): the person's side of organisations.

The account page's ``membership_panel`` hook is filled here (a Jinja global): the panel loads
``/account/organisations`` — the organisations the person is a handler or sub-account of —
with a 退出机构 (leave) button each.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.orgs import membership
from patentdesk.web.i18n import translate
from patentdesk.web.render import check_csrf, lang_of, page, page_router, templates
from patentdesk.web.routes import NAV_ITEMS

router = page_router()

templates.env.globals["membership_panel"] = "membership_panel.html"


@router.get("/account/organisations", response_class=HTMLResponse)
def membership_panel(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """The organisations panel of the account page (loaded by htmx)."""
    if actor is None:
        return Response(status_code=401)
    return page(
        request, "membership_list.html", actor, memberships=membership.my_memberships(db, actor)
    )


@router.post("/account/organisations/{org_id}/leave", response_class=HTMLResponse)
def leave(
    org_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    """退出机构 from the web; the page that follows says what ended."""
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    check_csrf(request)
    names = {m.org_id: m.org_name for m in membership.my_memberships(db, actor)}
    left = membership.leave_organisation(db, ctx, actor, org_id)
    lang = lang_of(request)
    roles = (", " if lang == "en" else "、").join(translate(lang, f"role.{r}") for r in left)
    db.commit()  # the page below is rendered for a session that may have just ended
    return page(
        request,
        "membership_left.html",
        None if actor.org_id == org_id else actor,
        nav_items=NAV_ITEMS,
        message=translate(lang, "account.orgs.left", org=names.get(org_id, ""), roles=roles),
    )
