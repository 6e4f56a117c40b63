"""The office console in the web portal (审查工作台, role ``office``): the worklist of
incoming submissions, acceptance or refusal, and notices issued from their templates.

Thin handlers over :mod:`patentdesk.office.service`; errors are shown on the page."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patentdesk.authz import Actor
from patentdesk.blobs import BlobStore, blobs_for
from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.errors import PatentDeskError, PermissionDenied
from patentdesk.filing.cases import business_label
from patentdesk.filing.models import Submission
from patentdesk.filing.thirdparty import case_of
from patentdesk.notices import service as notices
from patentdesk.notices.models import Notice
from patentdesk.notices.types import all_notice_types
from patentdesk.office import service
from patentdesk.packages.registry import MAIN_FORM
from patentdesk.web.render import (
    error_text,
    form_values,
    lang_of,
    page,
    page_router,
    settle,
    templates,
)

router = page_router()

STATUSES = ("received", "accepted", "refused", "all")


def _blobs(request: Request) -> BlobStore:
    return blobs_for(request.app.state.settings)


def _office_only(request: Request, actor: Actor | None) -> Response | None:
    """Not logged in: the login page. Logged in without the office role: a clear refusal."""
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    if not actor.is_office:
        exc = PermissionDenied(
            "审查工作台仅供审查员（office 角色）使用",
            "The office console is for office users only",
        )
        return page(
            request,
            "office.html",
            actor,
            status_code=exc.status,
            error=error_text(lang_of(request), exc),
        )
    return None


def _console(
    request: Request,
    actor: Actor,
    db: DbSession,
    *,
    status: str = "received",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    status = status if status in STATUSES else "received"
    rows = service.worklist(db, actor, None if status == "all" else status)
    labels = {
        sub.id: service.transfer_label(db, sub, case)
        for sub, case in rows
        if sub.status == "received"
    }
    transfers = {k: v for k, v in labels.items() if v is not None}
    return page(
        request,
        "office.html",
        actor,
        status_code=status_code,
        rows=rows,
        transfers=transfers,
        status=status,
        statuses=STATUSES,
        notice_types=all_notice_types(),
        main_form=MAIN_FORM,
        **extra,
    )


@router.get("/office", response_class=HTMLResponse)
def console(
    request: Request,
    actor: OptionalActor,
    db: DbSession,
    status: str = "received",
    issued: uuid.UUID | None = None,
    number: str | None = None,
) -> Response:
    if (r := _office_only(request, actor)) is not None:
        return r
    assert actor is not None
    extra: dict[str, Any] = {}
    if number:  # "issue a notice" from a worklist row: the form starts with its number
        extra["notice_form"] = {"application_number": number[:32]}
    if issued is not None:
        # After the redirect that follows issuing: show what was issued (serial, deadline).
        with contextlib.suppress(PatentDeskError):
            extra["issued"] = [notices.get(db, actor, issued)]
    return _console(request, actor, db, status=status, **extra)


def _failed(
    request: Request, actor: Actor, db: DbSession, exc: PatentDeskError, **extra: Any
) -> Response:
    settle(db, exc)  # nothing of a failed decision is kept
    return _console(
        request,
        actor,
        db,
        status_code=exc.status,
        error=error_text(lang_of(request), exc),
        **extra,
    )


def _decided(
    request: Request, actor: Actor, db: DbSession, sub: Submission, issued: list[Notice]
) -> Response:
    """The worklist with what was just decided and the notices that went out."""
    case = case_of(db, sub)
    return _console(request, actor, db, decided=sub, decided_case=case, issued=issued)


@router.post("/office/submissions/{submission_id}/accept", response_class=HTMLResponse)
def accept(
    submission_id: str, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if (r := _office_only(request, actor)) is not None:
        return r
    assert actor is not None
    form_values(request)
    try:
        sub, issued = service.accept(db, ctx, actor, submission_id, _blobs(request))
    except PatentDeskError as exc:
        return _failed(request, actor, db, exc)
    return _decided(request, actor, db, sub, issued)


@router.post("/office/submissions/{submission_id}/refuse", response_class=HTMLResponse)
def refuse(
    submission_id: str, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if (r := _office_only(request, actor)) is not None:
        return r
    assert actor is not None
    form = form_values(request)
    try:
        sub, notice = service.refuse(
            db, ctx, actor, submission_id, form.get("reason", ""), _blobs(request)
        )
    except PatentDeskError as exc:
        return _failed(request, actor, db, exc)
    return _decided(request, actor, db, sub, [notice])


@router.post("/office/notices", response_class=HTMLResponse)
def issue_notice(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    if (r := _office_only(request, actor)) is not None:
        return r
    assert actor is not None
    form = form_values(request)
    code = form.get("code", "").strip()
    try:
        notice = service.issue_notice(
            db,
            ctx,
            actor,
            application_number=form.get("application_number", "").strip(),
            code=code,
            text=form.get("text", ""),
            blobs=_blobs(request),
        )
    except PatentDeskError as exc:
        return _failed(request, actor, db, exc, notice_form=form)
    # Post/redirect/get: reloading the result page must not issue the notice twice.
    return RedirectResponse(f"/office?issued={notice.id}", status_code=303)


# Business types by name in the page's language (shared with the case pages).
templates.env.globals.setdefault("business_label", business_label)
