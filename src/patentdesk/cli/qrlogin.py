"""The desktop side of QR login: ask, draw the QR code (or a PNG and a short text code
when the terminal cannot draw it, A12), wait for the phone, keep a session key."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from patentdesk.cli.client import Api, home
from patentdesk.cli.output import err_console
from patentdesk.errors import PatentDeskError


class LoginTimeout(PatentDeskError):
    code = "LOGIN_TIMEOUT"
    status = 408
    message_zh = "等待手机扫码确认超时，请重新登录"
    message_en = "Timed out waiting for the phone; log in again"


def terminal_can_draw() -> bool:
    """Half-block QR codes need a UTF-8 terminal at least 60 columns wide."""
    if not sys.stderr.isatty():
        return False
    encoding = (getattr(sys.stderr, "encoding", "") or "").lower().replace("-", "")
    if encoding not in ("utf8", "utf8sig"):
        return False
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns >= 60
    except OSError:
        return False


def show_qr(
    payload: str,
    short_code: str,
    *,
    qr_text: str | None,
    qr_png: str | None,
    what: str,
    per_computer: bool = True,
) -> None:
    import segno

    code = segno.make(payload, error="m")
    png = qr_png
    drawable = terminal_can_draw()
    if not drawable and not png:
        png = str(home() / "login-qr.png")
    if png:
        code.save(png, scale=6, border=4)
    if drawable:
        code.terminal(out=sys.stderr, compact=True)
    hint = "（每台电脑需单独扫码）" if per_computer else ""
    err_console.print(f"请用专利业务办理系统手机 App 扫码{what}{hint}")
    if png:
        err_console.print(f"二维码图片 QR code PNG: {png}")
    err_console.print(f"无法扫码时可在手机输入短码 short code: [bold]{short_code}[/]")
    if qr_text:  # last: scripts wait for this file, and everything else is ready by then
        tmp = Path(qr_text + ".tmp")
        tmp.write_text(payload, "utf-8")
        tmp.replace(qr_text)


def poll_request(api: Api, path: str, secret: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LoginTimeout()
        result: dict[str, Any] = api.post(
            path, json={"secret": secret, "wait": min(20.0, remaining)}
        )
        if result.get("status") != "pending":
            return result


def qr_login(
    *,
    server: str | None,
    role: str | None,
    qr_text: str | None,
    qr_png: str | None,
    timeout: int,
    json_out: bool,
) -> tuple[dict[str, Any], str]:
    import socket

    with Api(server, use_session=False, timeout=30) as api:
        started = api.post(
            "/api/v1/auth/qr",
            json={
                "client_kind": "desktop",
                "role": role,
                "device_name": f"patentdesk-cli@{socket.gethostname()}"[:200],
            },
        )
        show_qr(
            started["payload"], started["short_code"], qr_text=qr_text, qr_png=qr_png, what="登录"
        )
        data = poll_request(
            api, f"/api/v1/auth/qr/{started['request_id']}/poll", started["secret"], timeout
        )
        _register_session_key(api, data)
        return data, api.server


def _register_session_key(api: Api, session: dict[str, Any]) -> None:
    """A fresh key for this session, used only inside a no-scan window (C6)."""
    from patentdesk.pki.clientkey import ClientKeyStore
    from patentdesk.pki.keys import public_key_pem

    store = ClientKeyStore(home())
    public = store.create_key(session["session_id"])
    proof = store.sign_statement(
        {"t": "client-key", "s": session["session_id"], "iat": int(time.time())}
    )
    api.post(
        "/api/v1/me/client-key",
        json={"public_key": public_key_pem(public), "proof": proof},
        headers={"Authorization": f"Bearer {session['token']}"},
    )
