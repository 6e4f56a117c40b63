"""The office console (审查工作台): incoming submissions, acceptance or refusal, notices and
decisions, so that the whole flow runs end to end."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor, Permission, authorize
from patentdesk.blobs import BlobStore
from patentdesk.errors import Conflict, NotFound, ValidationFailed
from patentdesk.filing.models import Case, Submission
from patentdesk.filing.service import find_case
from patentdesk.filing.thirdparty import ApplicationUnknown, case_of, is_unknown
from patentdesk.identity.service import Context
from patentdesk.notices import service as notices
from patentdesk.notices.models import Notice
from patentdesk.notices.types import notice_type
from patentdesk.orgs.models import Domain
from patentdesk.timeutil import now

APPLICATION_TYPES = ("invention", "utility", "design", "pct", "pct-national")
# The notice that acknowledges an accepted submission, by business type.
ACCEPTANCE_NOTICE = {"reexam": "200905", "invalidation": "201003"}


class AlreadyDecided(Conflict):
    code = "ALREADY_DECIDED"
    message_zh = "该提交已处理（{status}）"
    message_en = "This submission has already been decided ({status})"


def worklist(
    db: Db, actor: Actor, status: str | None = "received", limit: int = 200
) -> list[tuple[Submission, Case]]:
    authorize(actor, Permission.OFFICE_WORK)
    stmt = select(Submission, Case).outerjoin(Case, Case.id == Submission.case_id)
    if status:
        stmt = stmt.where(Submission.status == status)
    stmt = stmt.order_by(Submission.received_at).limit(max(1, min(limit, 1000)))
    return [(s, c if c is not None else case_of(db, s)) for s, c in db.execute(stmt)]


def _submission(db: Db, actor: Actor, submission_id: uuid.UUID | str) -> Submission:
    authorize(actor, Permission.OFFICE_WORK)
    try:
        sid = (
            submission_id if isinstance(submission_id, uuid.UUID) else uuid.UUID(str(submission_id))
        )
    except ValueError as exc:
        raise NotFound() from exc
    sub = db.get(Submission, sid)
    if sub is None:
        raise NotFound(details={"submission_id": str(submission_id)})
    return sub


def _decide(db: Db, actor: Actor, submission_id: uuid.UUID | str) -> tuple[Submission, Case]:
    sub = _submission(db, actor, submission_id)
    # Lock the row: two clerks clicking at once must not both decide.
    db.execute(select(Submission.id).where(Submission.id == sub.id).with_for_update())
    db.refresh(sub)
    if sub.status != "received":
        raise AlreadyDecided(status=sub.status)
    return sub, case_of(db, sub)


def accept(
    db: Db, ctx: Context, actor: Actor, submission_id: uuid.UUID | str, blobs: BlobStore
) -> tuple[Submission, list[Notice]]:
    """受理: a new application gets its 受理通知书 (200101) and, when fees are due, the
    缴费通知书 (200701); follow-up business takes effect (a bibliographic change applies only
    the items it names, C4)."""
    sub, case = _decide(db, actor, submission_id)
    if is_unknown(case):  # a third party's change on a number nobody holds
        raise ApplicationUnknown(number=case.application_number)
    sub.status = "accepted"
    sub.decided_at = now()
    sub.decided_by_user_id = actor.user_id
    issued: list[Notice] = []
    if sub.business_type in APPLICATION_TYPES:
        issued.append(
            notices.issue(
                db,
                ctx,
                case=case,
                code="200101",
                submission_id=sub.id,
                issued_by=actor.user_id,
                blobs=blobs,
            )
        )
        sheet = sub.fee_sheet or {}
        if sheet.get("total"):
            lines = [f"{i.get('name')}：{i.get('amount')} 元" for i in sheet.get("items", [])]
            text = "应缴费用：\n" + "\n".join(lines) + f"\n合计：{sheet['total']} 元"
            issued.append(
                notices.issue(
                    db,
                    ctx,
                    case=case,
                    code="200701",
                    text=text,
                    submission_id=sub.id,
                    issued_by=actor.user_id,
                    data={"fee_sheet": sheet},
                    blobs=blobs,
                )
            )
    elif sub.business_type == "change":
        from patentdesk.packages.registry import MAIN_FORM

        apply_change(case, sub.forms.get(MAIN_FORM) or {})
        _move_to_new_efiling_user(db, ctx, actor, case, sub)
    elif sub.business_type in ACCEPTANCE_NOTICE:
        issued.append(
            notices.issue(
                db,
                ctx,
                case=case,
                code=ACCEPTANCE_NOTICE[sub.business_type],
                submission_id=sub.id,
                issued_by=actor.user_id,
                domain_id=sub.domain_id,
                blobs=blobs,
            )
        )
    audit.record(
        db,
        "submission.accepted",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"submission:{sub.id}",
        application=case.application_number,
    )
    return sub, issued


CHANGE_FIELDS = {
    "inventor": "inventors",
    "applicant": "applicants",
    "agency": "agency",
    "address": "address",
    "contact": "contact",
    "efiling_user": "efiling_user",
}


def _names(text: Any) -> list[str]:
    return [
        n.strip()
        for n in str(text or "").replace("，", ",").replace("、", ",").split(",")
        if n.strip()
    ]


def _by_name(names: list[str], known: list[Any]) -> list[dict[str, Any]]:
    """The parties after a change: one that stays keeps its whole record (identity number,
    address, nationality…); only a new name starts as a bare name for the office to complete."""
    records = {str(p.get("name")): p for p in known if isinstance(p, dict) and p.get("name")}
    return [dict(records.get(n) or {"name": n}) for n in names]


def apply_change(case: Case, form: dict[str, Any]) -> None:
    """著录项目变更: only the items named change; everything else stays (C4)."""
    record = dict(case.bibliographic or {})
    history = list(record.get("changes", []))
    for change in form.get("changes", []):
        item = str(change.get("item") or "")
        after = change.get("after")
        field = CHANGE_FIELDS.get(item, item)
        before = record.get(field)
        if field in ("inventors", "applicants"):
            names = _names(after)
            record[field] = _by_name(names, list(record.get(field) or []))
            setattr(case, field, _by_name(names, list(getattr(case, field) or [])))
        elif field == "agency" and isinstance(before, dict):
            # Another agency, or the same one renamed: a record either way, as filed.
            same = str(before.get("name") or "") == str(after or "").strip()
            record[field] = before if same else {"name": str(after or "").strip()}
        else:
            record[field] = after
        history.append({"item": item, "before": before, "after": after, "at": now().isoformat()})
    if form.get("efiling_user_after"):
        record["efiling_user"] = form["efiling_user_after"]
    record["changes"] = history
    case.bibliographic = record


TRANSFER_ITEMS = {"applicant", "agency", "efiling_user"}


def pending_transfer(db: Db, sub: Submission, case: Case) -> Domain | None:
    """The domain a change would move the case to if accepted, or None.

    The e-filing user after a change starts as whoever filed it (C4). A case moves only when
    a filer from another domain (a 第三方变更) kept itself there and the change names who
    controls the case — the applicant, the agency or the e-filing user — so that a change of
    a contact address never carries the case away. The office sees this before deciding."""
    if sub.business_type != "change" or sub.domain_id == case.domain_id or is_unknown(case):
        return None
    from patentdesk.packages.registry import MAIN_FORM

    form = sub.forms.get(MAIN_FORM) or {}
    after = form.get("efiling_user_after") or {}
    items = {str(c.get("item") or "") for c in form.get("changes", [])}
    if str(after.get("user_id") or "") != str(sub.submitted_by_user_id):
        return None
    if not items & TRANSFER_ITEMS:
        return None
    return db.get(Domain, sub.domain_id)


def domain_label(db: Db, domain: Domain) -> str:
    from patentdesk.orgs.models import Organisation

    org = db.get(Organisation, domain.org_id) if domain.org_id else None
    return f"{org.name}（{domain.name}）" if org is not None else domain.name


def transfer_label(db: Db, sub: Submission, case: Case) -> str | None:
    """Who would get the case if the office accepted ``sub`` (None: nobody, it stays)."""
    target = pending_transfer(db, sub, case)
    return domain_label(db, target) if target is not None else None


def _move_to_new_efiling_user(
    db: Db, ctx: Context, actor: Actor, case: Case, sub: Submission
) -> None:
    target = pending_transfer(db, sub, case)
    if target is None:
        return
    previous = case.domain_id
    case.domain_id = target.id
    case.org_id = target.org_id
    from patentdesk.identity.models import UserMessage
    from patentdesk.orgs.service import domain_member_ids

    # The previous e-filing user loses the case: it is told why, not left with a 404.
    text = (
        f"申请 {case.application_number} 经第三方著录项目变更（已受理），电子申请用户已变更为"
        f"{domain_label(db, target)}；此后的通知书将发给新的电子申请用户，本处不再能查看该案件。"
    )
    text_en = (
        f"Application {case.application_number} passed to another e-filing user, "
        f"{domain_label(db, target)}, by an accepted third-party change; its notices now go "
        "there and you can no longer see the case here."
    )
    for user_id in domain_member_ids(db, previous):
        db.add(UserMessage(user_id=user_id, kind="case_transferred", text=text, text_en=text_en))
    audit.record(
        db,
        "case.efiling_user_changed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"case:{case.id}",
        application=case.application_number,
        from_domain=str(previous),
        to_domain=str(target.id),
    )


def refuse(
    db: Db,
    ctx: Context,
    actor: Actor,
    submission_id: uuid.UUID | str,
    reason: str,
    blobs: BlobStore,
) -> tuple[Submission, Notice]:
    """不受理: 文件不受理通知书 (200102) with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "请填写不受理理由", "A reason is required", details={"field": "reason"}
        )
    sub, case = _decide(db, actor, submission_id)
    sub.status = "refused"
    sub.status_reason = reason
    sub.decided_at = now()
    sub.decided_by_user_id = actor.user_id
    notice = notices.issue(
        db,
        ctx,
        case=case,
        code="200102",
        text=reason,
        submission_id=sub.id,
        issued_by=actor.user_id,
        domain_id=sub.domain_id,
        blobs=blobs,
    )
    audit.record(
        db,
        "submission.refused",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"submission:{sub.id}",
        reason=reason[:200],
    )
    return sub, notice


def issue_notice(
    db: Db,
    ctx: Context,
    actor: Actor,
    *,
    application_number: str,
    code: str,
    text: str = "",
    data: dict[str, Any] | None = None,
    blobs: BlobStore,
    delivery: str = "electronic",
) -> Notice:
    """Any notice or decision from its template (e.g. 210407 驳回决定), delivered
    electronically or on paper (``delivery``: the deadline counts from delivery).

    A payment notice (缴费通知书 200701) states a fee sheet: ``data.fee_sheet`` as given, or
    the case's outstanding fees by the schedule in force on its filing date (seed E1)."""
    authorize(actor, Permission.OFFICE_WORK)
    notice_type(code)  # unknown codes are refused with a clear error
    case = find_case(db, application_number)
    if case is None:
        raise NotFound("申请号 {n} 不存在", "No application {n}", n=application_number)
    if code == "200701":
        from patentdesk.fees.due import payment_notice_data, sheet_text

        data = payment_notice_data(db, ctx, case, data)
        text = text or sheet_text(data["fee_sheet"])
    return notices.issue(
        db,
        ctx,
        case=case,
        code=code,
        text=text,
        issued_by=actor.user_id,
        data=data,
        blobs=blobs,
        delivery=delivery,
    )
