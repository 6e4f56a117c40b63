"""Seed D1: «系统中如何查看机构内部编号信息» — «高级查询中有关于机构内部编号的查询条件».

An agency's sub-account finds its cases by 机构内部编号 through the API and the CLI (the
portal: tests/acceptance/web/test_query_pages.py); another agency's case with the same
internal number, and the agency's own branch's, never show.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.cases import add_case, agency_desk
from tests.support.cli import cli_env, run_cli
from tests.support.factories import auth, write_session


@pytest.fixture
def d1(world, db):
    ours = agency_desk(world, "甲")
    theirs = agency_desk(world, "乙")
    mine = add_case(
        db,
        ours.main_domain,
        ours.sub_person.user_id,
        title="一种折叠式电动自行车",
        internal_number="AG-2026-0001",
        sub_account=ours.sub["account_id"],
    )
    add_case(
        db,
        ours.main_domain,
        ours.sub_person.user_id,
        title="电池管理系统",
        internal_number="AG-2026-0002",
    )
    # The same internal number in another agency and in our own branch (another domain).
    add_case(db, theirs.main_domain, theirs.sub_person.user_id, internal_number="AG-2026-0001")
    add_case(db, ours.branch_domain, ours.branch_person.user_id, internal_number="AG-2026-0001")
    return {"ours": ours, "mine": mine}


@pytest.mark.seed("D1")
def test_query_by_internal_number_through_the_api(client, d1):
    token = d1["ours"].tokens["sub"]
    r = client.get("/api/v1/cases", params={"internal_number": "AG-2026-0001"}, headers=auth(token))
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert item["application_number"] == d1["mine"].application_number
    assert item["internal_number"] == "AG-2026-0001"
    assert item["title"] == "一种折叠式电动自行车"
    assert item["sub_account"]["name"] == "甲子账户"
    r = client.get("/api/v1/cases", params={"internal_number": "AG-2026-*"}, headers=auth(token))
    assert sorted(i["internal_number"] for i in r.json()["items"]) == [
        "AG-2026-0001",
        "AG-2026-0002",
    ]


@pytest.mark.seed("D1")
def test_query_by_internal_number_through_the_cli(live_server, world, d1, tmp_path):
    ours = d1["ours"]
    home = tmp_path / "client"
    session = world.web_login(ours.sub_person, role=f"sub:{ours.sub['account_id']}")
    write_session(home, live_server.url, session)
    env = cli_env(home=home, server=live_server.url)

    r = run_cli("query", "--internal-number", "AG-2026-0001", "--json", env=env)
    assert r.returncode == 0, r.stderr
    (row,) = r.json
    assert {k: row[k] for k in ("application_number", "title", "status", "internal_number")} == {
        "application_number": d1["mine"].application_number,
        "title": "一种折叠式电动自行车",
        "status": "submitted",
        "internal_number": "AG-2026-0001",
    }

    r = run_cli("query", "--internal-number", "AG-2026-*", "--csv", env=env)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert sorted(x["internal_number"] for x in rows) == ["AG-2026-0001", "AG-2026-0002"]

    r = run_cli("query", "--internal-number", "AG-2026-0001", env=env)  # a table for people
    assert r.returncode == 0, r.stderr
    assert d1["mine"].application_number in r.stdout and "共 1 件" in r.stdout
