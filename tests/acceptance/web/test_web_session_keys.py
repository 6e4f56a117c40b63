"""The key a web login keeps for no-scan signing (<data>/web-sessions/<session>/) goes when
the login does: ended from the phone, or expired, housekeeping removes it; a live login's
key stays."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from patentdesk import housekeeping
from patentdesk.identity.models import Session
from tests.support.apiphone import ApiPhone
from tests.support.factories import World, valid_uscc
from tests.support.webfiling import browser_page, fill_invention, log_in, new_draft, wait_valid

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


def signing_login(browser: Any, live_server: Any, world: Any, settings: Any) -> tuple[Any, str]:
    """A person logs in on the web and asks for a signature (which gives the login its key);
    returns the phone and the web session's id."""
    person = world.person("沈八")
    phone = ApiPhone.bind(world.client, person)
    with browser_page(browser, live_server) as page:
        log_in(page, settings.data, person)
        new_draft(page, "invention")
        fill_invention(page, valid_uscc())
        wait_valid(page)
        page.click("#draft-sign")
        page.wait_for_selector("#sign-code[data-payload]")
    sessions = world.client.get("/api/v1/me/sessions", headers=phone.headers).json()
    [web] = [s for s in sessions if s["client_kind"] == "web" and s.get("has_session_key")]
    return phone, str(web["id"])


def key_folders(settings: Any) -> set[str]:
    folder = settings.data / "web-sessions"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_ended_and_expired_web_logins_lose_their_keys(
    browser: Any, live_server: Any, settings: Any, db: Any
) -> None:
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        world = World(http, settings.data)
        phone, ended = signing_login(browser, live_server, world, settings)
        _, expired = signing_login(browser, live_server, world, settings)
        _, alive = signing_login(browser, live_server, world, settings)
        folders = {uuid.UUID(s).hex for s in (ended, expired, alive)}
        assert folders <= key_folders(settings)
        # Ended on the phone (A7); the other login ran out of time.
        r = http.delete(f"/api/v1/me/sessions/{ended}", headers=phone.headers)
        assert r.status_code in (200, 204), r.text
    with db.unit_of_work() as s:
        row = s.scalar(select(Session).where(Session.id == uuid.UUID(expired)))
        assert row is not None
        row.expires_at -= dt.timedelta(days=30)
    counts = housekeeping.purge(db, settings)
    assert counts["web_session_keys"] == 2
    left = key_folders(settings)
    assert uuid.UUID(alive).hex in left
    assert uuid.UUID(ended).hex not in left and uuid.UUID(expired).hex not in left
    assert housekeeping.purge(db, settings)["web_session_keys"] == 0
