"""Closing one no-scan window from the phone (C6): the others stay open."""

from __future__ import annotations

import pytest

from tests.support.apiphone import ApiDesktop, ApiPhone

MANIFEST = b'{"files": []}\n'


@pytest.mark.seed("C6")
def test_one_window_closes_and_the_other_computer_keeps_its_own(client, world):
    phone = ApiPhone.bind(client, world.person("张三"))
    office, home = ApiDesktop(client), ApiDesktop(client)
    office.login_with(phone)
    home.login_with(phone)
    for desktop in (office, home):
        assert phone.open_window(30, desktop.session["session_id"]).status_code == 201
    listed = client.get("/api/v1/me/sign-windows", headers=phone.headers).json()
    by_session = {w["session_id"]: w["window_id"] for w in listed}
    closing = by_session[office.session["session_id"]]
    r = client.post(f"/api/v1/sign-windows/{closing}/close", headers=phone.headers)
    assert r.status_code == 200 and r.json() == {"closed": 1}
    assert office.start_signing(MANIFEST).json()["mode"] == "scan"
    assert home.start_signing(MANIFEST).json()["mode"] == "window"
    again = client.post(f"/api/v1/sign-windows/{closing}/close", headers=phone.headers)
    assert again.status_code == 404  # already closed
    # Someone else's phone cannot close it, nor learn that it exists.
    stranger = ApiPhone.bind(client, world.person("李四"))
    kept = by_session[home.session["session_id"]]
    r = client.post(f"/api/v1/sign-windows/{kept}/close", headers=stranger.headers)
    assert r.status_code == 404
    # Only a phone closes windows, as for all of them at once.
    r = client.post(f"/api/v1/sign-windows/{kept}/close", headers=home.headers)
    assert r.status_code == 403
