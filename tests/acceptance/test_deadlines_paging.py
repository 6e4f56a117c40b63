"""`GET /api/v1/deadlines`: a bounded window and keyset pages (the CLI fetches them all)."""

from __future__ import annotations

import datetime as dt

from patentdesk.timeutil import beijing_date
from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.factories import auth


def test_an_absurd_window_is_a_clear_422_not_a_server_error(client, world):
    desk = agency_desk(world)
    headers = auth(desk.tokens["handler"])
    for days in ("463604658589631", "-1", "3661"):
        r = client.get("/api/v1/deadlines", params={"days": days}, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "VALIDATION_FAILED"
    for params in ({"limit": "0"}, {"limit": "100000"}, {"after": "yesterday"}):
        r = client.get("/api/v1/deadlines", params=params, headers=headers)
        assert r.status_code == 422, r.text
    assert client.get("/api/v1/deadlines", params={"days": 3660}, headers=headers).is_success


def test_deadlines_page_by_page(client, app, world):
    desk = agency_desk(world)
    headers = auth(desk.tokens["handler"])
    today = beijing_date()
    case = add_case(app.state.db, desk.main_domain, desk.handler.user_id)
    # Seven notices over four deadlines: ties on the deadline are ordered by serial.
    for offset in (3, 3, 10, 10, 10, 20, 40):
        add_notice(app.state.db, case, deadline=today + dt.timedelta(days=offset))
    everything = client.get("/api/v1/deadlines", params={"limit": 1000}, headers=headers)
    assert everything.status_code == 200 and "x-next-cursor" not in everything.headers
    rows = everything.json()
    assert len([r for r in rows if r["kind"] == "notice"]) == 7
    paged: list[dict] = []
    params: dict = {"limit": 2}
    pages = 0
    while True:
        page = client.get("/api/v1/deadlines", params=params, headers=headers)
        assert page.status_code == 200, page.text
        assert len(page.json()) <= 2
        pages += 1
        paged += page.json()
        if "x-next-cursor" not in page.headers:
            break
        assert len(page.json()) == 2
        params["after"] = page.headers["x-next-cursor"]
    assert pages >= 4
    assert [(r["kind"], r["id"]) for r in paged] == [(r["kind"], r["id"]) for r in rows]
    window = client.get("/api/v1/deadlines", params={"days": 10}, headers=headers).json()
    assert len([r for r in window if r["kind"] == "notice"]) == 5
