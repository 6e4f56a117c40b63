"""The query language: one parser for API, portal and CLI; errors name the field."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patentdesk.packages.numbers import format_application_number
from patentdesk.query.language import CaseQuery, Cursor, QueryInvalid, match_number

NUMBER = format_application_number(2017, 1, 601862)  # 201710601862.3


def parse(text: str) -> CaseQuery:
    return CaseQuery.from_query_string(text)


def invalid(text: str) -> QueryInvalid:
    with pytest.raises(QueryInvalid) as info:
        parse(text)
    return info.value


@pytest.mark.parametrize(
    "text",
    [
        NUMBER,
        NUMBER.replace(".", ""),  # check character without the dot
        NUMBER[:12],  # no check character
        "CN" + NUMBER,
        "ZL" + NUMBER,
        "２０１７１０６０１８６２．３",  # full-width, as typed with a Chinese input method
        " 2017 1060 1862.3 ",
    ],
)
def test_a_whole_number_in_any_spelling_matches_exactly(text):
    assert match_number(text).mode == "exact"
    assert match_number(text).value == NUMBER


def test_a_wrong_check_character_is_an_error_naming_the_field_and_the_right_one():
    exc = invalid("application_number=201710601862.4")
    assert exc.details["field"] == "application_number"
    assert "申请号" in exc.zh and "3" in exc.zh and "check character" in exc.en


@pytest.mark.parametrize("text", ["0601862", "201710", "1862.3", "95115608"])
def test_a_run_of_digits_is_a_partial_match(text):
    assert match_number(text).mode == "partial"


def test_old_format_numbers_need_their_check_character_to_be_whole():
    assert match_number("95115608.X").mode == "exact"
    assert match_number("95115608X").value == "95115608.X"


def test_pct_numbers_match_the_international_number():
    m = match_number("pct/cn2024/012345")
    assert (m.mode, m.value) == ("pct", "PCT/CN2024/012345")
    assert invalid("application_number=PCT/CN24/1").details["field"] == "application_number"


def test_letters_are_not_a_number():
    exc = invalid("application_number=电动车")
    assert exc.details["field"] == "application_number"


def test_unknown_fields_are_named():
    exc = invalid("intenal_number=AG-1&title=电池")
    assert exc.code == "QUERY_INVALID"
    assert exc.details["fields"] == ["intenal_number"]
    assert "intenal_number" in exc.zh and "intenal_number" in exc.en


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("filed_from=2026-13-01", "filed_from"),
        ("filed_from=2026-05-01&filed_to=2026-04-01", "filed_to"),
        ("deadline_from=2026-05-01&deadline_to=2026-04-30", "deadline_to"),
        ("dispatched_to=yesterday", "dispatched_to"),
        ("kind=invention,patent", "kind"),
        ("status=已受理", "status"),
        ("notice_code=2104", "notice_code"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("deadline_within=-1", "deadline_within"),
        ("sort=title", "sort"),
        ("sub_account=someone", "sub_account"),
        ("cursor=not-a-cursor", "cursor"),
        ("title=" + "长" * 101, "title"),
        ("notice_unconfirmed=maybe", "notice_unconfirmed"),
    ],
)
def test_bad_values_are_errors_naming_the_field_in_both_languages(text, field):
    exc = invalid(text)
    assert exc.status == 422
    assert exc.details["field"] == field
    assert field in exc.zh and field in exc.en


def test_several_values_by_comma_or_repetition():
    q = CaseQuery.parse(
        [("status", "accepted,granted"), ("status", "submitted"), ("kind", "design")]
    )
    assert q.status == ("accepted", "granted", "submitted")
    assert q.kind == ("design",)


def test_blank_fields_are_no_condition():
    q = parse("title=&status=&internal_number=%20")
    assert q == CaseQuery()
    assert q.params() == []


def test_full_width_text_is_folded_and_words_split():
    q = parse("title=折叠式　电动车&internal_number=ＡＧ－１")
    assert q.words("title") == ["折叠式", "电动车"]
    assert q.internal_number == "AG-1"


def test_deadline_within_narrows_the_window_from_today():
    today = dt.date(2026, 5, 1)
    assert parse("deadline_within=7").deadline_range(today) == (today, dt.date(2026, 5, 8))
    q = parse("deadline_from=2026-05-03&deadline_to=2026-12-31&deadline_within=30")
    assert q.deadline_range(today) == (dt.date(2026, 5, 3), dt.date(2026, 5, 31))
    assert q.has_notice_condition
    assert not parse("title=电池").has_notice_condition
    assert parse("notice_unconfirmed=true").has_notice_condition
    assert parse("notice_unconfirmed=true").params() == [("notice_unconfirmed", "1")]
    assert parse("deadline_within=0").params() == [("deadline_within", "0")]


def test_cursor_belongs_to_its_sort():
    c = Cursor("-filing_date", "2026-03-02", uuid.uuid4())
    assert Cursor.decode(c.encode(), "-filing_date") == c
    with pytest.raises(QueryInvalid) as info:
        Cursor.decode(c.encode(), "application_number")
    assert info.value.details["field"] == "cursor"
    assert invalid(f"sort=filing_date&cursor={c.encode()}").details["field"] == "cursor"


def test_canonical_query_string_leaves_out_defaults_and_optionally_the_cursor():
    c = Cursor("-filing_date", "2026-03-02", uuid.uuid4()).encode()
    q = parse(f"title=电池&sort=-filing_date&limit=50&status=accepted&cursor={c}")
    assert q.params(paging=False) == [("title", "电池"), ("status", "accepted")]
    assert ("cursor", c) in q.params()
    assert parse(q.query_string()) == q


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=20
)


@given(
    title=texts,
    internal=texts,
    status=st.lists(st.sampled_from(["accepted", "granted", "submitted"]), max_size=3),
    low=st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)),
    days=st.integers(0, 400),
)
def test_every_query_survives_its_query_string(title, internal, status, low, days):
    values = [("title", title), ("internal_number", internal), ("status", ",".join(status))]
    values += [
        ("filed_from", low.isoformat()),
        ("filed_to", (low + dt.timedelta(days)).isoformat()),
    ]
    try:
        q = CaseQuery.parse(values)
    except QueryInvalid:
        return  # e.g. text longer than allowed after folding
    assert CaseQuery.from_query_string(q.query_string()) == q
