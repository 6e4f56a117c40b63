"""Fees due of a busy domain: the fee accounts of N cases for the deadline list.

An agency files thousands of cases a year; ``GET /api/v1/deadlines`` computes every case's
fee account of the domain. Prints medians in milliseconds for 100 and 2,000 cases and the
per-case cost ratio (close to 1: linear). Run: python bench/fees_due.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from patentdesk.authz import Actor
from patentdesk.config import Settings
from patentdesk.db import Database, migrate
from patentdesk.fees import FeeInput, calculate
from patentdesk.fees.due import deadline_rows
from patentdesk.fees.models import FeePayment
from patentdesk.filing.models import Case, Submission
from patentdesk.identity.models import Role, User
from patentdesk.identity.service import Context
from patentdesk.orgs.models import Domain
from patentdesk.timeutil import now


def populate(db: Database, cases: int) -> Actor:
    sheet = calculate(FeeInput(business_type="invention", claims=12), dt.date(2024, 5, 6)).to_json()
    with db.unit_of_work() as s:
        user = User(kind="natural", phone="13900000000", name="经办人", password_hash="x")
        s.add(user)
        s.flush()
        domain = Domain(kind="personal", owner_user_id=user.id, name="bench")
        s.add(domain)
        s.flush()
        for i in range(cases):
            case = Case(
                domain_id=domain.id,
                application_number=f"2024101{i:06d}.X",
                kind="invention",
                title=f"案件 {i}",
                filing_date=dt.date(2024, 5, 6),
                filed_at=now(),
                submitted_by_user_id=user.id,
                environment="bench",
            )
            s.add(case)
            s.flush()
            s.add(
                Submission(
                    case_id=case.id,
                    domain_id=domain.id,
                    business_type="invention",
                    idempotency_key=str(i),
                    package_sha256="0" * 64,
                    package_size=1,
                    fee_sheet=sheet,
                    signer_user_id=user.id,
                    signer_name="x",
                    signer_certificate_serial="1",
                    signer_role="natural",
                    submitted_by_user_id=user.id,
                    received_at=now(),
                )
            )
            if i % 2:
                s.add(
                    FeePayment(
                        case_id=case.id,
                        domain_id=domain.id,
                        method="online-banking",
                        status="confirmed",
                        amount_fen=10000,
                        paid_fen=10000,
                        created_by_user_id=user.id,
                    )
                )
        return Actor(user_id=user.id, name="经办人", role=Role.NATURAL, domain_id=domain.id)


def median_ms(db: Database, ctx: Context, actor: Actor, runs: int) -> float:
    samples = []
    for _ in range(runs):
        with db.unit_of_work() as s:
            start = time.perf_counter()
            rows = deadline_rows(s, ctx, actor)
            samples.append((time.perf_counter() - start) * 1000)
    assert rows
    return statistics.median(samples)


def main() -> None:
    results = {}
    for cases in (100, 2000):
        folder = Path(tempfile.mkdtemp())
        settings = Settings(data=folder, environment="bench")
        migrate(settings.sqlalchemy_url)
        db = Database(settings.sqlalchemy_url)
        actor = populate(db, cases)
        results[cases] = median_ms(db, Context(settings), actor, 5)
        db.dispose()
        print(f"fees due of {cases:5d} cases  median {results[cases]:9.1f} ms")
    ratio = (results[2000] / 2000) / (results[100] / 100)
    print(f"per-case cost, 2000 vs 100 cases: {ratio:.2f}x")


if __name__ == "__main__":
    main()
