"""Read side of cases for the web portal ("my cases"): the domain's cases and, per case, the
submissions the domain made with their receipts. Every query goes through
:func:`patentdesk.authz.restrict`, so another domain's rows never appear."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor, Permission, restrict
from patentdesk.filing.models import Case, Receipt, Submission

CASE_STATUSES = (
    "submitted",
    "accepted",
    "refused",
    "rejected",
    "granted",
    "withdrawn",
    "terminated",
    "reexamination",
    "invalidation",
)


@dataclass(frozen=True)
class CaseFilter:
    text: str | None = None  # application number prefix, title or internal number substring
    status: str | None = None
    limit: int = 500


def list_cases(db: Db, actor: Actor, f: CaseFilter | None = None) -> list[Case]:
    """The domain's cases, most recently filed first."""
    f = f or CaseFilter()
    stmt = restrict(select(Case), Case.domain_id, actor, Permission.CASE_VIEW)
    if f.text and f.text.strip():
        text = f.text.strip()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Case.application_number.startswith(text.upper(), autoescape=True),
                Case.title.like(pattern, escape="\\"),
                Case.internal_number.like(pattern, escape="\\"),
            )
        )
    if f.status:
        stmt = stmt.where(Case.status == f.status)
    stmt = stmt.order_by(Case.filed_at.desc(), Case.application_number)
    return list(db.scalars(stmt.limit(max(1, min(f.limit, 2000)))))


def case_submissions(db: Db, actor: Actor, case: Case) -> list[tuple[Submission, Receipt | None]]:
    """The submissions on ``case`` that the actor's domain may see (its own business, not,
    say, a third party's invalidation request), oldest first, each with its receipt."""
    own = restrict(
        select(Submission).where(Submission.case_id == case.id),
        Submission.domain_id,
        actor,
        Permission.CASE_VIEW,
    )
    stmt = own.add_columns(Receipt).outerjoin(Receipt, Receipt.submission_id == Submission.id)
    return [(s, r) for s, r in db.execute(stmt.order_by(Submission.received_at))]


def business_label(kind: str, lang: str = "zh") -> str:
    """The business type's name in the page's language (from the package registry, the one
    list of business types); an unknown kind is shown as it is."""
    from patentdesk.packages.registry import BUSINESS_TYPES

    business = BUSINESS_TYPES.get(kind)
    if business is None:
        return kind
    return business.zh if lang == "zh" else business.en[:1].upper() + business.en[1:]
