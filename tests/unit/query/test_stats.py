"""Statistics, the My Desk attention list, and the SVG charts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from patentdesk.identity.service import authenticate
from patentdesk.query import charts, desk, stats
from tests.support.cases import add_case, add_notice, agency_desk

TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def seeded(world, db):
    d = agency_desk(world)
    sub = d.sub["account_id"]
    mk = lambda **kw: add_case(db, d.main_domain, d.sub_person.user_id, **kw)  # noqa: E731
    a = mk(
        status="accepted",
        kind="invention",
        filing_date=dt.date(2026, 1, 9),
        sub_account=sub,
        business_type="invention",
    )
    b = mk(
        status="accepted",
        kind="utility",
        filing_date=dt.date(2026, 1, 20),
        sub_account=sub,
        business_type="utility",
    )
    c = mk(
        status="granted",
        kind="invention",
        filing_date=dt.date(2025, 12, 31),
        business_type="invention",
    )
    add_notice(db, a, "210401", deadline=TODAY, name="第一次审查意见通知书")  # due today
    add_notice(db, b, "210401", deadline=TODAY + dt.timedelta(days=7), confirmed=True)
    add_notice(db, c, "200101", deadline=TODAY + dt.timedelta(days=8), name="专利申请受理通知书")
    add_notice(db, c, "210401", deadline=TODAY - dt.timedelta(days=1))  # overdue: not "due"
    add_notice(db, c, "999999", name="自定义<b>通知</b>")  # an unknown code keeps its name
    # Another domain's case counts nowhere here.
    add_case(db, d.branch_domain, d.branch_person.user_id, business_type="invention")
    with db.unit_of_work() as s:
        actor = authenticate(s, d.tokens["sub"])
    return {"desk": d, "actor": actor}


def test_counts(db, seeded, monkeypatch):
    monkeypatch.setattr(stats, "FEES_PAID_PROVIDERS", [])
    with db.unit_of_work() as s:
        st = stats.compute(s, seeded["actor"], today=TODAY)
    assert st.total_cases == 3
    assert [(c.key, c.label, c.count) for c in st.by_status] == [
        ("accepted", "已受理", 2),
        ("granted", "已授权", 1),
    ]
    assert {c.key: c.count for c in st.by_kind} == {"invention": 2, "utility": 1}
    assert [(c.key, c.label, c.count) for c in st.by_month] == [
        ("2025-12", "2025年12月", 1),
        ("2026-01", "2026年1月", 2),
    ]
    subs = {c.label_en: c.count for c in st.submissions_by_sub_account}
    assert subs == {"代理子账户": 2, "代理子账户 (not a sub-account)": 1}
    notices = {c.key: (c.label, c.label_en, c.count) for c in st.notices_by_type}
    assert notices["210401"][2] == 3
    assert notices["210401"][1].startswith("210401 ") and "第一" not in notices["210401"][1]
    assert notices["999999"] == ("999999 自定义<b>通知</b>", "999999 自定义<b>通知</b>", 1)
    assert {c.key: c.count for c in st.deadlines_due} == {"within_7": 2, "within_30": 3}
    assert st.fees_paid is None  # no provider: not available, never a made-up zero


def test_csv_has_every_section_but_unavailable_ones(db, seeded, monkeypatch):
    monkeypatch.setattr(stats, "FEES_PAID_PROVIDERS", [lambda db, actor: None])
    with db.unit_of_work() as s:
        st = stats.compute(s, seeded["actor"], today=TODAY)
    lines = stats.to_csv(st, "en").splitlines()
    assert lines[0] == "section,key,label,count,amount_cny"
    assert "total_cases,total,Cases in total,3," in lines
    assert "by_kind,utility,Utility model,1," in lines
    assert "deadlines_due,within_30,Due within 30 days,3," in lines
    assert not any(line.startswith("fees_paid") for line in lines)


def test_fees_paid_comes_from_a_registered_provider(db, seeded, monkeypatch):
    figure = stats.Count("total", "合计", "Total", 2, Decimal("12345.6"))
    monkeypatch.setattr(stats, "FEES_PAID_PROVIDERS", [lambda db, actor: [figure]])
    with db.unit_of_work() as s:
        st = stats.compute(s, seeded["actor"], today=TODAY)
    assert st.fees_paid == [figure]
    assert figure.amount_text() == "12,345.60"
    assert "fees_paid,total,Total,2,12345.60" in stats.to_csv(st, "en").splitlines()


def test_fees_paid_is_unavailable_only_when_no_provider_answers(db, seeded, monkeypatch):
    figure = stats.Count("total", "合计", "Total", 0, Decimal(0))
    monkeypatch.setattr(
        stats, "FEES_PAID_PROVIDERS", [lambda db, actor: None, lambda db, actor: [figure]]
    )
    with db.unit_of_work() as s:
        assert stats.compute(s, seeded["actor"], today=TODAY).fees_paid == [figure]


def test_excel_formulas_are_defused():
    assert stats.excel_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert stats.excel_safe("@SUM(A1)") == "'@SUM(A1)"
    assert stats.excel_safe("一种电池") == "一种电池"


def test_attention(db, seeded, monkeypatch):
    monkeypatch.setattr(desk, "PAYMENTS_DUE_PROVIDERS", [])
    monkeypatch.setattr(desk, "DRAFTS_PROVIDERS", [])
    with db.unit_of_work() as s:
        a = desk.attention(s, seeded["actor"], today=TODAY, limit=2)
    assert a.unconfirmed_count == 4
    assert len(a.unconfirmed) == 2
    assert a.deadlines_count == 3
    assert [(n.code, n.days_left) for n in a.deadlines] == [("210401", 0), ("210401", 7)]
    assert a.payments_due is None  # fees are not connected: no made-up number
    assert a.drafts is None  # no drafts provider: the panel says where drafts live


def test_drafts_come_from_a_registered_provider(db, seeded, monkeypatch):
    draft = desk.DraftItem("一种电池", "invention", None, "/drafts/abc")
    monkeypatch.setattr(desk, "DRAFTS_PROVIDERS", [lambda db, actor: [draft]])
    with db.unit_of_work() as s:
        assert desk.attention(s, seeded["actor"], today=TODAY).drafts == [draft]


def test_payments_due_come_from_a_registered_provider(db, seeded, monkeypatch):
    due = desk.PaymentDue("202610000001.X", "申请费", Decimal("900.00"), TODAY)
    monkeypatch.setattr(desk, "PAYMENTS_DUE_PROVIDERS", [lambda db, actor, today: [due]])
    with db.unit_of_work() as s:
        assert desk.attention(s, seeded["actor"], today=TODAY).payments_due == [due]


def test_desk_panel_is_not_for_office_users(db, seeded):
    from dataclasses import replace

    from patentdesk.identity.models import Role

    office = replace(seeded["actor"], role=Role.OFFICE)
    with db.unit_of_work() as s:
        assert desk.desk_panel(s, office) is None
        assert desk.desk_panel(s, seeded["actor"])["query_attention"].unconfirmed_count == 4


def test_charts_escape_every_text():
    svg = charts.bar_chart([("<script>x</script>", 3), ('a"b', 1)], title="<t>", chart_id="c")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and 'data-label="a&quot;b"' in svg
    assert "<title>&lt;t&gt;</title>" in svg
    col = charts.column_chart([("2026-01", 0), ("<m>", 5)], title="m", chart_id="m")
    assert "&lt;m&gt;" in col and "<m>" not in col
    assert charts.bar_chart([], title="empty", chart_id="e").startswith("<svg")
