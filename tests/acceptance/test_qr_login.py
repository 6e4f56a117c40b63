"""QR login end to end: server, desktop client and mobile app as separate processes."""

from __future__ import annotations

import pytest

from tests.support.actors import Desktop


@pytest.mark.seed("A3")
@pytest.mark.seed("A7")
def test_each_computer_scans_and_one_user_holds_many_sessions(
    phone, desktop, live_server, tmp_path
):
    reg = phone.register("张三")
    assert reg["certificate_serial"]
    first = desktop.login_with(phone)
    assert first["user_id"] == reg["user_id"]
    assert first["role"] == "natural" and first["domain"]
    # A second computer needs its own scan; both stay logged in.
    other = Desktop(tmp_path / "desktop2", live_server.url)
    second = other.login_with(phone)
    assert second["session_id"] != first["session_id"]
    listed = desktop.run("sessions", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = {s["id"] for s in listed.json}
    assert {first["session_id"], second["session_id"]} <= ids
    desktop_rows = [s for s in listed.json if s["client_kind"] == "desktop"]
    assert all(s["ip"] for s in desktop_rows)
    # Ending the other computer's session logs it out there only.
    r = desktop.run("sessions", "--end", second["session_id"], "--json")
    assert r.returncode == 0, r.stderr
    assert other.run("whoami", "--json").returncode != 0
    assert desktop.run("whoami", "--json").returncode == 0


def test_the_phone_shows_who_asks_and_a_replay_is_refused(phone, desktop):
    phone.register()
    pending = desktop.start("login", "--timeout", "30")
    payload = pending.payload()
    shown = phone.run("scan", payload)  # without --approve/--deny: shows the requester
    assert shown.returncode == 0, shown.stderr
    requester = shown.json["requester"]
    assert requester["client_kind"] == "desktop"
    assert requester["ip"] == "127.0.0.1"
    assert requester["device_name"].startswith("patentdesk-cli@")
    assert phone.scan(payload).returncode == 0
    assert pending.result().returncode == 0
    replay = phone.scan(payload)
    assert replay.returncode != 0
    assert replay.error["code"] == "QR_ALREADY_USED"


def test_denied_login_fails_on_the_desktop(phone, desktop):
    phone.register()
    pending = desktop.start("login", "--timeout", "30")
    assert phone.scan(pending.payload(), approve=False).json["status"] == "denied"
    result = pending.result()
    assert result.returncode != 0
    assert result.error["code"] == "QR_DENIED"


def test_phone_refuses_payloads_the_server_did_not_sign(phone, desktop):
    phone.register()
    pending = desktop.start("login", "--timeout", "5")
    payload = pending.payload()
    head, body, sig = payload.split(".")
    forged = ".".join([head, body, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
    r = phone.scan(forged)
    assert r.returncode != 0 and r.error["code"] == "QR_PAYLOAD_REFUSED"
    r = phone.scan("not a qr payload")
    assert r.returncode != 0 and r.error["code"] == "QR_PAYLOAD_REFUSED"
    pending.proc.kill()


@pytest.mark.seed("A12")
def test_qr_as_png_and_short_code_when_the_terminal_cannot_draw(phone, desktop):
    phone.register()
    png = desktop.home / "login.png"
    pending = desktop.start("login", "--timeout", "30", "--qr-png", str(png))
    pending.payload()
    assert png.exists() and png.read_bytes().startswith(b"\x89PNG")
    r = phone.scan(str(png))  # the phone reads the PNG
    assert r.returncode == 0, r.stderr
    assert pending.result().returncode == 0
    # Not a terminal: the PNG is written to the state folder and a short code printed.
    pending = desktop.start("login", "--timeout", "30", qr_name="qr2.txt")
    pending.payload()
    assert (desktop.home / "login-qr.png").exists()
    import re

    pending.proc.kill()
    _out, err = pending.proc.communicate()
    match = re.search(r"short code: ([2-9A-HJ-NP-Z]{10})", err)
    assert match, err


def test_short_code_login(phone, desktop):
    import re
    import subprocess
    import sys

    phone.register()
    proc = subprocess.Popen(
        [sys.executable, "-m", "patentdesk", "login", "--timeout", "30", "--json"],
        env=desktop.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    code = None
    line = ""
    while code is None:
        line = proc.stderr.readline()
        assert line, "desktop printed no short code"
        match = re.search(r"short code: ([2-9A-HJ-NP-Z]{10})", line)
        if match:
            code = match.group(1)
    r = phone.scan(code)
    assert r.returncode == 0, r.stderr
    out, _err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert '"role": "natural"' in out


def test_role_chosen_at_login(phone, desktop, live_server):
    phone.register("王经办")
    desktop.login_with(phone)
    org = desktop.run(
        "org",
        "register",
        "--kind",
        "agency",
        "--name",
        "测试专利代理事务所",
        "--uscc",
        _uscc(),
        "--agency-code",
        "12345",
        "--json",
    )
    assert org.returncode == 0, org.stderr
    org_id = org.json["org_id"]
    session = desktop.login_with(phone, role=f"handler:{org_id}")
    assert session["role"] == "handler"
    assert desktop.session()["org_id"] == org_id
    bad = desktop.start("login", "--as", "sub:nope", "--timeout", "10", qr_name="bad.txt")
    r = phone.scan(bad.payload())
    assert r.returncode != 0 and r.error["code"] == "ROLE_UNAVAILABLE"
    # The desktop is told too, at once, rather than waiting for the code to expire.
    ended = bad.result(timeout=30)
    assert ended.returncode != 0 and ended.error["code"] == "ROLE_UNAVAILABLE"


def _uscc():
    from tests.support.factories import valid_uscc

    return valid_uscc()
