"""业务采集 (business collection): case-package drafts in the web portal (thin pages).

The same editing as ``patentdesk package`` — new, set, add, remove, validate, export,
import — for a logged-in user, on packages kept on the server (:mod:`.store`). Every change
goes through :mod:`patentdesk.packages.editing` with an :class:`Editor` made from the web
actor, so the agency section is editable only by an agency handler or sub-account (seeds C1,
C3, C8), attachments and related business can be deleted from an imported case (C9), and an
IC layout design is refused with its own message (C5). Validation runs the packages' rule
engine with the actor's role; the finished package is downloaded for the desktop client to
sign and submit.

The sections of the page (form, attachments, related business, validation) are htmx
fragments: each change answers with its section and the ``draft-changed`` event, which makes
the validation panel reload. Without JavaScript the same forms post and redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from patentdesk.authz import Actor, Permission
from patentdesk.deps import DbSession, OptionalActor
from patentdesk.drafts import formspec, service, view
from patentdesk.drafts.access import error_page, gate, owner_of, redirect, store_of
from patentdesk.drafts.status import with_filing_status
from patentdesk.drafts.store import Draft, UploadMissing
from patentdesk.errors import PatentDeskError
from patentdesk.packages import errors as pe
from patentdesk.packages.container import read_package
from patentdesk.packages.registry import (
    BUSINESS_TYPES,
    BusinessType,
    get_business_type,
)
from patentdesk.web.i18n import catalog
from patentdesk.web.render import (
    check_csrf,
    error_text,
    lang_of,
    page,
    page_router,
    posted,
)
from patentdesk.web.routes import NAV_ITEMS

router = page_router()

if not any(item["href"] == "/drafts" for item in NAV_ITEMS):
    NAV_ITEMS.append({"href": "/drafts", "key": "nav.drafts"})

CHANGED_EVENT = "draft-changed"
T = TypeVar("T")


_owner = owner_of
_store = store_of
_redirect = redirect
_gate = gate
_error_page = error_page


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _form(request: Request) -> dict[str, list[str]]:
    check_csrf(request)
    form = posted(request)
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def _one(values: dict[str, list[str]], key: str) -> str:
    found = values.get(key) or [""]
    return found[-1].strip()


# ---------------------------------------------------------------- what a page shows


def _option_label(lang: str) -> Callable[[str], str]:
    labels = catalog(lang)

    def label(value: str) -> str:
        return labels.get(f"drafts.option.{value}") or value

    return label


def _render(
    request: Request,
    actor: Actor,
    template: str,
    sections: view.Sections | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return page(
        request,
        template,
        actor,
        status_code=status_code,
        s=sections,
        option_label=_option_label(lang_of(request)),
        nav_items=NAV_ITEMS,
        **context,
    )


def _draft_page(
    request: Request,
    actor: Actor,
    draft: Draft,
    status_code: int = 200,
    *,
    overrides: formspec.Submitted | None = None,
    extra: str | None = None,
    **errors: Any,
) -> Response:
    sections = view.sections(
        lang_of(request), actor, draft, overrides=overrides, extra=extra, with_validation=True
    )
    meta = _store(request).meta(_owner(actor), draft.id)
    filed = meta.get("filed")
    return _render(
        request,
        actor,
        "drafts_edit.html",
        sections,
        status_code,
        filed=filed if isinstance(filed, dict) else None,
        can_sign=actor.can(Permission.CASE_SIGN),
        current=meta.get("current") if sections.business.name == "change" else None,
        **errors,
    )


async def _answer(
    request: Request,
    actor: Actor,
    draft: Draft,
    fragment: str,
    *,
    error: PatentDeskError | None = None,
    anchor: str = "",
    overrides: formspec.Submitted | None = None,
    extra: str | None = None,
    unsaved: list[dict[str, str]] | None = None,
) -> Response:
    """The answer to a change: with htmx the section (and the event that reloads the
    validation panel), otherwise a redirect back to the page, or the page with the error."""
    key = fragment.removeprefix("drafts_").removesuffix(".html") + "_error"
    errors: dict[str, Any] = {}
    if error is not None:
        errors[key] = error_text(lang_of(request), error)
    if unsaved:
        errors["unsaved"] = unsaved
    if _is_htmx(request):
        # The form and the attachments show each finding at the field it concerns.
        sections = await run_in_threadpool(
            lambda: view.sections(
                lang_of(request),
                actor,
                draft,
                overrides=overrides,
                extra=extra,
                with_validation=fragment != "drafts_related.html",
            )
        )
        response = _render(request, actor, fragment, sections, saved=error is None, **errors)
        if error is None:
            response.headers["HX-Trigger"] = CHANGED_EVENT
        return response
    if error is not None:
        return await run_in_threadpool(
            _draft_page,
            request,
            actor,
            draft,
            error.status,
            overrides=overrides,
            extra=extra,
            **errors,
        )
    query = f"?add={extra}" if extra else ""
    return _redirect(f"/drafts/{draft.id}{query}{anchor}")


async def _locked(request: Request, actor: Actor, work: Callable[[], T]) -> T:
    """Runs a change under the user's lock, off the event loop (packages are files)."""
    store = _store(request)

    def run() -> T:
        with store.lock(_owner(actor)):
            return work()

    return await run_in_threadpool(run)


# ---------------------------------------------------------------- the list


@router.get("/drafts", response_class=HTMLResponse)
def drafts_list(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    return _list_page(request, actor, db=db)


def _list_page(
    request: Request,
    actor: Actor,
    status_code: int = 200,
    db: Any = None,
    **context: Any,
) -> Response:
    lang = lang_of(request)
    types = [
        {"name": b.name, "label": view.label(lang, b.zh, b.en)} for b in BUSINESS_TYPES.values()
    ]
    labels = {t["name"]: t["label"] for t in types}
    entries = with_filing_status(db, actor, _store(request).entries(_owner(actor)))
    return _render(
        request,
        actor,
        "drafts_list.html",
        None,
        status_code,
        drafts=[e for e in entries if not e.get("filed")],
        filed=[e for e in entries if e.get("filed")],
        types=types,
        type_labels=labels,
        **context,
    )


@router.post("/drafts")
async def drafts_create(request: Request, actor: OptionalActor) -> Response:
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    values = _form(request)
    business_type = _one(values, "business_type")
    try:
        draft = await run_in_threadpool(
            _store(request).create, _owner(actor), business_type, view.editor_for(actor)
        )
    except PatentDeskError as exc:
        return _list_page(
            request,
            actor,
            exc.status,
            error=error_text(lang_of(request), exc),
            chosen=business_type,
        )
    return _redirect(f"/drafts/{draft.id}")


@router.post("/drafts/import")
async def drafts_import(request: Request, actor: OptionalActor) -> Response:
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    store = _store(request)
    owner = _owner(actor)
    try:
        check_csrf(request)
        upload = posted(request).get("package")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise UploadMissing()

        def run() -> tuple[Draft, list[str]]:
            with store.upload(owner, upload.file, upload.filename) as path:
                return store.import_package(owner, path)

        draft, _notes = await run_in_threadpool(run)
    except PatentDeskError as exc:
        return _list_page(request, actor, exc.status, error=error_text(lang_of(request), exc))
    return _redirect(f"/drafts/{draft.id}")


# ---------------------------------------------------------------- one draft


def _get(request: Request, actor: Actor, draft_id: str) -> Draft:
    return _store(request).get(_owner(actor), draft_id)


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    draft_id: str, request: Request, actor: OptionalActor, add: str | None = None
) -> Response:
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = _get(request, actor, draft_id)
        business = _business_of(draft)
        extra = add if add and formspec.is_repeat(business.model, add) else None
        return _draft_page(request, actor, draft, extra=extra)
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)


def _business_of(draft: Draft) -> BusinessType:
    with read_package(draft.path) as package:
        return get_business_type(package.business_type)


@router.post("/drafts/{draft_id}/form")
async def draft_save_form(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """Saves the fields that changed; ``action`` may also add or remove a repeated entry
    (``add:inventors``, ``remove:applicants.1``). All or nothing."""
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = _get(request, actor, draft_id)
        values = _form(request)
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)
    editor = view.editor_for(actor)
    try:
        extra = await _locked(request, actor, lambda: service.save_form(draft, editor, values))
    except service.DraftChanged as exc:
        # The latest version is shown; what this page would have changed is listed beside
        # it, so neither the other person's edit nor this one is lost.
        unsaved = await run_in_threadpool(service.unsaved_values, draft, values, lang_of(request))
        return await _answer(request, actor, draft, "drafts_form.html", error=exc, unsaved=unsaved)
    except PatentDeskError as exc:
        return await _answer(request, actor, draft, "drafts_form.html", error=exc, overrides=values)
    anchor = f"#f-{extra}" if extra else "#form-section"
    return await _answer(request, actor, draft, "drafts_form.html", extra=extra, anchor=anchor)


@router.post("/drafts/{draft_id}/attachments")
async def draft_add_attachment(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """Uploads a PDF, PNG, JPEG or TIFF file, or UTF-8 text (rendered to PDF), under a role."""
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = _get(request, actor, draft_id)
        check_csrf(request)
        form = posted(request)
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)
    upload = form.get("file")
    store, owner = _store(request), _owner(actor)
    upload_id = form.get("upload_id")

    def work() -> None:
        if isinstance(upload_id, str) and upload_id:
            # The page sent the file through the resumable upload API (progress, resume).
            from patentdesk.filing.routes import uploads_of

            uploads = uploads_of(request)
            service.attach_resumable(
                store,
                owner,
                draft,
                str(form.get("role") or "").strip(),
                lambda target: uploads.take(actor.user_id, upload_id, target),
                str(form.get("filename") or ""),
                replace=form.get("replace") in ("true", "on", "1"),
            )
            return
        service.upload_attachment(
            store,
            owner,
            draft,
            str(form.get("role") or "").strip(),
            upload.file if isinstance(upload, UploadFile) else None,
            upload.filename if isinstance(upload, UploadFile) else None,
            replace=form.get("replace") in ("true", "on", "1"),
        )

    try:
        await _locked(request, actor, work)
    except PatentDeskError as exc:
        return await _answer(request, actor, draft, "drafts_attachments.html", error=exc)
    return await _answer(
        request, actor, draft, "drafts_attachments.html", anchor="#attachments-section"
    )


async def _section_change(
    request: Request,
    actor: Actor | None,
    draft_id: str,
    template: str,
    anchor: str,
    change: Callable[[Draft, dict[str, list[str]]], object],
) -> Response:
    """The shape of a small change to one section: gate, draft, form, the change under the
    user's lock, then the section again (with the error when the change was refused)."""
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = _get(request, actor, draft_id)
        values = _form(request)
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)
    try:
        await _locked(request, actor, lambda: change(draft, values))
    except PatentDeskError as exc:
        return await _answer(request, actor, draft, template, error=exc)
    return await _answer(request, actor, draft, template, anchor=anchor)


@router.post("/drafts/{draft_id}/attachments/delete")
async def draft_delete_attachment(
    draft_id: str, request: Request, actor: OptionalActor
) -> Response:
    """Deletes one attachment (with its kept text source), e.g. a defective file (C9)."""
    return await _section_change(
        request,
        actor,
        draft_id,
        "drafts_attachments.html",
        "#attachments-section",
        lambda draft, values: service.delete_attachment(draft, _one(values, "entry")),
    )


@router.post("/drafts/{draft_id}/related")
async def draft_add_related(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """Adds a related business (关联业务), e.g. 实质审查请求书 with an invention."""
    return await _section_change(
        request,
        actor,
        draft_id,
        "drafts_related.html",
        "#related-section",
        lambda draft, values: service.add_related_business(
            draft, _one(values, "kind"), _one(values, "note") or None
        ),
    )


@router.post("/drafts/{draft_id}/related/delete")
async def draft_delete_related(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """Deletes a related business of the case (C9)."""
    return await _section_change(
        request,
        actor,
        draft_id,
        "drafts_related.html",
        "#related-section",
        lambda draft, values: service.delete_related_business(draft, _one(values, "kind")),
    )


@router.get("/drafts/{draft_id}/validation", response_class=HTMLResponse)
def draft_validation(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """The validation panel (an htmx fragment): rule, field and message in this language."""
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = _get(request, actor, draft_id)
        sections = view.sections(lang_of(request), actor, draft, with_validation=True)
    except pe.PackageRefused as exc:
        return _render(
            request,
            actor,
            "drafts_validation.html",
            None,
            package_error=error_text(lang_of(request), exc),
            draft_id=draft_id,
        )
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)
    return _render(request, actor, "drafts_validation.html", sections, draft_id=draft_id)


@router.get("/drafts/{draft_id}/download")
def draft_download(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """A verified export of the package, for ``patentdesk sign`` and ``patentdesk submit``."""
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = _get(request, actor, draft_id)
        out = _store(request).export(_owner(actor), draft)
        with read_package(out) as package:
            name = service.download_name(draft, package)
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)
    return FileResponse(
        out,
        media_type="application/zip",
        filename=name,
        background=BackgroundTask(out.unlink, missing_ok=True),
    )


@router.post("/drafts/{draft_id}/delete")
async def draft_delete(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    if (r := _gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        check_csrf(request)
        await run_in_threadpool(_store(request).delete, _owner(actor), draft_id)
    except PatentDeskError as exc:
        return _error_page(request, actor, exc)
    return _redirect("/drafts")
