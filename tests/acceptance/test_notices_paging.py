"""Every notice of a busy domain, page by page: the API's keyset pages and `notices list`
fetching them all (or --limit, --since, --until)."""

from __future__ import annotations

import uuid

from tests.acceptance.test_notices_cli import _desktop_for, _import
from tests.support.factories import auth
from tests.unit.notices.legacy_samples import sample_notices, write_archive


def test_notices_page_by_page_through_api_and_cli(client, world, live_server, settings, tmp_path):
    handler = world.person("王经办")
    org = world.agency(handler, kind="legal")
    # Twelve notices over nine dispatch dates: three days have two (ties to page through).
    archive = write_archive(tmp_path / "legacy.zip", sample_notices(12), manifest="xml")
    assert _import(settings, archive, org["uscc"]).returncode == 0
    headers = auth(org["handler_token"])
    everything = client.get("/api/v1/notices", params={"limit": 1000}, headers=headers).json()
    assert len(everything) == 12
    paged: list[dict] = []
    params: dict = {"limit": 5}
    while True:
        page = client.get("/api/v1/notices", params=params, headers=headers)
        assert page.status_code == 200, page.text
        paged += page.json()
        if len(page.json()) < 5:
            break
        params["before"] = page.json()[-1]["id"]
    assert [n["id"] for n in paged] == [n["id"] for n in everything]
    dates = [n["dispatched_at"] for n in paged]
    assert dates == sorted(dates, reverse=True)
    r = client.get("/api/v1/notices", params={"before": str(uuid.uuid4())}, headers=headers)
    assert r.status_code == 404

    desk = _desktop_for(handler, f"handler:{org['org_id']}", live_server.url, tmp_path / "h")
    listed = desk.run("notices", "list", "--json")
    assert [n["id"] for n in listed.json] == [n["id"] for n in everything]
    first = desk.run("notices", "list", "--limit", "5", "--json")
    assert [n["id"] for n in first.json] == [n["id"] for n in everything[:5]]
    window = desk.run("notices", "list", "--since", "2022-08-01", "--until", "2022-09-30", "--json")
    assert window.returncode == 0, window.stderr
    assert sorted(n["serial"][:6] for n in window.json) == ["202208", "202209"]
    bad = desk.run("notices", "list", "--since", "August", "--json")
    assert bad.returncode != 0 and "since" in bad.stderr
