"""Starting business where it arises (thin pages).

- «答复» on a notice: a response draft (意见陈述书/补正书) with the application number, the
  notice's dispatch serial and code filled in.
- «请求复审» on a rejection decision: a reexamination request citing the decision by its
  dispatch serial (C10), the applicants copied from the case.
- «著录项目变更» on a case: a change draft (C4) that keeps the case's current values beside
  the form, each with «变更此项», which adds a change entry with its value before the
  change; the e-filing user after the change is pre-filled with the current login.

Each reads the notice or case through its own service (the domain check there), creates the
draft in the domain's store, and fills it through the packages library as the editor would.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from patentdesk.authz import Actor
from patentdesk.deps import DbSession, OptionalActor
from patentdesk.drafts import view
from patentdesk.drafts.access import draft_of, error_page, gate, owner_of, redirect, store_of
from patentdesk.errors import NotFound, PatentDeskError, ValidationFailed
from patentdesk.packages.container import read_package
from patentdesk.packages.editing import set_fields
from patentdesk.packages.fields import Assignment
from patentdesk.web.render import check_csrf, page_router, posted, settle

router = page_router()

# What the change page shows of a case, in the change items' own terms (ChangeItemKind).
CHANGE_ITEMS = ("applicant_name", "applicant_address", "inventor", "agency", "agent", "title")


class NotARejection(ValidationFailed):
    code = "NOT_A_REJECTION_DECISION"
    message_zh = "只有驳回决定可以请求复审：通知书 {serial} 不是驳回决定"
    message_en = "Only a rejection decision can be appealed: notice {serial} is not one"


def _names(entries: Any) -> str:
    if not isinstance(entries, list):
        return ""
    return "、".join(str(e.get("name")) for e in entries if isinstance(e, dict) and e.get("name"))


def current_values(case: Any) -> list[dict[str, str]]:
    """The case's current bibliographic values by change item (empty ones left out)."""
    record = dict(case.bibliographic or {})
    applicants = record.get("applicants") or case.applicants or []
    found = record.get("agency")
    agency: dict[str, Any] = found if isinstance(found, dict) else {}
    addresses = [
        str(a.get("address")) for a in applicants if isinstance(a, dict) and a.get("address")
    ]
    values = {
        "applicant_name": _names(applicants),
        "applicant_address": "；".join(addresses),
        "inventor": _names(record.get("inventors") or case.inventors),
        "agency": str(agency.get("name") or ""),
        "agent": _names(agency.get("agents")),
        "title": str(case.title or ""),
    }
    return [{"item": k, "value": values[k]} for k in CHANGE_ITEMS if values[k]]


def _create(
    request: Request, actor: Actor, business_type: str, fields: list[Assignment], **meta: Any
) -> str:
    store, owner = store_of(request), owner_of(actor)
    editor = view.editor_for(actor)
    draft = store.create(owner, business_type, editor)
    with store.lock(owner):
        if fields:
            set_fields(draft.path, fields, editor)
        if meta:
            store.update_meta(owner, draft.id, **meta)
    return draft.id


def _applicants(case: Any) -> list[Assignment]:
    record = dict(case.bibliographic or {})
    out = []
    for i, entry in enumerate(record.get("applicants") or case.applicants or []):
        if not isinstance(entry, dict):
            continue
        for key in ("name", "country", "uscc", "id_number", "address", "postal_code"):
            if entry.get(key):
                out.append(Assignment(f"applicants.{i}.{key}", str(entry[key])))
    return out


@router.post("/drafts/start/notice/{notice_id}/{kind}")
def start_from_notice(
    notice_id: str, kind: str, request: Request, actor: OptionalActor, db: DbSession
) -> Response:
    """``kind`` is ``response`` (答复) or ``reexam`` (请求复审, rejection decisions only)."""
    from patentdesk.filing.models import Case
    from patentdesk.notices import service as notices
    from patentdesk.notices.types import is_rejection_decision

    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        check_csrf(request)
        if kind not in ("response", "reexam"):
            raise NotFound()
        notice = notices.get(db, actor, notice_id)
        fields = [Assignment("application_number", notice.application_number)]
        if kind == "response":
            fields += [
                Assignment("notice_serial", notice.serial),
                Assignment("notice_code", notice.code),
            ]
        else:
            if not is_rejection_decision(notice.code):
                raise NotARejection(serial=notice.serial)
            fields.append(Assignment("rejection_notice_serial", notice.serial))
            case = db.get(Case, notice.case_id) if notice.case_id else None
            if case is not None:
                fields += _applicants(case)
        draft_id = _create(request, actor, kind, fields, started_from={"notice": str(notice.id)})
    except PatentDeskError as exc:
        settle(db, exc)
        return error_page(request, actor, exc)
    return redirect(f"/drafts/{draft_id}")


@router.post("/drafts/start/case/{case_id}/change")
def start_change(case_id: str, request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """著录项目变更 of a case: the current values kept beside the form (C4)."""
    from patentdesk.filing import service as filing
    from patentdesk.filing.errors import ApplicationNotFound

    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    try:
        check_csrf(request)
        try:
            cid = uuid.UUID(case_id)
        except ValueError:
            raise ApplicationNotFound(number=case_id[:64]) from None
        case = filing.get_case(db, actor, cid)
        editor = view.editor_for(actor)
        fields = [
            Assignment("application_number", case.application_number),
            # C4: the e-filing user after the change is the current login, editable.
            Assignment("efiling_user_after.user_id", editor.user_id),
            Assignment("efiling_user_after.name", editor.name),
        ]
        draft_id = _create(
            request,
            actor,
            "change",
            fields,
            current={
                "application_number": case.application_number,
                "values": current_values(case),
            },
        )
    except PatentDeskError as exc:
        settle(db, exc)
        return error_page(request, actor, exc)
    return redirect(f"/drafts/{draft_id}")


@router.post("/drafts/{draft_id}/change-item")
async def add_change_item(draft_id: str, request: Request, actor: OptionalActor) -> Response:
    """«变更此项»: a change entry for one item, its value before the change filled in."""
    if (r := gate(request, actor)) is not None:
        return r
    assert actor is not None
    store, owner = store_of(request), owner_of(actor)
    try:
        check_csrf(request)
        item = str(posted(request).get("item") or "")
        draft = draft_of(request, actor, draft_id)
        current = store.meta(owner, draft.id).get("current") or {}
        values = {v["item"]: v["value"] for v in current.get("values", [])}
        if item not in values:
            raise ValidationFailed("无法识别的变更项目", "Unknown change item")

        def work() -> int:
            with store.lock(owner):
                with read_package(draft.path) as package:
                    count = len(package.form.get("changes") or [])
                set_fields(
                    draft.path,
                    [
                        Assignment(f"changes.{count}.item", item),
                        Assignment(f"changes.{count}.before", values[item]),
                    ],
                    view.editor_for(actor),
                )
            return count

        index = await run_in_threadpool(work)
    except PatentDeskError as exc:
        return error_page(request, actor, exc)
    return redirect(f"/drafts/{draft_id}#f-changes.{index}.after")


def can_start(actor: Actor | None) -> bool:
    """Whether the page offers «答复», «请求复审» and «著录项目变更» (anyone who edits cases)."""
    from patentdesk.authz import Permission

    return actor is not None and actor.can(Permission.CASE_EDIT) and not actor.is_office


def _register() -> None:
    from patentdesk.notices.labels import register
    from patentdesk.web.render import templates

    register(templates.env)
    templates.env.globals.setdefault("can_start", can_start)


_register()
