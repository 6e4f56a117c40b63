"""Submission API: resumable uploads, submissions, receipts, cases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select

from patentdesk.authz import Actor, Permission, authorize, can_see_domain
from patentdesk.blobs import BlobStore, BlobWriter, Kept, TooLarge, blobs_for
from patentdesk.deps import CurrentActor, DbSession, client_ip, session_token
from patentdesk.errors import NotFound, ValidationFailed
from patentdesk.filing import service
from patentdesk.filing.errors import ApplicationNotFound
from patentdesk.filing.models import Receipt, Submission
from patentdesk.filing.thirdparty import case_of
from patentdesk.filing.uploads import Uploads, discard_unfiled, uploads_for
from patentdesk.identity.service import Context, authenticate
from patentdesk.timeutil import iso, now

router = APIRouter(prefix="/api/v1", tags=["filing"])

# A raw body is handed to the thread pool in pieces of this much (the memory one request
# holds before its bytes reach the store).
_HOLD_BYTES = 8 * 1024 * 1024


def blobs_of(request: Request) -> BlobStore:
    return blobs_for(request.app.state.settings)


def uploads_of(request: Request) -> Uploads:
    settings = request.app.state.settings
    return uploads_for(settings)


def _context(request: Request) -> Context:
    return Context(
        settings=request.app.state.settings,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


def _actor(request: Request) -> Actor | None:
    """Authenticates in a short reader of its own: an upload may take minutes and must not
    hold a database lock meanwhile, and a submission's write lock waits for its checks."""
    token = session_token(request)
    actor: Actor | None = request.app.state.db.read_then_write(lambda s: authenticate(s, token))
    return actor


# A resumable upload's size and offsets: bounded here (1 TiB) so no number reaches the
# store unchecked; the configured max_upload_bytes refuses more with 413.
MAX_UPLOAD_NUMBER = 2**40


class UploadIn(BaseModel):
    size: int = Field(gt=0, le=MAX_UPLOAD_NUMBER)
    sha256: str = Field(pattern="^[0-9a-fA-F]{64}$")


@router.post("/uploads", status_code=status.HTTP_201_CREATED)
def create_upload(body: UploadIn, request: Request, actor: CurrentActor) -> dict[str, Any]:
    """Starts a resumable upload of a case package."""
    actor = authorize(actor, Permission.CASE_SUBMIT)
    upload = uploads_of(request).create(
        actor.user_id, body.size, body.sha256.lower(), domain_id=actor.domain_id
    )
    return upload.to_dict()


@router.get("/uploads/{upload_id}")
def upload_state(upload_id: str, request: Request, actor: CurrentActor) -> dict[str, Any]:
    """How far an upload got: resume from ``offset``."""
    return uploads_of(request).get(actor.user_id, upload_id).to_dict()


class SubmitIn(BaseModel):
    upload_id: str = Field(max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=128)


_ZIP_BODY = {"schema": {"type": "string", "format": "binary"}}

# These two read the body themselves (streamed, not parsed), so FastAPI cannot describe it.
_CHUNK_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The bytes of the package from ``offset`` on (at most 64 MiB)",
        "content": {"application/octet-stream": _ZIP_BODY},
    }
}
_SUBMIT_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 128},
            "description": "The same key again returns the same result, never a second number",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/zip": _ZIP_BODY,
            "application/json": {"schema": SubmitIn.model_json_schema()},
        },
    },
}


@router.put("/uploads/{upload_id}", openapi_extra=_CHUNK_DOC)
async def upload_chunk(
    upload_id: str,
    offset: Annotated[int, Query(ge=0, le=MAX_UPLOAD_NUMBER)],
    request: Request,
) -> dict[str, Any]:
    actor = await run_in_threadpool(_actor, request)
    actor = authorize(actor, Permission.CASE_SUBMIT)
    chunk = await request.body()
    if len(chunk) > 64 * 1024 * 1024:
        raise TooLarge(limit=64 * 1024 * 1024)
    upload = await run_in_threadpool(
        uploads_of(request).append, actor.user_id, upload_id, offset, chunk
    )
    return upload.to_dict()


def _file(
    request: Request,
    actor: Actor,
    kept: Kept,
    key: str | None,
    received_at: dt.datetime,
) -> dict[str, Any]:
    """Files a stored package; one that is refused does not stay in the blob store."""
    try:
        return service.submit(
            request.app.state.db,
            _context(request),
            actor,
            blobs=blobs_of(request),
            package_sha256=kept.sha256,
            package_size=kept.size,
            idempotency_key=key,
            received_at=received_at,
        ).to_dict()
    except Exception:
        if not kept.existed:  # only what this request brought: never another filing's blob
            discard_unfiled(request.app.state.db, blobs_of(request), kept.sha256)
        raise


def _file_received(
    request: Request,
    actor: Actor,
    incoming: BlobWriter,
    rest: list[bytes],
    key: str | None,
    received_at: dt.datetime,
) -> dict[str, Any]:
    """The last part of a body through the hash into the store, then its filing: one trip
    to the thread pool."""
    _write_all(incoming, rest)
    return _file(request, actor, incoming.keep(), key, received_at)


def _write_all(incoming: BlobWriter, chunks: list[bytes]) -> None:
    for chunk in chunks:
        incoming.write(chunk)


def _admit(request: Request, length: int | None) -> tuple[Actor, int]:
    """Who submits, and (for a body of ``length`` bytes) how much their domain may still
    bring: one trip to the thread pool."""
    actor = authorize(_actor(request), Permission.CASE_SUBMIT)
    room = 0 if length is None else uploads_of(request).check_quota(actor.domain_id, length)
    return actor, room


def _filed_earlier(request: Request, actor: Actor, key: str | None) -> dict[str, Any] | None:
    """The answer to a submission sent again after its first answer was lost (the server
    died after filing it, or the connection broke): its filing used the upload up, so the
    idempotency key, within the domain, names the filing."""
    if not key or not key.strip():
        return None
    with request.app.state.db.unit_of_work(write=False) as db:
        outcome = service.existing(db, actor, key.strip()[:128])
        return None if outcome is None else outcome.to_dict()


@router.post("/submissions", status_code=status.HTTP_201_CREATED, openapi_extra=_SUBMIT_DOC)
async def submit(request: Request, response: Response) -> dict[str, Any]:
    """Submits a signed case package: the raw ZIP as the body (``Idempotency-Key`` header),
    or JSON ``{"upload_id", "idempotency_key"}`` naming a finished resumable upload."""
    settings = request.app.state.settings
    key = request.headers.get("idempotency-key")
    if request.headers.get("content-type", "").startswith("application/json"):
        actor, _ = await run_in_threadpool(_admit, request, None)
        try:
            body = SubmitIn.model_validate_json(await request.body())
        except ValueError as exc:
            raise ValidationFailed(details={"field": "upload_id"}) from exc
        key = body.idempotency_key or key
        try:
            sha, size, existed = await run_in_threadpool(
                uploads_of(request).finish, actor.user_id, body.upload_id, blobs_of(request)
            )
        except NotFound:
            earlier = await run_in_threadpool(_filed_earlier, request, actor, key)
            if earlier is None:
                raise
            response.status_code = status.HTTP_200_OK
            return earlier
        # The bytes were all here before the request; it files them.
        result = await run_in_threadpool(
            _file, request, actor, Kept(sha, size, existed), key, now()
        )
    else:
        length = request.headers.get("content-length", "")
        actor, room = await run_in_threadpool(
            _admit, request, int(length) if length.isdigit() else 0
        )
        limit = settings.max_upload_bytes
        with blobs_of(request).writer(limit) as incoming:
            # The body's pieces are only collected here (hashing and writing them would
            # hold up every other request of this worker); the thread pool writes them, a
            # few MiB at a time, and the last of them with the filing itself.
            pending: list[bytes] = []
            held = total = 0
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise TooLarge(limit=limit)
                if total > room:
                    await run_in_threadpool(uploads_of(request).check_quota, actor.domain_id, total)
                pending.append(chunk)
                held += len(chunk)
                if held >= _HOLD_BYTES:
                    await run_in_threadpool(_write_all, incoming, pending)
                    pending, held = [], 0
            # Filed when the last byte arrived, not after hashing and verifying a large
            # package: one that arrives at 23:59:59 Beijing time is filed that day.
            received_at = now()
            result = await run_in_threadpool(
                _file_received, request, actor, incoming, pending, key, received_at
            )
    if result.get("replay"):
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/submissions/{submission_id}")
def get_submission(submission_id: uuid.UUID, actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    sub = db.get(Submission, submission_id)
    if sub is None or not can_see_domain(actor, sub.domain_id, Permission.CASE_VIEW):
        raise ApplicationNotFound(number=str(submission_id))
    case = case_of(db, sub)
    receipt = db.scalar(select(Receipt).where(Receipt.submission_id == sub.id))
    assert receipt is not None
    return service.Outcome(sub, case, receipt).to_dict() | {"replay": False}


@router.get("/receipts/{receipt_id}", response_class=Response)
def download_receipt(
    receipt_id: uuid.UUID,
    actor: CurrentActor,
    db: DbSession,
    request: Request,
    format: str = "bundle",
) -> Response:
    """The receipt: ``bundle`` (ZIP of JSON, PDF and their office signatures), ``pdf`` or
    ``json``. Every user of the submitting domain may download it (A9)."""
    row = service.get_receipt(db, actor, receipt_id)
    signed = service.receipt_files(db, request.app.state.settings, blobs_of(request), row)
    if format == "pdf":
        return Response(
            signed.pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="receipt-{row.id}.pdf"'},
        )
    if format == "json":
        return Response(signed.record_bytes, media_type="application/json")
    return Response(
        signed.bundle(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="receipt-{row.id}.zip"'},
    )


def case_out(case: Any) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "application_number": case.application_number,
        "kind": case.kind,
        "title": case.title,
        "internal_number": case.internal_number,
        "status": case.status,
        "filing_date": case.filing_date.isoformat(),
        "filed_at": iso(case.filed_at),
        "applicants": case.applicants,
        "inventors": case.inventors,
        "bibliographic": case.bibliographic,
        "international_number": case.international_number,
        "patent_number": case.patent_number,
        "domain": str(case.domain_id),
        **_pct_links(case),
    }


def _pct_links(case: Any) -> dict[str, Any]:
    from patentdesk.fees.pct import case_links

    return case_links(case)


@router.get("/cases/by-number/{number:path}")
def case_by_number(number: str, actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    return case_out(service.case_by_number(db, actor, number))


@router.get("/cases/{case_id}")
def get_case(case_id: uuid.UUID, actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    return case_out(service.get_case(db, actor, case_id))
