"""The search service on SQLite and PostgreSQL: each condition, keyset paging, the index."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from patentdesk.filing.models import Case
from patentdesk.identity.service import authenticate
from patentdesk.query import service
from patentdesk.query.language import CaseQuery
from tests.support.cases import add_case, add_notice, agency_desk

TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def desk(world):
    return agency_desk(world)


@pytest.fixture
def actor(db, desk):
    with db.unit_of_work() as s:
        return authenticate(s, desk.tokens["sub"])


def case(db, desk, **kw):
    return add_case(db, desk.main_domain, desk.sub_person.user_id, **kw)


def numbers(db, actor, text: str, **kw) -> list[str]:
    with db.unit_of_work() as s:
        page = service.search(s, actor, CaseQuery.from_query_string(text), today=TODAY, **kw)
    return [r.application_number for r in page.rows]


def titles(db, actor, text: str) -> set[str]:
    with db.unit_of_work() as s:
        page = service.search(s, actor, CaseQuery.from_query_string(text), today=TODAY)
    return {r.title for r in page.rows}


def test_title_words_of_any_length(db, desk, actor):
    case(db, desk, title="一种折叠式电动自行车")
    case(db, desk, title="锂离子电池管理系统")
    case(db, desk, title="Smart LED lamp 智能灯")
    assert titles(db, actor, "title=自行车") == {"一种折叠式电动自行车"}  # trigram
    assert titles(db, actor, "title=电池") == {"锂离子电池管理系统"}  # two characters
    assert titles(db, actor, "title=电") == {"一种折叠式电动自行车", "锂离子电池管理系统"}
    assert titles(db, actor, "title=折叠 电动") == {"一种折叠式电动自行车"}  # all words
    assert titles(db, actor, "title=折叠 电池") == set()
    assert titles(db, actor, "title=led") == {"Smart LED lamp 智能灯"}  # ASCII case folded
    assert titles(db, actor, "title=动自") == {"一种折叠式电动自行车"}
    assert titles(db, actor, "title=行车一") == set()  # no wrap-around
    assert titles(db, actor, 'title=自行车"') == set()  # quotes are text, not syntax


def test_names_match_inside_one_name_only(db, desk, actor):
    case(
        db,
        desk,
        title="甲",
        applicants=[{"name": "深圳市华为技术有限公司"}],
        inventors=[{"name": "张三"}, {"name": "李四"}],
    )
    case(
        db, desk, title="乙", applicants=["杭州某某科技有限公司"], inventors=["王五"]
    )  # plain strings
    assert titles(db, actor, "applicant=华为") == {"甲"}
    assert titles(db, actor, "applicant=华为技术") == {"甲"}
    assert titles(db, actor, "applicant=某某科技") == {"乙"}
    assert titles(db, actor, "inventor=张三") == {"甲"}
    assert titles(db, actor, "inventor=李四") == {"甲"}
    assert titles(db, actor, "inventor=王") == {"乙"}
    assert titles(db, actor, "inventor=三李") == set()  # across two names
    assert titles(db, actor, "inventor=深圳") == set()  # an applicant, not an inventor


def test_internal_number_exact_or_with_wildcards(db, desk, actor):
    case(db, desk, title="一", internal_number="AG-2026-0001")
    case(db, desk, title="二", internal_number="AG-2026-0012")
    case(db, desk, title="三", internal_number="XY-2025-0001")
    case(db, desk, title="四")
    assert titles(db, actor, "internal_number=AG-2026-0001") == {"一"}
    assert titles(db, actor, "internal_number=ag-2026-0001") == set()  # case-sensitive
    assert titles(db, actor, "internal_number=AG-2026-00") == set()  # exact, not prefix
    assert titles(db, actor, "internal_number=AG-2026-*") == {"一", "二"}
    assert titles(db, actor, "internal_number=*-0001") == {"一", "三"}
    assert titles(db, actor, "internal_number=*2026*1*") == {"一", "二"}
    assert titles(db, actor, "internal_number=AG_2026%") == set()  # LIKE characters are text


def test_application_numbers(db, desk, actor):
    a = case(db, desk, title="一").application_number
    b = case(db, desk, title="二").application_number
    assert numbers(db, actor, f"application_number={a}") == [a]
    assert numbers(db, actor, f"application_number={a[:12]}") == [a]  # no check character
    assert numbers(db, actor, f"application_number={a.replace('.', '')}") == [a]
    assert numbers(db, actor, f"application_number={a[5:12]}") == [a]  # partial
    assert set(numbers(db, actor, f"application_number={a[:5]}")) == {a, b}
    assert numbers(db, actor, "application_number=9999999") == []


def test_pct_international_number(db, desk, actor):
    c = case(db, desk, title="国际", kind="pct")
    with db.unit_of_work() as s:
        s.execute(
            sa.update(Case).where(Case.id == c.id).values(international_number="PCT/CN2026/000123")
        )
    assert titles(db, actor, "application_number=PCT/CN2026/000123") == {"国际"}


def test_kind_status_dates_and_sub_account(db, desk, actor):
    case(
        db,
        desk,
        title="一",
        kind="invention",
        status="accepted",
        filing_date=dt.date(2026, 1, 5),
        sub_account=desk.sub["account_id"],
    )
    case(db, desk, title="二", kind="utility", status="granted", filing_date=dt.date(2026, 2, 5))
    case(db, desk, title="三", kind="design", status="submitted", filing_date=dt.date(2026, 3, 5))
    assert titles(db, actor, "kind=utility,design") == {"二", "三"}
    assert titles(db, actor, "status=accepted&status=granted") == {"一", "二"}
    assert titles(db, actor, "filed_from=2026-02-05&filed_to=2026-03-04") == {"二"}
    assert titles(db, actor, "filed_to=2026-01-05") == {"一"}
    assert titles(db, actor, f"sub_account={desk.sub['account_id']}") == {"一"}
    assert titles(db, actor, "filed_from=2026-01-01&status=granted&kind=utility") == {"二"}


def test_business_type_through_submissions(db, desk, actor):
    case(db, desk, title="变更过", business_type="change")
    case(db, desk, title="答复过", business_type="response")
    assert titles(db, actor, "business_type=change") == {"变更过"}
    assert titles(db, actor, "business_type=change,response") == {"变更过", "答复过"}


def test_notice_conditions_hold_for_one_and_the_same_notice(db, desk, actor):
    a = case(db, desk, title="一")
    b = case(db, desk, title="二")
    add_notice(db, a, "210401", dispatch_date=dt.date(2026, 4, 1), deadline=dt.date(2026, 5, 6))
    add_notice(db, b, "210401", dispatch_date=dt.date(2025, 4, 1), deadline=dt.date(2025, 8, 1))
    add_notice(db, b, "200101", dispatch_date=dt.date(2026, 4, 20))
    assert titles(db, actor, "notice_code=210401") == {"一", "二"}
    assert titles(db, actor, "notice_code=200101") == {"二"}
    assert titles(db, actor, "dispatched_from=2026-04-01") == {"一", "二"}
    # 二 has a 210401 notice and a notice dispatched in April 2026, but not one that is both.
    assert titles(db, actor, "notice_code=210401&dispatched_from=2026-04-01") == {"一"}
    assert titles(db, actor, "deadline_within=7") == {"一"}  # today is 2026-05-01
    assert titles(db, actor, "deadline_within=4") == set()
    assert titles(db, actor, "deadline_from=2025-01-01&deadline_to=2025-12-31") == {"二"}
    assert titles(db, actor, "notice_unconfirmed=1") == {"一", "二"}
    add_notice(db, case(db, desk, title="三"), "210401", confirmed=True)
    assert titles(db, actor, "notice_unconfirmed=1") == {"一", "二"}
    assert titles(db, actor, "notice_unconfirmed=0") == {"一", "二", "三"}


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("-filing_date", lambda c: (c.filing_date, c.id.hex)),
        ("filing_date", lambda c: (c.filing_date, c.id.hex)),
        ("application_number", lambda c: c.application_number),
        ("-application_number", lambda c: c.application_number),
    ],
)
def test_keyset_pages_cover_every_row_once_in_order(db, desk, actor, sort, key):
    days = itertools.cycle([dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2025, 12, 31)])
    made = [case(db, desk, title=f"案件{i}", filing_date=next(days)) for i in range(11)]
    query = CaseQuery.from_query_string(f"sort={sort}&limit=3")
    seen: list[str] = []
    pages = 0
    while True:
        with db.unit_of_work() as s:
            page = service.search(s, actor, query)
        seen += [r.application_number for r in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        query = query.next_page(page.next_cursor)
    expected = sorted(made, key=key, reverse=sort.startswith("-"))
    assert seen == [c.application_number for c in expected]
    assert pages == 4


def test_the_search_index_follows_updates_and_deletes(db, desk, actor):
    c = case(db, desk, title="旧的名称", inventors=[{"name": "赵六"}])
    with db.unit_of_work() as s:
        row = s.get(Case, c.id)
        row.title = "新的名称"
        row.inventors = [{"name": "钱七"}]
    assert titles(db, actor, "title=旧的名") == set()
    assert titles(db, actor, "title=新的名") == {"新的名称"}
    assert titles(db, actor, "inventor=钱七") == {"新的名称"}
    assert titles(db, actor, "inventor=赵六") == set()
    with db.unit_of_work() as s:
        s.delete(s.get(Case, c.id))
    assert titles(db, actor, "title=新的名") == set()
    case(db, desk, title="新的名称")  # the index has no stale entry in the way
    assert titles(db, actor, "title=新的名") == {"新的名称"}


def test_rows_carry_names_and_sub_account(db, desk, actor):
    case(
        db,
        desk,
        title="一",
        internal_number="AG-1",
        sub_account=desk.sub["account_id"],
        applicants=[{"name": "甲公司"}, "乙公司"],
    )
    with db.unit_of_work() as s:
        (row,) = service.search(s, actor, CaseQuery()).rows
    assert row.applicants == ["甲公司", "乙公司"]
    assert row.inventors == ["张三"]
    assert row.sub_account_name == "代理子账户"
    assert row.domain_id.hex == desk.main_domain.replace("-", "")


def test_iter_rows_walks_every_page_up_to_a_cap(db, desk, actor):
    for i in range(7):
        case(db, desk, title=f"案件{i}")
    with db.unit_of_work() as s:
        assert len(list(service.iter_rows(s, actor, CaseQuery(), batch=2))) == 7
        assert len(list(service.iter_rows(s, actor, CaseQuery(), batch=2, max_rows=5))) == 5


@pytest.mark.parametrize("drive_limit", [1000, 1])
def test_both_plans_for_index_hits_give_the_same_pages(db, desk, actor, monkeypatch, drive_limit):
    """Few hits are fetched by id; many make SQLite walk the domain in sort order."""
    from patentdesk.query import textsearch

    monkeypatch.setattr(textsearch, "DRIVE_LIMIT", drive_limit)
    days = itertools.cycle([dt.date(2026, 1, 1), dt.date(2026, 1, 2)])
    made = [case(db, desk, title=f"一种电池{i}", filing_date=next(days)) for i in range(5)]
    case(db, desk, title="另一种东西")
    add_case(db, desk.branch_domain, desk.branch_person.user_id, title="一种电池")
    query = CaseQuery.from_query_string("title=一种电池&limit=2")
    seen: list[str] = []
    while True:
        with db.unit_of_work() as s:
            page = service.search(s, actor, query)
        seen += [r.application_number for r in page.rows]
        if page.next_cursor is None:
            break
        query = query.next_page(page.next_cursor)
    expected = sorted(made, key=lambda c: (c.filing_date, c.id.hex), reverse=True)
    assert seen == [c.application_number for c in expected]
    assert titles(db, actor, "title=电池 东西") == set()


@pytest.mark.parametrize("common_share", [0.0, 2.0])
def test_both_paths_for_two_character_words_agree(db, desk, actor, monkeypatch, common_share):
    """PostgreSQL treats a pair its statistics call common with ILIKE (walking the domain),
    a rare one with the pairs index: the answers are the same either way."""
    from patentdesk.query import textsearch

    monkeypatch.setattr(textsearch, "COMMON_PAIR", common_share)
    monkeypatch.setattr(textsearch, "_pair_stats", {})
    case(db, desk, title="一种电池", inventors=[{"name": "王伟"}], applicants=["电池科技"])
    case(db, desk, title="一种电机", inventors=[{"name": "王伟强"}], applicants=["某公司"])
    case(db, desk, title="Smart LED 灯", inventors=[{"name": "李四"}], applicants=["某公司"])
    assert titles(db, actor, "title=电池") == {"一种电池"}
    assert titles(db, actor, "title=一种") == {"一种电池", "一种电机"}
    assert titles(db, actor, "title=le") == {"Smart LED 灯"}
    assert titles(db, actor, "inventor=王伟") == {"一种电池", "一种电机"}
    assert titles(db, actor, "applicant=科技") == {"一种电池"}
