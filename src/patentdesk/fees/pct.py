"""PCT records kept on a case (E1): what submission stores beyond the national fields.

* An international application (RO/CN) records its receiving office, its international
  filing date (the filing date by the server's clock in Beijing, which also picks the PCT
  fee schedule), its priority claims and its designations. Under PCT Rule 4.9(a) filing the
  request designates every contracting state; ``ALL`` (the default) records exactly that.
* A national phase entry (type digits 8 and 9) links to its international application by the
  normalised international application number; when that application was filed here by the
  same domain, the link also names that case and takes its international filing date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

ALL_STATES = "ALL"


def designations(form: dict[str, Any]) -> list[str]:
    """The designated states; all of them (``["ALL"]``) unless the request lists some."""
    states = [str(s).strip().upper() for s in form.get("designations") or [] if str(s).strip()]
    if not states or ALL_STATES in states:
        return [ALL_STATES]
    return sorted(set(states))


def international_record(form: dict[str, Any], filing_date: dt.date) -> dict[str, Any]:
    return {
        "receiving_office": str(form.get("receiving_office") or "CN").upper(),
        "international_filing_date": filing_date.isoformat(),
        "designations": designations(form),
        "all_states_designated": designations(form) == [ALL_STATES],
        "language": form.get("language") or "zh",
        "priorities": form.get("priorities") or [],
    }


def national_phase_record(db: Db, domain_id: Any, form: dict[str, Any]) -> dict[str, Any]:
    """The link of a national phase entry to its international application."""
    from patentdesk.errors import PatentDeskError
    from patentdesk.filing.models import Case
    from patentdesk.packages.numbers import parse_pct_number

    raw = str(form.get("international_application_number") or "").strip()
    try:
        number = str(parse_pct_number(raw))
    except PatentDeskError:
        number = raw  # validation reports a malformed number before submission gets here
    record: dict[str, Any] = {
        "international_application_number": number or None,
        "international_filing_date": _date(form.get("international_filing_date")),
        "international_publication_number": form.get("international_publication_number"),
        "entry_kind": form.get("entry_kind") or "invention",
        "international_case_id": None,
    }
    if number:
        linked = db.scalar(
            select(Case).where(Case.application_number == number, Case.kind == "pct")
        )
        if linked is not None and linked.domain_id == domain_id:
            record["international_case_id"] = str(linked.id)
            record["international_filing_date"] = (
                record["international_filing_date"] or linked.filing_date.isoformat()
            )
    return record


def _date(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if value else None


def case_links(case: Any) -> dict[str, Any]:
    """What GET /api/v1/cases/{id} shows about the case's international application."""
    record = case.bibliographic or {}
    if case.kind == "pct":
        return {
            "international_application_number": case.international_number,
            "international_filing_date": case.filing_date.isoformat(),
            "designations": record.get("designations", [ALL_STATES]),
        }
    if case.kind == "pct-national":
        return {
            "international_application_number": record.get("international_application_number"),
            "international_filing_date": record.get("international_filing_date"),
            "international_case_id": record.get("international_case_id"),
        }
    return {}
