"""``patentdesk query`` and ``patentdesk stats`` as an agency's script runs them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.cli import cli_env, run_cli
from tests.support.factories import write_session
from tests.support.fees import paid_month, paid_online


@pytest.fixture
def desk(world):
    return agency_desk(world)


@pytest.fixture
def cli(live_server, world, db, desk, tmp_path):
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
    assert "--all" in r.stderr  # told on stderr that more match; stdout stays the list
    r = run_cli(
        "query", "--title", "电池", "--all", "--sort", "application_number", "--json", env=cli
    )
    assert "--all" not in r.stderr
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


def test_stats_json_and_csv(cli, client, db, desk):
    # Fees paid through the API: two confirmed (1,234.50 yuan), one the bank refused, one
    # pending, and one in the branch's domain: only the first two are ours.
    owed = {"items": [{"code": "application_invention", "amount": 20000}], "total": 20000}
    case = add_case(db, desk.main_domain, desk.sub_person.user_id, fee_sheet=owed)
    branch = add_case(db, desk.branch_domain, desk.branch_person.user_id, fee_sheet=owed)
    sub = desk.tokens["sub"]
    first = paid_online(client, sub, str(case.id), "1000")
    paid_online(client, sub, str(case.id), "234.5")
    paid_online(client, sub, str(case.id), "66", decision="fail")
    paid_online(client, sub, str(case.id), "77", decision=None)
    paid_online(client, desk.tokens["branch_sub"], str(branch.id), "5000")
    month = paid_month(first)

    r = run_cli("stats", "--json", env=cli)
    assert r.returncode == 0, r.stderr
    assert r.json["total_cases"] == 8
    assert {c["key"]: c["count"] for c in r.json["by_status"]} == {
        "accepted": 3,
        "granted": 4,
        "submitted": 1,
    }
    assert [(c["key"], c["count"], c["amount"]) for c in r.json["fees_paid"]] == [
        ("total", 2, "1234.50"),
        ("method:online-banking", 2, "1234.50"),
        (f"month:{month}", 2, "1234.50"),
    ]
    assert r.json["fees_paid"][1]["label"] == "网银缴费"
    r = run_cli("stats", "--csv", env=cli)
    lines = r.stdout.splitlines()
    assert lines[0] == "section,key,label,count,amount_cny"
    assert "by_kind,invention,发明,8," in lines
    assert "notices_by_type,210401,210401 第一次审查意见通知书,7," in lines
    assert "fees_paid,total,合计（已到账）,2,1234.50" in lines
    assert "fees_paid,method:online-banking,网银缴费,2,1234.50" in lines
    r = run_cli("stats", env=cli)
    assert r.returncode == 0, r.stderr
    assert "尚未接入" not in r.stdout
    total = next(line for line in r.stdout.splitlines() if "合计（已到账）" in line)
    assert "2" in total and "1,234.50" in total
    r = run_cli("stats", "--lang", "en", env=cli)
    assert "Total (confirmed)" in r.stdout and "Online banking" in r.stdout
