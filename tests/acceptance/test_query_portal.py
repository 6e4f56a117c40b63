"""The query and statistics pages over HTTP: errors, languages, escaping, exports, CSRF."""

from __future__ import annotations

import pytest

from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.factories import page_csrf


@pytest.fixture
def portal(client, world, db):
    d = agency_desk(world)
    c = add_case(
        db,
        d.main_domain,
        d.sub_person.user_id,
        title="<script>alert(1)</script>电池",
        internal_number='=HYPERLINK("http://x")',
    )
    add_notice(db, c, "999999", name="<img src=x onerror=alert(1)>")
    client.cookies.set("pd_session", d.tokens["sub"])
    return {"desk": d, "case": c}


def test_pages_need_a_login(client):
    for path in ("/query", "/stats", "/query/export.csv", "/stats/export.csv"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path


def test_results_escape_what_users_typed(client, portal):
    r = client.get("/query", params={"title": "电池"})
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;电池" in r.text
    r = client.get("/stats")
    assert r.status_code == 200
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


def test_a_bad_condition_is_shown_on_the_page_in_the_chosen_language(client, portal):
    r = client.get("/query", params={"filed_from": "2026-02-30"})
    assert r.status_code == 422
    assert 'id="error"' in r.text and "申请日起" in r.text and "filed_from" in r.text
    assert 'value="2026-02-30"' in r.text  # the form keeps what was typed
    r = client.get("/query", params={"filed_from": "2026-02-30", "lang": "en"})
    assert "filed from" in r.text and "Advanced query" in r.text


def test_csv_export_is_excel_friendly(client, portal):
    r = client.get("/query/export.csv", params={"title": "电池"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())  # spreadsheet programs then read UTF-8
    header, row = r.content.decode("utf-8-sig").splitlines()
    assert header.startswith("application_number,title,status,internal_number")
    assert "'=HYPERLINK" in row  # a formula is defused
    r = client.get("/stats/export.csv", params={"lang": "en"})
    assert "total_cases,total,Cases in total,1," in r.content.decode("utf-8-sig").splitlines()


def test_saving_needs_the_form_token_and_a_name(client, portal):
    r = client.post("/query/saved", data={"name": "x", "query": "title=电池"})
    assert r.status_code == 403
    token = page_csrf(client.get("/query").text)
    r = client.post("/query/saved", data={"name": " ", "query": "title=电池", "csrf": token})
    assert r.status_code == 422 and "查询名称不正确" in r.text
    r = client.post(
        "/query/saved",
        data={"name": "电池", "query": "title=电池", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/query?title=%E7%94%B5%E6%B1%A0"
    assert 'data-saved="电池"' in client.get("/query").text


def test_the_desk_panel_lists_drafts_and_payments_once_connected(client, portal, monkeypatch):
    import datetime as dt
    from decimal import Decimal

    from patentdesk.query import desk

    monkeypatch.setattr(desk, "DRAFTS_PROVIDERS", [])
    monkeypatch.setattr(desk, "PAYMENTS_DUE_PROVIDERS", [])
    r = client.get("/desk")
    assert 'id="drafts-where"' in r.text and 'id="payments-not-connected"' in r.text
    monkeypatch.setattr(
        desk,
        "DRAFTS_PROVIDERS",
        [lambda db, actor: [desk.DraftItem("<b>草稿</b>", "change", None, "/drafts/x")]],
    )
    monkeypatch.setattr(
        desk,
        "PAYMENTS_DUE_PROVIDERS",
        [
            lambda db, actor, today: [
                desk.PaymentDue("202610000001.X", "申请费", Decimal("900"), dt.date(2026, 6, 1))
            ]
        ],
    )
    r = client.get("/desk")
    assert 'id="drafts-count">1<' in r.text
    assert "&lt;b&gt;草稿&lt;/b&gt;" in r.text and "著录项目变更" in r.text
    assert (
        "申请费 · 欠缴 900.00 元 · 缴费期限 2026-06-01" in r.text
        and 'id="payments-count">1<' in r.text
    )
    api = client.get("/api/v1/desk").json()
    assert api["drafts"][0]["href"] == "/drafts/x"
    assert api["payments_due"][0]["amount"] == "900"
