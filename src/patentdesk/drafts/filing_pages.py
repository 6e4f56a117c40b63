"""Signing and submitting a draft in the browser, then its receipt (thin pages).

The same services as the API and the desktop client: :func:`patentdesk.pki.signing.start_signing`
asks for the signature (the main account is refused there, A10), the phone approves the
QR code or its short code, :func:`patentdesk.pki.signing.collect` hands the signature over
once, and :func:`patentdesk.filing.service.submit` files the signed package with every check
of an upload from the client. The server keeps the request's secret in the draft's index
entry, in the place of the desktop client's memory; only the user who asked may collect.

    draft page ──«签名»──▶ /drafts/{id}/sign  (QR, short code; polls by itself)
                                  │ signed
                                  ▼
                          /drafts/{id}/submit (summary; «提交» shows progress)
                                  │ filed
                                  ▼
                          /receipts/{receipt id} (PDF, signed bundle, verification)
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from patentdesk.authz import Actor, Permission, authorize
from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.drafts import view, websign
from patentdesk.drafts.access import draft_of, error_page, gate, owner_of, redirect, store_of
from patentdesk.drafts.store import Draft
from patentdesk.errors import Conflict, PatentDeskError
from patentdesk.packages.container import add_signature, read_package
from patentdesk.packages.registry import MAIN_FORM, get_business_type
from patentdesk.web.render import check_csrf, error_text, lang_of, page, page_router, settle
from patentdesk.web.routes import NAV_ITEMS

router = page_router()
POLL_SECONDS = 2


class NotValid(PatentDeskError):
    code = "DRAFT_NOT_VALID"
    status = 422
    message_zh = "案卷包还有 {n} 个错误，改正后才能签名"
    message_en = "The package still has {n} errors: correct them before signing"


class PackageChanged(Conflict):
    code = "PACKAGE_CHANGED"
    message_zh = "签名期间案卷包已被修改，签名未写入：请重新签名"
    message_en = "The package changed while it was being signed; nothing was added: sign again"


class NotSigned(PatentDeskError):
    code = "DRAFT_NOT_SIGNED"
    status = 409
    message_zh = "案卷包尚未签名：请先签名再提交"
    message_en = "The package is not signed yet: sign it before submitting"


# ---------------------------------------------------------------- helpers


def _manifest(draft: Draft) -> tuple[bytes, str | None, str]:
    with read_package(draft.path) as package:
        title = package.forms.get(MAIN_FORM, {}).get("title")
        return (
            package.manifest_bytes,
            title if isinstance(title, str) else None,
            package.business_type,
        )


def _render(request: Request, actor: Actor, template: str, **context: Any) -> Response:
    status_code = context.pop("status_code", 200)
    return page(request, template, actor, status_code=status_code, nav_items=NAV_ITEMS, **context)


def _qr_svg(payload: str) -> str:
    import segno

    svg: str = segno.make(payload, error="m").svg_inline(scale=4, border=4)
    return svg


def _summary(lang: str, actor: Actor, draft: Draft) -> dict[str, Any]:
    with read_package(draft.path) as package:
        business = get_business_type(package.business_type)
        form = package.form
        return {
            "business": view.label(lang, business.zh, business.en),
            "title": form.get("title"),
            "internal_number": form.get("internal_number"),
            "application_number": form.get("application_number")
            or form.get("international_application_number")
            or form.get("patent_number"),
            "signatures": len(package.signatures),
            "package_id": package.package_id,
        }


# ---------------------------------------------------------------- signing


@router.post("/drafts/{draft_id}/sign")
def sign_start(
    draft_id: str, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    """Validates, then asks for the signature: the page shows the QR code and short code."""
    from patentdesk.pki import signing

    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    store = store_of(request)
    try:
        check_csrf(request)
        draft = draft_of(request, actor, draft_id)
        authorize(actor, Permission.CASE_SIGN)  # the main account: «查询用户 ID 失败» (A10)
        findings = view.sections(lang_of(request), actor, draft, with_validation=True).findings
        if findings and not findings["ok"]:
            raise NotValid(n=len(findings["errors"]))
        manifest, title, business_type = _manifest(draft)
        digest = hashlib.sha256(manifest).hexdigest()
        websign.ensure_session_key(db, ctx, actor)
        started = signing.start_signing(
            db, ctx, actor, digest=digest, title=title, business_type=business_type
        )
        if started.mode == "window":
            # Inside the no-scan window the phone opened for this login: no QR code.
            assert started.secret and started.delegated_certificate_pem
            with store.lock(owner_of(actor)):
                if _manifest(draft)[0] != manifest:
                    raise PackageChanged()
                signature = websign.sign_in_window(
                    db,
                    ctx,
                    actor,
                    str(started.request.id),
                    started.secret,
                    started.delegated_certificate_pem,
                    manifest,
                )
                add_signature(draft.path, signature)
            return redirect(f"/drafts/{draft.id}/submit?signed=window")
        with store.lock(owner_of(actor)):
            store.update_meta(
                owner_of(actor),
                draft.id,
                signing={
                    "request_id": str(started.request.id),
                    "secret": started.secret,
                    "digest": digest,
                    "user_id": str(actor.user_id),
                },
            )
    except PatentDeskError as exc:
        settle(db, exc)
        return error_page(request, actor, exc, back=f"/drafts/{draft_id}")
    return redirect(f"/drafts/{draft.id}/sign")


def _pending(request: Request, actor: Actor, draft: Draft) -> dict[str, Any] | None:
    pending = store_of(request).meta(owner_of(actor), draft.id).get("signing")
    if not isinstance(pending, dict) or pending.get("user_id") != str(actor.user_id):
        return None
    return pending


@router.get("/drafts/{draft_id}/sign", response_class=HTMLResponse)
def sign_page(
    draft_id: str, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    from patentdesk.pki import qr

    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = draft_of(request, actor, draft_id)
        pending = _pending(request, actor, draft)
        if pending is None:
            return redirect(f"/drafts/{draft.id}")
        row = qr.get(db, pending["request_id"], "sign")
        payload = qr.payload_for(ctx, row)
    except PatentDeskError as exc:
        return error_page(request, actor, exc)
    return _render(
        request,
        actor,
        "drafts_sign.html",
        draft=draft,
        summary=_summary(lang_of(request), actor, draft),
        payload=payload,
        short_code=row.short_code,
        expires_at=row.expires_at,
        svg=_qr_svg(payload),
        state="pending",
        poll_seconds=POLL_SECONDS,
    )


@router.get("/drafts/{draft_id}/sign/status", response_class=HTMLResponse)
def sign_status(draft_id: str, request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """Polled by the signing page: pending, or the signature written into the package and
    the browser sent on to submission (``HX-Redirect``)."""
    from patentdesk.pki import signing

    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    store, owner = store_of(request), owner_of(actor)
    try:
        draft = draft_of(request, actor, draft_id)  # someone else's: 404, nothing more
    except PatentDeskError as exc:
        return error_page(request, actor, exc)
    draft_id_ok = draft.id
    try:
        pending = _pending(request, actor, draft)
        if pending is None:
            raise NotSigned()
        collected = signing.collect(db, pending["request_id"], pending["secret"])
        if collected.status == "pending":
            return _render(
                request,
                actor,
                "drafts_sign_status.html",
                draft=draft,
                state="pending",
                poll_seconds=POLL_SECONDS,
            )
        assert collected.signature is not None
        signature = collected.signature
        # The phone signed the digest the page asked for; the package must still be it.
        with store.lock(owner):
            manifest, _title, _type = _manifest(draft)
            store.update_meta(owner, draft.id, signing=None)
            if hashlib.sha256(manifest).hexdigest() != pending["digest"]:
                raise PackageChanged()
            add_signature(draft.path, signature)
    except PatentDeskError as exc:
        settle(db, exc)
        # Expired, refused on the phone, the package changed: this request is over; the
        # page offers to ask again.
        try:
            with store.lock(owner):
                store.update_meta(owner, draft_id_ok, signing=None)
        except PatentDeskError:
            pass
        return _render(
            request,
            actor,
            "drafts_sign_status.html",
            draft_id=draft_id_ok,
            state="failed",
            error=error_text(lang_of(request), exc),
        )
    response = _render(request, actor, "drafts_sign_status.html", draft=draft, state="signed")
    response.headers["HX-Redirect"] = f"/drafts/{draft.id}/submit"
    return response


# ---------------------------------------------------------------- submission


@router.get("/drafts/{draft_id}/submit", response_class=HTMLResponse)
def submit_page(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        draft = draft_of(request, actor, draft_id)
        summary = _summary(lang_of(request), actor, draft)
        filed = store_of(request).meta(owner_of(actor), draft.id).get("filed")
    except PatentDeskError as exc:
        return error_page(request, actor, exc)
    if isinstance(filed, dict) and filed.get("receipt_id"):
        return redirect(f"/receipts/{filed['receipt_id']}")
    return _render(
        request,
        actor,
        "drafts_submit.html",
        draft=draft,
        summary=summary,
        can_submit=actor.can(Permission.CASE_SUBMIT),
    )


@router.post("/drafts/{draft_id}/submit")
def submit(
    draft_id: str, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    """Files the signed draft as the API files an upload (idempotent by the package hash),
    marks the draft as filed and shows the receipt."""
    from patentdesk.blobs import BlobStore
    from patentdesk.filing import service
    from patentdesk.timeutil import iso, now

    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    store, owner = store_of(request), owner_of(actor)
    settings = request.app.state.settings
    try:
        check_csrf(request)
        draft = draft_of(request, actor, draft_id)
        authorize(actor, Permission.CASE_SUBMIT)
        if _summary("zh", actor, draft)["signatures"] == 0:
            raise NotSigned()
        # The filing takes SQLite's write lock in its own short transaction: this page's
        # unit of work (begun IMMEDIATE for a POST) lets go of it before the slow export.
        db.commit()
        blobs = BlobStore(settings.blob_dir)
        received = now()
        out = store.export(owner, draft)
        try:
            with out.open("rb") as fh:
                sha, size = blobs.put_file(fh)
        finally:
            out.unlink(missing_ok=True)
        outcome = service.submit(
            request.app.state.db,
            ctx,
            actor,
            blobs=blobs,
            package_sha256=sha,
            package_size=size,
            idempotency_key=sha,
            received_at=received,
        )
        result = outcome.to_dict()
        with store.lock(owner):
            store.update_meta(
                owner,
                draft.id,
                filed={
                    "receipt_id": result["receipt_id"],
                    "submission_id": result["submission_id"],
                    "application_number": result["application_number"],
                    "filed_at": result["filed_at"] or iso(received),
                    "by": str(actor.user_id),
                },
            )
    except PatentDeskError as exc:
        settle(db, exc)
        if request.headers.get("hx-request") == "true":
            # 200: htmx swaps only successful answers; the fragment says what went wrong.
            response = _render(
                request,
                actor,
                "drafts_submit_error.html",
                submit_error=error_text(lang_of(request), exc),
            )
            response.headers["X-Refused"] = exc.code
            return response
        return error_page(request, actor, exc, back=f"/drafts/{draft_id}")
    target = f"/receipts/{result['receipt_id']}"
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


# ---------------------------------------------------------------- the receipt


@router.get("/receipts/{receipt_id}", response_class=HTMLResponse)
def receipt_page(
    receipt_id: str, request: Request, actor: OptionalActor, db: DbSession
) -> Response:
    """电子申请回执: what was filed, when, the number; PDF and signed bundle; and whether the
    office's signatures verify against this environment's CA (as ``receipt verify`` does)."""
    from patentdesk.blobs import BlobStore
    from patentdesk.filing import receipts, service
    from patentdesk.filing.cases import business_label
    from patentdesk.filing.errors import ApplicationNotFound
    from patentdesk.filing.models import Case, Submission
    from patentdesk.pki.service import ca_for

    if actor is None:
        return redirect("/login")
    lang = lang_of(request)
    try:
        try:
            rid = uuid.UUID(receipt_id)
        except ValueError:
            raise ApplicationNotFound(number=receipt_id[:64]) from None
        row = service.get_receipt(db, actor, rid)
        submission = db.get(Submission, row.submission_id)
        case = db.get(Case, submission.case_id) if submission else None
        assert submission is not None and case is not None
        settings = request.app.state.settings
        signed = service.receipt_files(db, settings, BlobStore(settings.blob_dir), row)
        try:
            record = receipts.verify_bundle(signed.bundle(), ca_for(settings).certificate)
            verified, verify_error = True, ""
        except PatentDeskError as exc:
            record, verified, verify_error = {}, False, error_text(lang, exc)
    except PatentDeskError as exc:
        settle(db, exc)
        return error_page(request, actor, exc)
    outcome = service.Outcome(submission, case, row).to_dict()
    draft_link = _draft_of_submission(request, actor, submission)
    return _render(
        request,
        actor,
        "receipt.html",
        receipt=row,
        outcome=outcome,
        record=record,
        case=case,
        verified=verified,
        verify_error=verify_error,
        business=business_label(submission.business_type, lang),
        can_download=actor.can(Permission.RECEIPT_DOWNLOAD),
        draft_link=draft_link,
    )


def _draft_of_submission(request: Request, actor: Actor, submission: Any) -> str | None:
    for entry in store_of(request).entries(owner_of(actor)):
        if (entry.get("filed") or {}).get("submission_id") == str(submission.id):
            return f"/drafts/{entry['id']}"
    return None
