"""``patentdesk query`` and ``patentdesk stats`` as an agency's script runs them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.cli import cli_env, run_cli
from tests.support.factories import write_session


@pytest.fixture
def cli(live_server, world, db, tmp_path):
    desk = agency_desk(world)
    for i in range(7):
        c = add_case(
            db,
            desk.main_domain,
            desk.sub_person.user_id,
            title=f"一种电池{i}",
            internal_number=f"AG-{i:04d}",
            status="accepted" if i % 2 else "granted",
            filing_date=dt.date(2026, 1 + i % 3, 10),
            sub_account=desk.sub["account_id"],
        )
        add_notice(db, c, "210401", dispatch_date=dt.date(2026, 4, 1))
    home = tmp_path / "client"
    session = world.web_login(desk.sub_person, role=f"sub:{desk.sub['account_id']}")
    write_session(home, live_server.url, session)
    return cli_env(home=home, server=live_server.url)


def test_paging_limit_all_and_saved_queries(cli):
    r = run_cli("query", "--title", "电池", "--limit", "3", "--json", env=cli)
    assert r.returncode == 0, r.stderr
    assert len(r.json) == 3
    r = run_cli(
        "query", "--title", "电池", "--all", "--sort", "application_number", "--json", env=cli
    )
    numbers = [row["application_number"] for row in r.json]
    assert len(numbers) == 7 and numbers == sorted(numbers)

    r = run_cli("query", "--status", "accepted", "--save", "受理的", "--json", env=cli)
    assert r.returncode == 0, r.stderr
    assert r.json["query"] == "status=accepted"
    r = run_cli("query", "--saved", "受理的", "--filed-from", "2026-02-01", "--json", env=cli)
    assert {row["status"] for row in r.json} == {"accepted"}
    assert {row["filing_date"] for row in r.json} == {"2026-02-10", "2026-03-10"}
    r = run_cli("query", "--list-saved", "--json", env=cli)
    assert [s["name"] for s in r.json] == ["受理的"]
    r = run_cli("query", "--delete-saved", "受理的", "--json", env=cli)
    assert r.returncode == 0, r.stderr
    r = run_cli("query", "--saved", "受理的", "--json", env=cli)
    assert r.returncode != 0 and r.error["code"] == "NOT_FOUND"


def test_bad_input_is_an_error_naming_the_field(cli):
    r = run_cli("query", "--filed-from", "2026-13-01", "--json", env=cli)
    assert r.returncode != 0 and r.stdout == ""
    assert r.error["code"] == "QUERY_INVALID"
    assert "filed_from" in r.error["message"]
    r = run_cli("query", "--application-number", "201710601862.4", env=cli)
    assert r.returncode != 0 and "校验位" in r.stderr


def test_stats_json_and_csv(cli):
    r = run_cli("stats", "--json", env=cli)
    assert r.returncode == 0, r.stderr
    assert r.json["total_cases"] == 7
    assert {c["key"]: c["count"] for c in r.json["by_status"]} == {"accepted": 3, "granted": 4}
    assert r.json["fees_paid"] is None
    r = run_cli("stats", "--csv", env=cli)
    lines = r.stdout.splitlines()
    assert lines[0] == "section,key,label,count"
    assert "by_kind,invention,发明,7" in lines
    assert "notices_by_type,210401,210401 第一次审查意见通知书,7" in lines
