"""Fees paid (已缴费用) for the statistics: confirmed payments of the actor's domain only,
months in Beijing time (both databases)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal

from patentdesk.fees.models import FeePayment
from patentdesk.fees.paid import fees_paid
from patentdesk.identity.models import Role
from patentdesk.identity.service import authenticate
from patentdesk.query import providers
from tests.support.cases import add_case, agency_desk


def _payment(db, case, method, status, fen, confirmed_at=None):
    with db.unit_of_work() as s:
        s.add(
            FeePayment(
                case_id=case.id,
                domain_id=case.domain_id,
                method=method,
                status=status,
                amount_fen=fen,
                paid_fen=fen if status == "confirmed" else None,
                created_by_user_id=case.submitted_by_user_id,
                confirmed_at=confirmed_at,
                gateway_reference=uuid.uuid4().hex,
            )
        )


def _utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_only_confirmed_payments_of_the_domain_count_by_method_and_beijing_month(world, db):
    d = agency_desk(world)
    mine = add_case(db, d.main_domain, d.sub_person.user_id)
    theirs = add_case(db, d.branch_domain, d.branch_person.user_id)
    # 2026-04-30 17:00 UTC is 2026-05-01 01:00 in Beijing: a May payment.
    _payment(db, mine, "online-banking", "confirmed", 90000, _utc(2026, 4, 30, 17, 0))
    _payment(db, mine, "online-banking", "confirmed", 25050, _utc(2026, 4, 30, 15, 59))
    _payment(db, mine, "authorized-deduction", "confirmed", 100000, _utc(2026, 5, 2, 1, 0))
    _payment(db, mine, "online-banking", "pending", 70000)
    _payment(db, mine, "online-banking", "failed", 80000)
    _payment(db, theirs, "payment-notice", "confirmed", 500000, _utc(2026, 3, 1, 1, 0))
    with db.unit_of_work() as s:
        sub = authenticate(s, d.tokens["sub"])
        branch = authenticate(s, d.tokens["branch_sub"])
        assert sub is not None and branch is not None
        ours = [(f.key, f.label, f.payments, f.paid_fen) for f in fees_paid(s, sub) or []]
        other = [(f.key, f.label_en, f.payments, f.paid_fen) for f in fees_paid(s, branch) or []]
        office = fees_paid(s, replace(sub, role=Role.OFFICE, domain_id=None))
    assert ours == [
        ("total", "合计（已到账）", 3, 215050),
        ("method:online-banking", "网银缴费", 2, 115050),
        ("method:authorized-deduction", "授权扣款", 1, 100000),
        ("month:2026-04", "2026年4月", 1, 25050),
        ("month:2026-05", "2026年5月", 2, 190000),
    ]
    assert other == [
        ("total", "Total (confirmed)", 1, 500000),
        ("method:payment-notice", "By payment notice", 1, 500000),
        ("month:2026-03", "2026-03", 1, 500000),
    ]
    assert office is None  # fees are the domain's: not available, not a zero


def test_a_domain_without_payments_has_a_real_zero_in_yuan(world, db):
    d = agency_desk(world)
    with db.unit_of_work() as s:
        sub = authenticate(s, d.tokens["sub"])
        assert sub is not None
        counts = providers.fees_paid(s, sub)
    assert counts is not None
    assert [(c.key, c.count, c.amount) for c in counts] == [("total", 0, Decimal(0))]
    assert counts[0].amount_text() == "0.00"
