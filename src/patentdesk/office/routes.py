"""Office console API (role ``office``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from patentdesk import apischema
from patentdesk.blobs import BlobStore, blobs_for
from patentdesk.deps import Ctx, CurrentActor, DbSession
from patentdesk.filing.thirdparty import case_of
from patentdesk.notices.service import notice_out
from patentdesk.office import service
from patentdesk.packages.registry import MAIN_FORM
from patentdesk.timeutil import iso

router = APIRouter(prefix="/api/v1/office", tags=["office"])


def _blobs(request: Request) -> BlobStore:
    return blobs_for(request.app.state.settings)


def _row(db: DbSession, sub: Any, case: Any) -> dict[str, Any]:
    row = {
        "id": str(sub.id),
        "application_number": case.application_number,
        "business_type": sub.business_type,
        "status": sub.status,
        "title": case.title,
        "received_at": iso(sub.received_at),
        "signer": sub.signer_name,
        "case_status": case.status,
    }
    if sub.business_type == "change":
        form = sub.forms.get(MAIN_FORM) or {}
        row |= {
            "change_kind": form.get("kind") or "normal",
            "requester": form.get("requester"),
            # Where the case goes if this is accepted: the office sees it before deciding.
            "transfers_to": service.transfer_label(db, sub, case),
        }
    return row


def _decision(db: DbSession, sub: Any, issued: list[Any]) -> dict[str, Any]:
    """The decided submission as a worklist row (SPEC §10 promises the row's fields for
    ``office accept`` and ``office refuse``), with the notices the decision issued."""
    return {**_row(db, sub, case_of(db, sub)), "notices": [notice_out(n) for n in issued]}


@router.get("/worklist")
def worklist(
    actor: CurrentActor,
    db: DbSession,
    status: Annotated[str | None, Query(max_length=32)] = "received",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Incoming submissions, oldest first (status ``received`` by default; ``all``)."""
    rows = service.worklist(db, actor, None if status == "all" else status, limit)
    return [_row(db, s, c) for s, c in rows]


@router.post("/submissions/{submission_id}/accept")
def accept(
    submission_id: str, actor: CurrentActor, db: DbSession, ctx: Ctx, request: Request
) -> dict[str, Any]:
    sub, issued = service.accept(db, ctx, actor, submission_id, _blobs(request))
    return _decision(db, sub, issued)


class RefuseIn(BaseModel):
    reason: str = Field(max_length=2000, json_schema_extra=apischema.text(2000))


@router.post("/submissions/{submission_id}/refuse")
def refuse(
    submission_id: str,
    body: RefuseIn,
    actor: CurrentActor,
    db: DbSession,
    ctx: Ctx,
    request: Request,
) -> dict[str, Any]:
    sub, notice = service.refuse(db, ctx, actor, submission_id, body.reason, _blobs(request))
    return _decision(db, sub, [notice])


class NoticeIn(BaseModel):
    application_number: str = Field(max_length=32)
    code: str = Field(max_length=8)
    text: str = Field(default="", max_length=5000)
    data: dict[str, Any] | None = Field(
        default=None, description='e.g. the fee sheet a payment notice states: {"fee_sheet": {…}}'
    )
    delivery: Literal["electronic", "paper"] = Field(
        default="electronic",
        description="送达方式: electronic (served the day it reaches the inbox) or paper "
        "(presumed served 15 days after dispatch); the deadline counts from delivery",
    )


@router.post("/notices", status_code=201)
def issue_notice(
    body: NoticeIn, actor: CurrentActor, db: DbSession, ctx: Ctx, request: Request
) -> dict[str, Any]:
    """Issues a notice or decision (e.g. 210407 驳回决定) on an application."""
    notice = service.issue_notice(
        db,
        ctx,
        actor,
        application_number=body.application_number,
        code=body.code,
        text=body.text,
        data=body.data,
        blobs=_blobs(request),
        delivery=body.delivery,
    )
    return {"notice_id": str(notice.id), "serial": notice.serial, **notice_out(notice)}
