"""Deadlines, hand-checked against the State Council holiday arrangements:

2024 春节 Feb 10–17 off, Sun Feb 4 and Sun Feb 18 worked; 国庆 Oct 1–7 off, Sun Sep 29 and
Sat Oct 12 worked; 劳动节 May 1–5 off, Sun Apr 28 and Sat May 11 worked.
2025 春节 Jan 28–Feb 4 off, Sun Jan 26 and Sat Feb 8 worked; 国庆/中秋 Oct 1–8 off, Sun Sep 28
and Sat Oct 11 worked.
2026 春节 Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked; 国庆 Oct 1–7 off, Sun Sep 20 and
Sat Oct 10 worked.
"""

from datetime import date

import pytest
import yaml

from patentdesk.notices import deadlines as dl
from patentdesk.notices import types as nt

D = date


@pytest.mark.parametrize(
    ("code", "dispatched", "rule", "expected", "why"),
    [
        # --- 2024 Spring Festival
        ("210301", D(2023, 12, 10), "electronic", D(2024, 2, 18), "Feb 10 春节 → Sun 18 worked"),
        ("210302", D(2023, 12, 4), "electronic", D(2024, 2, 4), "Sun Feb 4 is a working day"),
        ("210401", D(2023, 9, 26), "classic", D(2024, 2, 18), "Oct 11 + 4 months = Feb 11"),
        # --- 2024 National Day
        ("200029", D(2024, 8, 1), "electronic", D(2024, 10, 8), "Oct 1 → Tue Oct 8"),
        ("210403", D(2024, 7, 14), "classic", D(2024, 9, 29), "Jul 29 + 2m: Sun Sep 29 worked"),
        ("210301", D(2024, 8, 12), "electronic", D(2024, 10, 12), "Sat Oct 12 worked"),
        ("210301", D(2024, 8, 13), "electronic", D(2024, 10, 14), "plain Sunday → Monday"),
        # --- 2025 Spring Festival and National Day
        ("210407", D(2024, 10, 28), "electronic", D(2025, 2, 5), "Jan 28 除夕 → Wed Feb 5"),
        ("200305", D(2024, 10, 11), "classic", D(2025, 1, 26), "Oct 26 + 3m: Sun Jan 26 worked"),
        ("210302", D(2025, 8, 3), "electronic", D(2025, 10, 9), "Oct 3 → Thu Oct 9"),
        ("210401", D(2025, 5, 20), "classic", D(2025, 10, 9), "Jun 4 + 4m = Sat Oct 4"),
        ("210301", D(2025, 8, 11), "electronic", D(2025, 10, 11), "Sat Oct 11 worked"),
        # --- 2026 Spring Festival and National Day
        ("210301", D(2025, 12, 15), "electronic", D(2026, 2, 24), "Sun Feb 15 → Tue Feb 24"),
        ("210302", D(2025, 12, 14), "electronic", D(2026, 2, 14), "Sat Feb 14 worked"),
        ("210301", D(2025, 12, 31), "electronic", D(2026, 2, 28), "clamped to Sat Feb 28, worked"),
        ("200029", D(2026, 8, 5), "electronic", D(2026, 10, 8), "Mon Oct 5 → Thu Oct 8"),
        ("210302", D(2026, 7, 20), "electronic", D(2026, 9, 20), "Sun Sep 20 worked"),
        # --- month ends and leap years
        ("200908", D(2025, 1, 31), "electronic", D(2025, 2, 28), "Jan 31 + 1 month"),
        ("200908", D(2024, 1, 31), "electronic", D(2024, 2, 29), "leap year"),
        ("200908", D(2023, 1, 31), "electronic", D(2023, 2, 28), "not a leap year"),
        ("210301", D(2024, 2, 29), "electronic", D(2024, 4, 29), "Feb 29 + 2 months"),
        ("210301", D(2023, 12, 31), "electronic", D(2024, 2, 29), "Dec 31 + 2m, leap"),
        ("210301", D(2024, 12, 20), "classic", D(2025, 3, 4), "delivered Sat Jan 4: no shift"),
        ("210301", D(2024, 3, 31), "electronic", D(2024, 5, 31), "May 31 Fri"),
    ],
)
def test_response_deadline(code, dispatched, rule, expected, why):
    assert dl.response_deadline(code, dispatched, rule) == expected, why


def test_electronic_delivery_date_given():
    # Delivered Tue Mar 5 2024: + 2 months = Sun May 5 (劳动节 block) → Mon May 6.
    assert dl.response_deadline("210301", D(2024, 3, 1), "electronic", D(2024, 3, 5)) == D(
        2024, 5, 6
    )


def test_classic_ignores_delivered_on_and_counts_15_days():
    assert dl.delivery_date(D(2024, 2, 20), "classic") == D(2024, 3, 6)
    assert dl.delivery_date(D(2023, 2, 20), "classic") == D(2023, 3, 7)
    assert dl.delivery_date(D(2024, 2, 20), "classic", D(2024, 2, 21)) == D(2024, 3, 6)


def test_electronic_delivery_defaults_to_dispatch():
    assert dl.delivery_date(D(2024, 2, 10), "electronic") == D(2024, 2, 10)
    assert dl.delivery_date(D(2024, 2, 10), "electronic", D(2024, 2, 12)) == D(2024, 2, 12)


def test_delivery_before_dispatch_refused():
    with pytest.raises(dl.DeliveryDateInvalid, match="早于发文日"):
        dl.delivery_date(D(2024, 2, 10), "electronic", D(2024, 2, 9))


def test_bad_rule_refused():
    with pytest.raises(dl.DeliveryRuleInvalid, match="postal"):
        dl.delivery_date(D(2024, 2, 10), "postal")  # type: ignore[arg-type]


def test_types_without_period_have_no_deadline():
    assert dl.response_deadline("200101", D(2024, 2, 10), "classic") is None
    assert dl.explain_deadline("210413", D(2024, 2, 10), "electronic") is None


def test_unknown_code():
    with pytest.raises(nt.UnknownNoticeType, match="999999"):
        dl.response_deadline("999999", D(2024, 2, 10), "classic")


def test_explanation_names_the_days_skipped():
    got = dl.explain_deadline("210301", D(2023, 12, 10), "electronic")
    assert got is not None
    assert (got.delivered_on, got.period_end, got.due_on) == (
        D(2023, 12, 10),
        D(2024, 2, 10),
        D(2024, 2, 18),
    )
    assert [d for d, _ in got.skipped] == [D(2024, 2, day) for day in range(10, 18)]
    assert got.skipped[0][1] == "春节"


def test_working_days():
    assert dl.is_working_day(D(2024, 2, 4))  # 调休 Sunday
    assert not dl.is_working_day(D(2024, 2, 15))  # 调休 Thursday off
    assert not dl.is_working_day(D(2024, 2, 17))  # a plain Saturday
    assert dl.is_working_day(D(2024, 2, 19))
    assert dl.next_working_day(D(2024, 10, 1)) == D(2024, 10, 8)
    assert dl.next_working_day(D(2024, 10, 8)) == D(2024, 10, 8)


def test_add_months_clamps():
    assert dl.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert dl.add_months(D(2024, 11, 30), 3) == D(2025, 2, 28)
    assert dl.add_months(D(2024, 10, 31), 4) == D(2025, 2, 28)
    assert dl.add_months(D(2024, 5, 31), 1) == D(2024, 6, 30)
    assert dl.add_months(D(2024, 12, 15), 14) == D(2026, 2, 15)


def test_period_in_days(monkeypatch):
    custom = nt.load_notice_types(
        """
source: test
effective: 2024-01-20
types:
  - code: "299999"
    name_zh: 测试通知书
    name_en: Test
    period: {days: 10}
    template_zh: "{application_number}"
"""
    )
    monkeypatch.setattr(nt, "_registry", lambda: custom)
    # Electronic, dispatched Sun Sep 22 2024 + 10 days = Oct 2 (National Day) → Oct 8.
    assert dl.response_deadline("299999", D(2024, 9, 22), "electronic") == D(2024, 10, 8)


def _overrides(text):
    return dl._parse_overrides(yaml.safe_load(text))


def test_operator_overrides(monkeypatch):
    overrides = _overrides(
        """
days_off: [{date: 2027-03-01, name: 测试休息, source: test}]
workdays: [{date: 2027-03-06, source: test}]
"""
    )
    monkeypatch.setattr(dl, "_overrides", lambda: overrides)
    assert dl.day_off_reason(D(2027, 3, 1)) == "测试休息"
    assert dl.is_working_day(D(2027, 3, 6))  # a Saturday made a working day
    assert dl.next_working_day(D(2027, 2, 27)) == D(2027, 3, 2)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("days_off: [{date: 2027-03-01}]", "source"),
        ("days_off: [{date: nope, source: x}]", "date"),
        (
            "days_off: [{date: 2027-03-01, source: x}]\nworkdays: [{date: 2027-03-01, source: x}]",
            "既是休息日又是工作日",
        ),
    ],
)
def test_bad_overrides_refused(text, fragment):
    with pytest.raises(dl.HolidayDataInvalid, match=fragment):
        _overrides(text)


def test_shipped_overrides_load():
    assert isinstance(dl._overrides(), dl._Overrides)


def test_deadlines_in_window():
    entries = [
        dl.DeadlineEntry("201710601862.3", "210301", "S2", D(2024, 3, 2)),
        dl.DeadlineEntry("201710601862.3", "210302", "S1", D(2024, 3, 1)),
        dl.DeadlineEntry("201710601862.3", "210401", "S3", D(2024, 4, 1)),
    ]
    got = dl.deadlines_in(entries, D(2024, 3, 1), D(2024, 3, 31))
    assert [e.serial for e in got] == ["S1", "S2"]


@pytest.mark.parametrize(
    ("policy", "mode", "dispatched", "rule"),
    [
        ("statutory", "electronic", D(2024, 1, 20), "electronic"),  # the day the rules apply
        ("statutory", "electronic", D(2024, 1, 19), "classic"),  # before: the presumption
        ("statutory", "paper", D(2026, 12, 5), "classic"),
        ("statutory", None, D(2026, 12, 5), "electronic"),
        ("classic", "electronic", D(2026, 12, 5), "classic"),
        ("electronic", "electronic", D(2023, 6, 1), "electronic"),
        ("electronic", "paper", D(2026, 12, 5), "classic"),  # paper has no other rule
    ],
)
def test_the_rule_follows_the_delivery_mode_and_the_dispatch_date(policy, mode, dispatched, rule):
    assert dl.rule_for(policy, mode, dispatched) == rule


def test_an_unknown_mode_or_policy_is_named():
    with pytest.raises(dl.DeliveryRuleInvalid) as err:
        dl.rule_for("statutory", "pigeon", D(2026, 12, 5))
    assert "pigeon" in err.value.en
    with pytest.raises(dl.DeliveryRuleInvalid) as err:
        dl.rule_for("postal", "electronic", D(2026, 12, 5))
    assert "postal" in err.value.en


def test_a_210401_issued_electronically_on_2026_12_05_runs_from_that_day():
    rule = dl.rule_for("statutory", "electronic", D(2026, 12, 5))
    due = dl.response_deadline("210401", D(2026, 12, 5), rule, D(2026, 12, 5))
    assert due == dl.next_working_day(D(2027, 4, 5))
    assert due < D(2027, 4, 20)  # what the +15 day presumption gave
