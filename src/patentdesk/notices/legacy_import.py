"""Legacy migration (A11): notices of a legacy archive go into the organisation's main
institution domain, received there by its handlers. Idempotent: a notice whose dispatch
serial is already known is skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.blobs import BlobStore
from patentdesk.errors import NotFound
from patentdesk.filing.models import Case
from patentdesk.identity.service import Context
from patentdesk.notices.deadlines import delivery_date, response_deadline, rule_for
from patentdesk.notices.legacy import open_legacy_archive
from patentdesk.notices.models import Notice
from patentdesk.orgs.models import Organisation
from patentdesk.orgs.service import main_domain
from patentdesk.timeutil import UTC


@dataclass
class ImportReport:
    org_id: str
    imported: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


def find_org(db: Db, ref: str) -> Organisation:
    ref = ref.strip()
    org = db.scalar(
        select(Organisation).where(
            (Organisation.uscc == ref.upper())
            | (Organisation.name == ref)
            | (Organisation.agency_code == ref)
        )
    )
    if org is None:
        import uuid

        try:
            org = db.get(Organisation, uuid.UUID(ref))
        except ValueError:
            org = None
    if org is None:
        raise NotFound("机构不存在：{r}", "No such organisation: {r}", r=ref)
    return org


def import_archive(
    db: Db, ctx: Context, path: Path, org_ref: str, blobs: BlobStore
) -> ImportReport:
    org = find_org(db, org_ref)
    domain = main_domain(db, org.id)
    report = ImportReport(org_id=str(org.id))
    import datetime as dt

    with open_legacy_archive(path) as archive:
        report.warnings.extend(archive.warnings)
        for item in archive.notices:
            if db.scalar(select(Notice.id).where(Notice.serial == item.serial)):
                report.skipped += 1
                continue
            case = db.scalar(select(Case).where(Case.application_number == item.application_number))
            # The old client fetched them from the electronic system: served
            # electronically, by the rule in force on their dispatch date.
            rule = rule_for(ctx.settings.delivery_rule, "electronic", item.dispatched_on)
            deadline = None
            if item.known_type:
                deadline = response_deadline(
                    item.code, item.dispatched_on, rule, item.dispatched_on
                )
            notice = Notice(
                serial=item.serial,
                code=item.code,
                name=item.name,
                case_id=case.id if case and case.domain_id == domain.id else None,
                application_number=item.application_number,
                title=item.title,
                domain_id=domain.id,
                dispatched_at=dt.datetime.combine(item.dispatched_on, dt.time(), tzinfo=UTC),
                dispatch_date=item.dispatched_on,
                delivered_on=delivery_date(item.dispatched_on, rule, item.dispatched_on),
                delivery="electronic",
                deadline=deadline,
                pdf_sha256=blobs.put_bytes(archive.read_pdf(item)),
                source="legacy",
                data={"warnings": list(item.warnings)},
            )
            db.add(notice)
            report.imported += 1
            report.warnings.extend(f"{item.serial}: {w}" for w in item.warnings)
    db.flush()
    audit.record(
        db,
        "notices.legacy_imported",
        environment=ctx.settings.environment,
        target=f"org:{org.id}",
        imported=report.imported,
        skipped=report.skipped,
        archive=path.name,
    )
    return report
