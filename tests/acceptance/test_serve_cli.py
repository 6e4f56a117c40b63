"""`patentdesk serve` as a user starts it (issue 17): on another port and without
PATENTDESK_BASE_URL, its QR codes name the address it listens on, so phones reach it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from patentdesk.pki.payload import peek_payload
from tests.support.cli import cli_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_qr_codes_name_the_port_serve_listens_on(tmp_path: Path) -> None:
    port = _free_port()
    env = cli_env(data=tmp_path / "data", environment="test")  # no PATENTDESK_BASE_URL
    env["PATENTDESK_ARGON2_PROFILE"] = "CHEAPEST"
    server = subprocess.Popen(
        [sys.executable, "-m", "patentdesk", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        r = httpx.post(f"{base}/api/v1/auth/qr", json={"client_kind": "desktop"}, timeout=30)
        assert r.status_code == 201, r.text
        _header, claims = peek_payload(r.json()["payload"])
        assert claims["srv"] == base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert f"QR codes name {base}" in out


def test_a_wildcard_address_is_named_by_the_machines_address() -> None:
    from patentdesk.cli.serve import listening_url

    assert listening_url("127.0.0.1", 8010) == "http://127.0.0.1:8010"
    assert listening_url("::1", 8010) == "http://[::1]:8010"
    named = listening_url("0.0.0.0", 8010)
    assert named.endswith(":8010") and "0.0.0.0" not in named
