"""Whether a draft has been filed: marked when the portal filed it, and looked up by the
package's id for a package that was downloaded and filed with the desktop client. A filed
draft leaves the list of unsubmitted business (the list page shows it apart, with its
receipt)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from patentdesk.authz import Actor


def filed_packages(db: Any, actor: Actor, package_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Which of these packages the actor's domain has filed, with the receipt."""
    from patentdesk.filing.models import Case, Receipt, Submission

    wanted = sorted({p for p in package_ids if p})
    if not wanted or actor.domain_id is None or db is None:
        return {}
    rows = db.execute(
        select(Submission.package_id, Submission.id, Receipt.id, Case.application_number)
        .join(Receipt, Receipt.submission_id == Submission.id)
        .join(Case, Case.id == Submission.case_id)
        .where(Submission.domain_id == actor.domain_id, Submission.package_id.in_(wanted))
    )
    return {
        str(pid): {
            "submission_id": str(sid),
            "receipt_id": str(rid),
            "application_number": number,
        }
        for pid, sid, rid, number in rows
    }


def with_filing_status(
    db: Any, actor: Actor, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The list entries, each with ``filed`` when its package was filed (either way)."""
    missing = [
        str(e.get("package_id")) for e in entries if not e.get("filed") and e.get("package_id")
    ]
    found = filed_packages(db, actor, missing)
    for entry in entries:
        if not entry.get("filed") and entry.get("package_id") in found:
            entry["filed"] = found[str(entry["package_id"])]
    return entries
