"""Flash messages come from our own catalogue, never from the address (issue 15, item 17):
a link to /account?flash=… must not put an attacker's words on the portal."""

from __future__ import annotations

from tests.support.apiphone import ApiPhone
from tests.support.factories import page_csrf


def test_account_page_does_not_render_text_from_the_address(client, world):
    person = world.person()
    client.cookies.set("pd_session", world.web_login(person)["token"])
    bait = "您的账户已冻结，请致电 400-000-0000 解冻"
    r = client.get("/account", params={"flash": bait})
    assert r.status_code == 200
    assert bait not in r.text
    assert 'id="flash"' not in r.text
    r = client.get("/account/certificates", params={"flash": bait})
    assert bait not in r.text


def test_reporting_a_phone_lost_still_says_so(client, world):
    person = world.person()
    phone = ApiPhone.bind(client, person)
    client.cookies.set("pd_session", world.web_login(person)["token"])
    csrf = page_csrf(client.get("/account").text)
    r = client.post(
        f"/account/devices/{phone.device_id}/lost", data={"csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "已挂失" not in r.headers["location"]  # a key, not the words
    shown = client.get(r.headers["location"])
    assert "已挂失：该手机的证书已吊销" in shown.text
    # Unknown keys show nothing.
    assert 'id="flash"' not in client.get("/account?flash=nonsense").text
