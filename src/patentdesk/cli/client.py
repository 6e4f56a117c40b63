"""The desktop client's state folder and its HTTP connection to the server.

State lives in ``PATENTDESK_HOME`` (one folder per computer): ``session.json`` holds the
current login as the server described it::

    {"server": "https://…", "token": "…", "session_id": "…", "user_id": "…",
     "role": "natural|handler|sub|main|office", "domain": "…", "domain_name": "…",
     "org_id": "…"|null, "org_kind": "legal|agency"|null, "org_name": "…"|null,
     "account_id": "…"|null, "environment": "trial"}

Without a session the client acts as a natural person (seed C1, C3).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from patentdesk.errors import NotAuthenticated, PatentDeskError

DEFAULT_SERVER = "http://127.0.0.1:8000"


def home() -> Path:
    configured = os.environ.get("PATENTDESK_HOME")
    if configured:
        path = Path(configured)
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        path = base / "patentdesk"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def server_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("PATENTDESK_SERVER") or DEFAULT_SERVER
    return url.rstrip("/")


def _session_path() -> Path:
    return home() / "session.json"


def load_session() -> dict[str, Any] | None:
    path = _session_path()
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data


def save_session(data: dict[str, Any]) -> None:
    path = _session_path()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def clear_session() -> None:
    _session_path().unlink(missing_ok=True)


def current_role() -> str:
    """The role the client acts in: ``natural`` without a login (seed C1, C3, C8)."""
    session = load_session()
    return str(session["role"]) if session else "natural"


class ServerError(PatentDeskError):
    """An error the server reported, carried to the user with its own code and message."""

    code = "SERVER_ERROR"

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            err = {
                "code": "SERVER_ERROR",
                "message": f"服务器错误（HTTP {status}）",
                "message_en": f"Server error (HTTP {status})",
            }
        super().__init__(
            str(err.get("message", "")),
            str(err.get("message_en", "")),
            details=err.get("details") or {},
        )
        self.code = str(err.get("code", "SERVER_ERROR"))  # type: ignore[misc]
        self.status = status  # type: ignore[misc]


class Unreachable(PatentDeskError):
    code = "SERVER_UNREACHABLE"
    status = 503
    message_zh = "无法连接服务器 {url}：{reason}。可运行 patentdesk doctor 检查网络和代理设置"
    message_en = (
        "Cannot reach the server {url}: {reason}. Run patentdesk doctor to check network and proxy"
    )


def no_proxy_requested() -> bool:
    return os.environ.get("PATENTDESK_NO_PROXY", "") not in ("", "0", "false")


class Api:
    """A thin JSON client for ``/api/v1``; server errors become :class:`ServerError`."""

    def __init__(
        self,
        server: str | None = None,
        *,
        token: str | None = None,
        use_session: bool = True,
        no_proxy: bool | None = None,
        timeout: float = 60.0,
    ) -> None:
        session = load_session() if use_session else None
        self.server = server_url(server or (session or {}).get("server"))
        if server is None and os.environ.get("PATENTDESK_SERVER"):
            self.server = server_url()
        self.token = token or (session or {}).get("token")
        headers = {"Accept": "application/json", "User-Agent": "patentdesk-cli"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        trust_env = not (no_proxy if no_proxy is not None else no_proxy_requested())
        self.http = httpx.Client(
            base_url=self.server, headers=headers, timeout=timeout, trust_env=trust_env
        )

    def require_login(self) -> None:
        if not self.token:
            raise NotAuthenticated()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise Unreachable(url=self.server, reason=type(exc).__name__) from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ServerError(response.status_code, body)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
