"""Submission (提交): verify the package, check the signer's right to submit in the domain,
validate, assign the application number and filing date in one transaction, sign a receipt.

Everything that does not need the application number (reading and verifying the package,
the validation rules, the fee sheet) happens first, in a reader that takes no write lock.
The write transaction then holds only the idempotency check, the number, the inserts, the
receipt record's signature and the audit entry. The receipt PDF is rendered on its first
download (it is a function of the signed record).

The same idempotency key (by default the package's SHA-256) returns the same result, never a
second number; the same application package signed again is refused — the unique indexes
decide between two that race in from two workers. Follow-up business attaches to an
existing application.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import (
    MAIN_CANNOT_SIGN,
    Actor,
    Permission,
    UserIdLookupFailed,
    authorize,
    can_see_domain,
)
from patentdesk.blobs import BlobStore
from patentdesk.config import Settings
from patentdesk.db import Database, new_id
from patentdesk.filing import floors, followups, receipts, thirdparty
from patentdesk.filing.allocation import next_serial
from patentdesk.filing.errors import (
    ApplicationNotFound,
    IdempotencyKeyReused,
    NoGrantedPatent,
    NotGranted,
    NoticeOfAnotherApplication,
    PackageAlreadyFiled,
    PackageInvalid,
    PackageUnsigned,
    RejectionNoticeUnknown,
    SignerNotInDomain,
)
from patentdesk.filing.models import Case, Receipt, Submission
from patentdesk.identity.models import Role
from patentdesk.identity.service import Context
from patentdesk.notices.models import Notice
from patentdesk.notices.types import is_rejection_decision
from patentdesk.orgs.models import Domain
from patentdesk.packages import Package, ValidationContext, get_business_type, numbers, read_package
from patentdesk.packages.registry import BusinessType
from patentdesk.pki.signing import SignerClaim, verify_package_signature
from patentdesk.timeutil import beijing_date, iso, now, to_beijing

APPLICATION_TYPES = ("invention", "utility", "design", "pct", "pct-national")
SIGNING_ROLES = (Role.NATURAL, Role.HANDLER, Role.SUB)


@dataclass
class Outcome:
    submission: Submission
    case: Case
    receipt: Receipt
    replay: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission_id": str(self.submission.id),
            "application_number": self.case.application_number,
            "filing_date": self.case.filing_date.isoformat()
            if self.submission.business_type in APPLICATION_TYPES
            else beijing_date(self.submission.received_at).isoformat(),
            "application_filing_date": self.case.filing_date.isoformat()
            if _may_read_case(self.case, self.submission)
            else None,
            "filed_at": iso(self.submission.received_at),
            "business_type": self.submission.business_type,
            "receipt_id": str(self.receipt.id),
            "status": self.submission.status,
            "replay": self.replay,
        }


def _may_read_case(case: Case, submission: Submission) -> bool:
    """Whether the submitter's domain may read the case's bibliographic data: its own case,
    or a granted (published) patent."""
    return submission.domain_id == case.domain_id or case.status == "granted"


def existing(db: Db, actor: Actor, key: str) -> Outcome | None:
    sub = db.scalar(
        select(Submission).where(
            Submission.domain_id == actor.domain_id, Submission.idempotency_key == key
        )
    )
    if sub is None:
        return None
    case = thirdparty.case_of(db, sub)
    receipt = db.scalar(select(Receipt).where(Receipt.submission_id == sub.id))
    assert receipt is not None
    return Outcome(sub, case, receipt, replay=True)


@dataclass
class Prepared:
    """A verified, validated package: everything its filing needs but the number."""

    business: BusinessType
    package_id: str
    manifest: dict[str, Any]
    forms: dict[str, Any]
    form: dict[str, Any]
    files: list[dict[str, Any]]
    signer: SignerClaim
    fee_sheet: dict[str, Any] | None
    warnings: list[Any]
    filing_date: dt.date
    received: dt.datetime
    key: str
    package_sha256: str
    package_size: int

    @property
    def is_application(self) -> bool:
        return self.business.name in APPLICATION_TYPES


def submit(
    database: Database,
    ctx: Context,
    actor: Actor | None,
    *,
    blobs: BlobStore,
    package_sha256: str,
    package_size: int,
    idempotency_key: str | None = None,
    received_at: dt.datetime | None = None,
) -> Outcome:
    """Files a stored, signed package. ``received_at`` is when its last byte reached the
    office (the filing instant; now by default): verification takes time and must not move
    the filing date."""
    actor = authorize(actor, Permission.CASE_SUBMIT)
    received = received_at or now()
    key = (idempotency_key or package_sha256).strip()[:128]
    with database.unit_of_work(write=False) as db:
        previous = _replay(db, actor, key, package_sha256)
        if previous is not None:
            return previous
        prepared = _prepare(db, ctx, actor, blobs, key, package_sha256, package_size, received)
        if prepared.is_application:
            _not_filed_before(db, actor, prepared.package_id)  # the common case, lock-free
    try:
        with database.unit_of_work() as db:
            outcome = _record(db, ctx, actor, prepared)
    except IntegrityError:
        # Another worker filed the same key or the same package since the reader looked:
        # answer as a sequential duplicate is answered.
        with database.unit_of_work(write=False) as db:
            previous = _replay(db, actor, key, package_sha256)
            if previous is not None:
                return previous
            if prepared.is_application:
                _not_filed_before(db, actor, prepared.package_id)
            if prepared.business.name == "reexam":
                serial = str(prepared.form.get("rejection_notice_serial") or "").strip()
                followups.one_live_reexamination(db, serial)
        raise
    if prepared.is_application and not outcome.replay:
        # Committed: now the marker a restore of an older database will see (outside the
        # write transaction, which only allocates and inserts).
        floors.mark_issued(blobs, outcome.case.application_number)
    return outcome


def _replay(db: Db, actor: Actor, key: str, package_sha256: str) -> Outcome | None:
    previous = existing(db, actor, key)
    if previous is not None and previous.submission.package_sha256 != package_sha256:
        raise IdempotencyKeyReused()
    return previous


def _prepare(
    db: Db,
    ctx: Context,
    actor: Actor,
    blobs: BlobStore,
    key: str,
    package_sha256: str,
    package_size: int,
    received: dt.datetime,
) -> Prepared:
    """Reads the package once: signatures, the rules, the fee sheet."""
    claims: list[SignerClaim] = []

    def verify(manifest: bytes, der: bytes) -> SignerClaim:
        claim = verify_package_signature(db, ctx, der, manifest)
        claims.append(claim)
        return claim

    # Streamed from the store (a seekable reader, never the whole package in memory).
    stream = blobs.open(package_sha256)
    try:
        package = read_package(stream, verify_signature=verify)
    except BaseException:
        stream.close()
        raise
    try:
        business = get_business_type(package.business_type)  # refuses IC layout designs (C5)
        signer = _signer(actor, claims)
        filing_date = beijing_date(received)  # the server's clock in Beijing; never the client's
        report = _validate(package, actor, filing_date)
        return Prepared(
            business=business,
            package_id=package.package_id,
            manifest=package.manifest.model_dump(mode="json"),
            forms=package.forms,
            form=package.form,
            files=[
                {"name": f.path, "role": f.role, "sha256": f.sha256, "size": f.size}
                for f in package.files
            ],
            signer=signer,
            fee_sheet=_fee_sheet(db, package, filing_date, ctx.settings.data),
            warnings=report.warnings,
            filing_date=filing_date,
            received=received,
            key=key,
            package_sha256=package_sha256,
            package_size=package_size,
        )
    finally:
        package.close()
        stream.close()


def _not_filed_before(db: Db, actor: Actor, package_id: str) -> None:
    """Signing a package again changes its bytes but not its id: the same application
    package submitted again (not a retry, which the idempotency key answers) would get a
    second number for one invention. One the office refused may be filed again."""
    earlier = db.scalar(
        select(Submission)
        .where(
            Submission.domain_id == actor.domain_id,
            Submission.package_id == package_id,
            Submission.business_type.in_(APPLICATION_TYPES),
            Submission.status != "refused",
        )
        .limit(1)
    )
    if earlier is None:
        return
    case = db.get(Case, earlier.case_id)
    assert case is not None
    raise PackageAlreadyFiled(
        number=case.application_number,
        filed=to_beijing(earlier.received_at).strftime("%Y-%m-%d %H:%M"),
        details={"application_number": case.application_number, "case_id": str(case.id)},
    )


def _signer(actor: Actor, claims: list[SignerClaim]) -> SignerClaim:
    if not claims:
        raise PackageUnsigned()
    for claim in claims:
        if claim.record.role == Role.MAIN:
            raise UserIdLookupFailed(
                "查询用户 ID 失败：" + MAIN_CANNOT_SIGN[0],
                "User ID lookup failed: " + MAIN_CANNOT_SIGN[1],
            )
    for claim in claims:
        if claim.record.domain_id == actor.domain_id and claim.record.role in SIGNING_ROLES:
            return claim
    raise SignerNotInDomain()


def _record(db: Db, ctx: Context, actor: Actor, p: Prepared) -> Outcome:
    """The write transaction: the number, the rows, the receipt record, the audit entry.
    The reader checked the key and the package; should another worker have filed either
    since, the unique indexes refuse this insert and :func:`submit` answers as it answers a
    sequential duplicate (the number taken here rolls back with it)."""
    business, form = p.business, p.form
    if p.is_application:
        case = _new_case(db, ctx, actor, business.name, form, p.received, p.filing_date)
    else:
        case = _target_case(db, ctx, actor, business.name, form, p.filing_date)
    domain = db.get(Domain, actor.domain_id)
    submission = Submission(
        id=new_id(),
        case_id=case.id,
        domain_id=actor.domain_id,
        business_type=business.name,
        idempotency_key=p.key,
        package_sha256=p.package_sha256,
        package_id=p.package_id,
        package_size=p.package_size,
        manifest=p.manifest,
        forms=p.forms,
        fee_sheet=p.fee_sheet,
        signer_user_id=p.signer.record.user_id,
        signer_name=p.signer.verified.name or "",
        signer_certificate_serial=str(p.signer.verified.serial),
        signer_role=p.signer.record.role,
        submitted_by_user_id=actor.user_id,
        submitted_by_sub_account_id=actor.sub_account_id,
        received_at=p.received,
        related_notice_serial=_related_serial(form),
    )
    db.add(submission)
    db.flush()  # the unique indexes decide here: the same key or package filed meanwhile
    receipt = _receipt(db, ctx, actor, case, submission, p.files, domain, business.zh)
    audit.record(
        db,
        "case.submitted",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"submission:{submission.id}",
        application=case.application_number,
        business=business.name,
    )
    return Outcome(submission, case, receipt)


def _related_serial(form: dict[str, Any]) -> str | None:
    value = form.get("notice_serial") or form.get("rejection_notice_serial")
    return str(value).strip() if value else None


def _validate(package: Package, actor: Actor, filing_date: dt.date) -> Any:
    from patentdesk.packages import validate

    report = validate(
        package,
        ValidationContext(
            role=actor.role,
            org_kind=actor.org_kind,
            filing_date=filing_date,
            user_id=str(actor.user_id),
            user_name=actor.name,
            submitting=True,
        ),
    )
    if not report.ok:
        raise PackageInvalid(count=len(report.errors), details=report.to_dict())
    return report


def _new_case(
    db: Db,
    ctx: Context,
    actor: Actor,
    business: str,
    form: dict[str, Any],
    received: dt.datetime,
    filing_date: dt.date,
) -> Case:
    international = None
    if business == "pct":
        serial = next_serial(db, f"PCT-CN-{filing_date.year}")
        number = numbers.format_pct_number(filing_date.year, serial)
        international = number
    else:
        digit = numbers.type_digit_for(
            "pct-national-utility"
            if business == "pct-national" and form.get("entry_kind") == "utility"
            else business
        )
        serial = next_serial(db, f"{filing_date.year}-{digit}")
        number = numbers.format_application_number(filing_date.year, digit, serial)
    case = Case(
        id=new_id(),  # known now: the submission refers to it before anything is flushed
        domain_id=actor.domain_id,
        org_id=actor.org_id,
        application_number=number,
        kind=business,
        title=str(form.get("title") or "")[:200],
        internal_number=form.get("internal_number"),
        applicants=[_party(a) for a in form.get("applicants", [])],
        inventors=[_party(i) for i in form.get("inventors", [])],
        bibliographic={
            "applicants": form.get("applicants", []),
            "inventors": form.get("inventors", []),
            "agency": form.get("agency"),
            "international_application_number": form.get("international_application_number"),
            **_pct_record(db, actor, business, form, filing_date),
        },
        status="submitted",
        filing_date=filing_date,
        filed_at=received,
        international_number=international,
        submitted_by_user_id=actor.user_id,
        submitted_by_sub_account_id=actor.sub_account_id,
        environment=ctx.settings.environment,
    )
    db.add(case)
    return case


def _pct_record(
    db: Db, actor: Actor, business: str, form: dict[str, Any], filing_date: dt.date
) -> dict[str, Any]:
    """PCT: designations (all states by default) and the international filing date; a
    national phase entry's link to its international application (E1)."""
    from patentdesk.fees import pct

    if business == "pct":
        return pct.international_record(form, filing_date)
    if business == "pct-national":
        return pct.national_phase_record(db, actor.domain_id, form)
    return {}


def _party(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry.get(k) for k in ("name", "country") if entry.get(k) is not None}


def find_case(db: Db, number_text: str | None) -> Case | None:
    if not number_text:
        return None
    text = number_text.strip().upper()
    if text.startswith("PCT/"):
        return db.scalar(select(Case).where(Case.application_number == text))
    if text.startswith("ZL"):
        text = text[2:]
    try:
        parsed = numbers.parse_application_number(text, allow_without_check=True)
    except Exception:  # a malformed number is simply not found
        return None
    return db.scalar(select(Case).where(Case.application_number == str(parsed)))


def known_notice(db: Db, actor: Actor, serial: str) -> Notice | None:
    """A notice the user's domain has received through this system: issued to it here, or
    (legacy) downloaded again from the cloud or confirmed (C10)."""
    notice = db.scalar(
        select(Notice).where(Notice.serial == serial.strip(), Notice.domain_id == actor.domain_id)
    )
    if notice is None:
        return None
    if (
        notice.source == "legacy"
        and notice.first_downloaded_at is None
        and notice.confirmed_at is None
    ):
        return None
    return notice


def _target_case(
    db: Db,
    ctx: Context,
    actor: Actor,
    business: str,
    form: dict[str, Any],
    filing_date: dt.date,
) -> Case:
    """The case a follow-up names, checked against the law (:mod:`.followups`)."""
    policy = ctx.settings.delivery_rule
    number = (
        form.get("patent_number") if business == "invalidation" else form.get("application_number")
    )
    case = find_case(db, number)
    if business == "invalidation":
        # Anyone may request invalidation of a granted patent, whoever owns it; to anyone
        # else an unknown number and an ungranted one are the same answer (no probing).
        if case is not None and can_see_domain(actor, case.domain_id, Permission.CASE_VIEW):
            if case.status != "granted":
                raise NotGranted(number=case.application_number)
            followups.check_invalidation(case, actor.domain_id)
        elif case is None or case.status != "granted":
            raise NoGrantedPatent(number=number or "-")
        return case
    if business == "change" and form.get("kind") == "third_party":
        # 第三方变更: filed by someone outside the case's domain (a new owner, a new agency);
        # the office decides, and the case moves to the filer only when it accepts (C4). A
        # number nobody holds is received alike, and refused by the office (thirdparty.py).
        if case is None:
            canonical = thirdparty.canonical_number(number)
            if canonical is None:
                raise ApplicationNotFound(number=number or "-")
            return thirdparty.unknown_case(canonical)
        return case
    rejection: Notice | None = None
    if business == "reexam":
        rejection = known_notice(db, actor, str(form.get("rejection_notice_serial") or ""))
        if rejection is None or not is_rejection_decision(rejection.code):
            raise RejectionNoticeUnknown()
        if case is None:
            # The decision cites an application this system does not know by that number:
            # a legacy one (A11), or the wrong number.
            if thirdparty.canonical_number(number) != rejection.application_number:
                raise NoticeOfAnotherApplication(
                    serial=rejection.serial, other=rejection.application_number, number=number
                )
            if rejection.case_id is not None:
                case = db.get(Case, rejection.case_id)
            else:
                case = _case_from_legacy_notice(db, actor, rejection)
    if case is None or not can_see_domain(actor, case.domain_id, Permission.CASE_VIEW):
        raise ApplicationNotFound(number=number or "-")
    if rejection is not None:
        followups.check_reexamination(db, rejection, case, number, filing_date, policy)
    if business == "response" and form.get("notice_serial"):
        notice = known_notice(db, actor, str(form["notice_serial"]))
        if notice is None:
            raise ApplicationNotFound(
                "通知书 {number} 不存在或不属于该申请",
                "Notice {number} does not exist or is not of this case",
                number=form["notice_serial"],
            )
        followups.check_response(notice, case, number, filing_date, policy)
    return case


def _case_from_legacy_notice(db: Db, actor: Actor, notice: Notice) -> Case:
    """An application filed before this system, known only from migrated notices (A11)."""
    parsed = numbers.parse_application_number(notice.application_number)
    kinds = {1: "invention", 2: "utility", 3: "design", 8: "pct-national", 9: "pct-national"}
    filed = dt.datetime(parsed.year, 1, 1, tzinfo=dt.UTC)
    case = Case(
        domain_id=notice.domain_id,
        org_id=actor.org_id,
        application_number=str(parsed),
        kind=kinds.get(parsed.type_digit, "invention"),
        title=notice.title or "",
        status="legacy",
        filing_date=filed.date(),
        filed_at=filed,
        submitted_by_user_id=actor.user_id,
        environment="legacy",
        bibliographic={"source": "legacy"},
    )
    db.add(case)
    db.flush()
    notice.case_id = case.id
    return case


def _fee_sheet(
    db: Db, package: Package, filing_date: dt.date, data_dir: Path
) -> dict[str, Any] | None:
    """The fee calculation sheet (费用计算页) by the schedule in force on the filing date,
    among the bundled schedules and those the operators added (shared in the database)."""
    from patentdesk.errors import PatentDeskError as _Err
    from patentdesk.fees import calculate
    from patentdesk.fees.adapter import fee_input_from_verified

    try:
        sheet = calculate(fee_input_from_verified(package), filing_date, data_dir=data_dir, db=db)
    except _Err:
        return None  # business without fees, or nothing to charge yet
    data: dict[str, Any] = sheet.to_json()
    return data if data.get("items") else None


def _receipt(
    db: Db,
    ctx: Context,
    actor: Actor,
    case: Case,
    submission: Submission,
    files: list[dict[str, Any]],
    domain: Domain | None,
    business_name: str,
) -> Receipt:
    receipt_id = uuid.uuid4()
    public = _may_read_case(case, submission)
    record = {
        "type": "200105",
        "receipt_id": str(receipt_id),
        "submission_id": str(submission.id),
        "application_number": case.application_number,
        "filing_date": (
            case.filing_date
            if submission.business_type in APPLICATION_TYPES
            else beijing_date(submission.received_at)
        ).isoformat(),
        "filed_at": to_beijing(submission.received_at).isoformat(),
        "business_type": submission.business_type,
        "business_name": business_name,
        # A third party (a change or an invalidation from another domain) learns nothing of
        # the case but what is public: bibliographic data once granted, never the owner's
        # internal docket number.
        "title": case.title if public else None,
        "applicants": [a.get("name") for a in case.applicants if a.get("name")] if public else [],
        "internal_number": case.internal_number if submission.domain_id == case.domain_id else None,
        "files": files,
        "package_sha256": submission.package_sha256,
        "signer": {
            "name": submission.signer_name,
            "role": submission.signer_role,
            "certificate_serial": submission.signer_certificate_serial,
        },
        "submitter": {
            "name": actor.name,
            "role": str(actor.role),
            "domain": domain.name if domain else None,
        },
        "environment": ctx.settings.environment,
        "fee_sheet": submission.fee_sheet,
    }
    record_bytes, signature = receipts.sign_record(ctx.settings, record)
    row = Receipt(
        id=receipt_id,
        submission_id=submission.id,
        case_id=case.id,
        domain_id=submission.domain_id,
        record_json=record_bytes.decode(),
        record_signature=signature,
    )
    db.add(row)  # flushed with the audit entry
    return row


# ---------------------------------------------------------------- reading receipts and cases


def get_receipt(db: Db, actor: Actor, receipt_id: uuid.UUID) -> Receipt:
    """Every user of the submitting domain may download it (A9); nobody else sees it."""
    authorize(actor, Permission.RECEIPT_DOWNLOAD)
    receipt = db.get(Receipt, receipt_id)
    if receipt is None or not can_see_domain(actor, receipt.domain_id, Permission.RECEIPT_DOWNLOAD):
        raise ApplicationNotFound("回执不存在", "No such receipt", number="-")
    return receipt


def receipt_files(
    db: Db, settings: Settings, blobs: BlobStore, row: Receipt
) -> receipts.SignedReceipt:
    """The receipt's four files; its PDF is rendered and stored on the first download (a
    GET: the reader's write may run again as a writer, see :mod:`patentdesk.readwrite`)."""
    if row.pdf_sha256 is None:
        pdf, pdf_signature = receipts.store_pdf(blobs, settings, row.record_json)
        # Two first downloads at once both render the same PDF; the first one stored wins.
        db.execute(
            update(Receipt)
            .where(Receipt.id == row.id, Receipt.pdf_sha256.is_(None))
            .values(pdf_sha256=pdf, pdf_signature_sha256=pdf_signature)
        )
        db.refresh(row)
    return receipts.load(blobs, row)


def get_case(db: Db, actor: Actor, case_id: uuid.UUID) -> Case:
    authorize(actor, Permission.CASE_VIEW)
    case = db.get(Case, case_id)
    if case is None or not can_see_domain(actor, case.domain_id, Permission.CASE_VIEW):
        raise ApplicationNotFound(number=str(case_id))
    return case


def case_by_number(db: Db, actor: Actor, number: str) -> Case:
    authorize(actor, Permission.CASE_VIEW)
    case = find_case(db, number)
    if case is None or not can_see_domain(actor, case.domain_id, Permission.CASE_VIEW):
        raise ApplicationNotFound(number=number)
    return case
