"""Authorization of query, statistics and My Desk: another domain's cases never show, whatever
the search terms; office users see every domain. Also the permission matrix of the APIs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from patentdesk.timeutil import beijing_date
from tests.support.cases import Desk, add_case, add_notice, agency_desk
from tests.support.factories import PASSWORD, auth, unique_phone

# Listed in test_authz_matrix.EXTRA_COVERED: every role × own/other domain is tested here.
QUERY_ENDPOINTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/cases.csv"),
        ("GET", "/api/v1/queries"),
        ("POST", "/api/v1/queries"),
        ("DELETE", "/api/v1/queries/{query_id}"),
        ("GET", "/api/v1/stats"),
        ("GET", "/api/v1/stats.csv"),
        ("GET", "/api/v1/desk"),
    }
)


def _office_token(client: Any, world: Any) -> str:
    from patentdesk.identity.service import Context, create_office_user

    phone = unique_phone()
    with client.app.state.db.unit_of_work() as s:
        create_office_user(
            s, Context(client.app.state.settings), phone=phone, name="审查员", password=PASSWORD
        )
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": phone, "password": PASSWORD, "client_kind": "web"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


SAME = {
    "title": "一种折叠式电动自行车",
    "internal_number": "SAME-2026-0001",
    "applicants": [{"name": "杭州同名科技有限公司"}],
    "inventors": [{"name": "张三"}],
    "status": "accepted",
    "filing_date": dt.date(2026, 3, 2),
}
# Search terms that match every seeded case, whichever domain owns it: by trigram, by
# character pair, by LIKE, by exact and wildcard internal number, by names, by notices.
QUERIES = [
    "",
    "title=自行车",
    "title=电动",
    "title=车",
    "title=折叠 自行车",
    "applicant=同名科技",
    "applicant=杭州",
    "inventor=张三",
    "inventor=张",
    "internal_number=SAME-2026-0001",
    "internal_number=SAME-*",
    "internal_number=*0001",
    "application_number=2026",
    "status=accepted",
    "kind=invention",
    "filed_from=2026-03-01&filed_to=2026-03-31",
    "business_type=change",
    "notice_code=210401",
    "dispatched_from=2026-04-01",
    "deadline_within=30",
    "sort=application_number&limit=500",
]


@pytest.fixture
def domains(client, world, db) -> dict[str, Any]:
    """Agency A (main institution and a branch), agency B, each with the same cases."""
    a = agency_desk(world, "甲")
    b = agency_desk(world, "乙")
    soon = beijing_date() + dt.timedelta(days=10)
    owned: dict[str, set[str]] = {}

    def seed(desk: Desk, domain: str, person: Any, sub: dict[str, Any]) -> None:
        for _ in range(2):
            c = add_case(
                db,
                domain,
                person.user_id,
                sub_account=sub["account_id"],
                business_type="change",
                **SAME,
            )
            add_notice(db, c, "210401", dispatch_date=dt.date(2026, 4, 2), deadline=soon)
            owned.setdefault(domain, set()).add(c.application_number)

    seed(a, a.main_domain, a.sub_person, a.sub)
    seed(a, a.branch_domain, a.branch_person, a.branch_sub)
    seed(b, b.main_domain, b.sub_person, b.sub)
    tokens = {
        "a_sub": (a.tokens["sub"], a.main_domain),
        "a_handler": (a.tokens["handler"], a.main_domain),
        "a_main": (world.main_token(a.org), a.main_domain),
        "a_branch_sub": (a.tokens["branch_sub"], a.branch_domain),
        "b_sub": (b.tokens["sub"], b.main_domain),
        "natural": (world.token(world.person("路人")), None),
    }
    return {"a": a, "b": b, "owned": owned, "tokens": tokens}


def _numbers(client, token: str, query: str) -> set[str]:
    r = client.get(f"/api/v1/cases?{query}", headers=auth(token))
    assert r.status_code == 200, (query, r.text)
    return {item["application_number"] for item in r.json()["items"]}


def test_no_search_term_reaches_another_domain(client, domains):
    owned = domains["owned"]
    failures = []
    for who, (token, domain) in domains["tokens"].items():
        mine = owned.get(domain, set()) if domain else set()
        for query in QUERIES:
            found = _numbers(client, token, query)
            if found != mine:  # all of its own, none of anyone else's
                failures.append((who, query, len(found), len(mine)))
    assert not failures, failures


def test_other_domains_numbers_and_sub_accounts_find_nothing(client, domains):
    a, b, owned = domains["a"], domains["b"], domains["owned"]
    token = a.tokens["sub"]
    for number in owned[b.main_domain] | owned[a.branch_domain]:
        assert _numbers(client, token, f"application_number={number}") == set()
        assert _numbers(client, token, f"application_number={number[:12]}") == set()
    assert _numbers(client, token, f"sub_account={b.sub['account_id']}") == set()
    assert _numbers(client, token, f"sub_account={a.branch_sub['account_id']}") == set()
    assert _numbers(client, token, f"sub_account={a.sub['account_id']}") == owned[a.main_domain]


def test_office_users_query_every_domain(client, world, domains):
    office = _office_token(client, world)
    everything = set().union(*domains["owned"].values())
    assert _numbers(client, office, "internal_number=SAME-2026-0001&limit=500") == everything
    r = client.get("/api/v1/stats", headers=auth(office))
    assert r.json()["total_cases"] == len(everything)


def test_statistics_and_exports_count_only_the_domain(client, domains):
    owned = domains["owned"]
    for token, domain in domains["tokens"].values():
        mine = owned.get(domain, set()) if domain else set()
        stats = client.get("/api/v1/stats", headers=auth(token)).json()
        assert stats["total_cases"] == len(mine)
        assert sum(c["count"] for c in stats["by_status"]) == len(mine)
        assert sum(c["count"] for c in stats["by_month"]) == len(mine)
        assert sum(c["count"] for c in stats["submissions_by_sub_account"]) == len(mine)
        assert sum(c["count"] for c in stats["notices_by_type"]) == len(mine)
        assert {c["key"]: c["count"] for c in stats["deadlines_due"]}["within_30"] == len(mine)
        csv_text = client.get("/api/v1/cases.csv?title=自行车", headers=auth(token)).text
        assert {line.split(",")[0] for line in csv_text.splitlines()[1:]} == mine
        desk = client.get("/api/v1/desk", headers=auth(token)).json()
        assert desk["unconfirmed_notices"] == len(mine)
        assert {n["application_number"] for n in desk["deadlines"]} == mine


def test_saved_queries_belong_to_their_user(client, domains):
    a_token, b_token = domains["a"].tokens["sub"], domains["b"].tokens["sub"]
    r = client.post(
        "/api/v1/queries", json={"name": "我的", "query": "title=自行车"}, headers=auth(a_token)
    )
    assert r.status_code == 201, r.text
    saved_id = r.json()["id"]
    assert client.get("/api/v1/queries", headers=auth(b_token)).json() == []
    r = client.delete(f"/api/v1/queries/{saved_id}", headers=auth(b_token))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "SAVED_QUERY_NOT_FOUND"
    # Run by its owner in another role, a saved query searches that role's domain.
    assert client.get("/api/v1/queries", headers=auth(a_token)).json()[0]["id"] == saved_id


# -- the permission matrix of the query APIs ----------------------------------------------

ENDPOINTS = [
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/cases.csv"),
    ("GET", "/api/v1/queries"),
    ("GET", "/api/v1/stats"),
    ("GET", "/api/v1/stats.csv"),
    ("GET", "/api/v1/desk"),
]


def test_every_role_may_query_its_own_domain_and_anonymous_may_not(client, world, domains):
    tokens = [t for t, _ in domains["tokens"].values()] + [_office_token(client, world)]
    for method, path in [*ENDPOINTS, ("POST", "/api/v1/queries"), ("DELETE", "/api/v1/queries/x")]:
        r = client.request(method, path.replace("/x", f"/{uuid.uuid4()}"))
        assert r.status_code == 401, (method, path, r.status_code)
    for method, path in ENDPOINTS:
        for token in tokens:
            r = client.request(method, path, headers=auth(token))
            assert r.status_code == 200, (method, path, r.text)
