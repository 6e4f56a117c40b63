"""Single use in time (issue 15, items 13 and 14): an approved QR login is collected only
while its code is valid, and a no-scan-window approval opens one window, once."""

from __future__ import annotations

import base64
import datetime as dt
import time
from typing import Any

import time_machine

from patentdesk.pki.payload import sign_payload
from patentdesk.timeutil import now
from tests.support.apiphone import ApiDesktop, ApiPhone


def _error(r: Any) -> str:
    return str(r.json()["error"]["code"])


def test_an_approved_login_cannot_be_collected_after_the_code_expired(client, world):
    phone = ApiPhone.bind(client, world.person())
    desktop = ApiDesktop(client)
    started = desktop.start_login()
    assert phone.decide_login(started["payload"]).status_code == 200
    ttl = client.app.state.settings.qr_ttl_seconds
    with time_machine.travel(now() + dt.timedelta(seconds=ttl + 1), tick=True):
        r = desktop.poll(started)
        assert r.status_code == 410 and _error(r) == "QR_EXPIRED", r.text
    # Collected in time, the same kind of code works.
    started = desktop.start_login()
    assert phone.decide_login(started["payload"]).status_code == 200
    r = desktop.poll(started)
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text


def _window_approval(phone: ApiPhone, minutes: int, session_id: str) -> str:
    return sign_payload(
        {"t": "sign-window", "m": minutes, "s": session_id, "iat": int(time.time())},
        phone.device_key,
    )


def _open(client: Any, phone: ApiPhone, minutes: int, session_id: str, approval: str) -> Any:
    return client.post(
        "/api/v1/sign-windows",
        json={"minutes": minutes, "approval": approval, "session_id": session_id},
        headers=phone.headers,
    )


def test_a_window_approval_is_single_use_and_cannot_reopen_a_closed_window(client, world):
    phone = ApiPhone.bind(client, world.person())
    desktop = ApiDesktop(client)
    desktop.login_with(phone)
    session_id = desktop.session["session_id"]
    approval = _window_approval(phone, 30, session_id)
    assert _open(client, phone, 30, session_id, approval).status_code == 201
    assert phone.close_windows().json()["closed"] == 1
    # The captured approval, sent again within its 5 minutes, reopens nothing.
    replay = _open(client, phone, 30, session_id, approval)
    assert replay.status_code == 409 and _error(replay) == "APPROVAL_ALREADY_USED", replay.text
    assert client.get("/api/v1/me/sign-windows", headers=phone.headers).json() == []
    # A second, re-signed copy of the same statement (ECDSA's (r, n-s) twin) is the same
    # approval too.
    header, payload, signature = approval.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    r_, s_ = raw[:32], int.from_bytes(raw[32:], "big")
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 order
    twin_sig = base64.urlsafe_b64encode(r_ + (n - s_).to_bytes(32, "big")).rstrip(b"=")
    twin = f"{header}.{payload}.{twin_sig.decode()}"
    assert twin != approval
    again = _open(client, phone, 30, session_id, twin)
    assert again.status_code == 409 and _error(again) == "APPROVAL_ALREADY_USED", again.text
    # A fresh approval from the phone opens a window as before.
    assert phone.open_window(30, session_id).status_code == 201
