"""Test data made through the public API, the way users make it."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patentdesk.identity.sms import read_outbox
from patentdesk.packages import idnumbers

PASSWORD = "Secret2026pw"
_seq = itertools.count(1)


def unique_phone() -> str:
    return f"13{uuid.uuid4().int % 10**9:09d}"


def valid_id_number(serial: int | None = None) -> str:
    serial = next(_seq) if serial is None else serial
    first17 = f"3301061985{(serial % 12) + 1:02d}{(serial % 28) + 1:02d}{serial % 1000:03d}"
    return first17 + idnumbers.resident_id_check_char(first17)


def valid_uscc() -> str:
    alphabet = idnumbers.USCC_ALPHABET
    n = uuid.uuid4().int
    body = "91330106" + "".join(alphabet[(n >> (5 * i)) % 31] for i in range(9))
    return body + idnumbers.uscc_check_char(body)


def agency_code() -> str:
    return f"{uuid.uuid4().int % 100000:05d}"


@dataclass
class Person:
    phone: str
    name: str
    user_id: str
    password: str = PASSWORD
    tokens: dict[str, str] = field(default_factory=dict)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# The object store holding the SMS outbox of a server whose documents are in one (by its
# data folder; see the ``app`` fixture).
OUTBOX_STORES: dict[Path, Any] = {}


def last_sms_code(data_dir: Path, phone: str) -> str:
    """The newest code sent to ``phone`` (notices without a code, e.g. «新设备绑定», skipped)."""
    store = OUTBOX_STORES.get(Path(data_dir))
    messages = [m for m in read_outbox(data_dir, phone, store) if m.get("code")]
    assert messages, f"no SMS code to {phone}"
    return str(messages[-1]["code"])


# The data folder (SMS outbox) of each live server by its URL, for helpers that only know
# the server: the CLI phone, an HTTP client (see ``LiveServer.start``).
SERVER_DATA: dict[str, Path] = {}


def data_dir_of(client_or_url: Any) -> Path:
    """The SMS outbox's folder behind a TestClient, an httpx client or a server URL."""
    app = getattr(client_or_url, "app", None)
    if app is not None and hasattr(app, "state"):
        return Path(app.state.settings.data)
    url = str(getattr(client_or_url, "base_url", client_or_url)).rstrip("/")
    assert url in SERVER_DATA, f"unknown server {url}: its SMS outbox cannot be read"
    return SERVER_DATA[url]


def register_person(client: Any, data_dir: Path, body: dict[str, Any], **extra: Any) -> Any:
    """自然人注册 through the API's two steps: the code is sent, then shown. Returns the
    second answer (201), or the first when that is already a refusal."""
    r = client.post("/api/v1/identity/register", json={**body, **extra})
    if r.status_code != 202:
        return r
    code = last_sms_code(data_dir, body["phone"])
    return client.post("/api/v1/identity/register", json={**body, **extra, "sms_code": code})


def app_login(client: Any, data_dir: Path, account: str, password: str = PASSWORD) -> Any:
    """The app's password login with its SMS second factor; returns the answer with the
    session (or the refusal)."""
    body = {"account": account, "password": password, "client_kind": "app"}
    r = client.post("/api/v1/auth/password-login", json=body)
    if r.status_code != 200 or "challenge_id" not in r.json():
        return r
    code = last_sms_code(data_dir, idnumbers_mobile(account))
    return client.post("/api/v1/auth/password-login", json={**body, "sms_code": code})


def idnumbers_mobile(account: str) -> str:
    from patentdesk.identity.idnumbers import normalise_mobile

    return normalise_mobile(account)


class World:
    """Builds people and organisations through the HTTP API of one app."""

    def __init__(self, client: Any, data_dir: Path) -> None:
        self.client = client
        self.data_dir = data_dir

    def person(self, name: str = "张三") -> Person:
        phone = unique_phone()
        r = register_person(
            self.client,
            self.data_dir,
            {"phone": phone, "name": name, "id_number": valid_id_number(), "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        return Person(phone, name, r.json()["user_id"])

    def web_login(self, person: Person, role: str | None = None) -> dict[str, Any]:
        """Password + SMS second factor, as on the web portal; returns the session."""
        r = self.client.post(
            "/api/v1/auth/password-login",
            json={"account": person.phone, "password": person.password, "client_kind": "web"},
        )
        assert r.status_code == 200, r.text
        challenge = r.json()["challenge_id"]
        r = self.client.post(
            "/api/v1/auth/password-login/verify",
            json={
                "challenge_id": challenge,
                "code": last_sms_code(self.data_dir, person.phone),
                "role": role,
            },
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def token(self, person: Person, role: str | None = None) -> str:
        return str(self.web_login(person, role)["token"])

    def agency(
        self, handler: Person, kind: str = "agency", name: str | None = None
    ) -> dict[str, Any]:
        token = self.token(handler)
        body = {
            "kind": kind,
            "name": name
            or f"测试{'代理' if kind == 'agency' else '科技'}机构{uuid.uuid4().hex[:6]}",
            "uscc": valid_uscc(),
            "main_password": PASSWORD,
        }
        if kind == "agency":
            body["agency_code"] = agency_code()
        r = self.client.post("/api/v1/orgs", json=body, headers=auth(token))
        assert r.status_code == 201, r.text
        org = dict(r.json())
        org["handler_token"] = self.token(handler, role=f"handler:{org['org_id']}")
        return org

    def main_token(self, org: dict[str, Any]) -> str:
        r = self.client.post(
            "/api/v1/auth/password-login",
            json={"account": org["uscc"], "password": PASSWORD, "client_kind": "web"},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def branch(self, org: dict[str, Any], name: str) -> str:
        r = self.client.post(
            "/api/v1/org/branches", json={"name": name}, headers=auth(org["handler_token"])
        )
        assert r.status_code == 201, r.text
        return str(r.json()["branch_id"])

    def sub_account(
        self, org: dict[str, Any], person: Person, branch: str | None = None
    ) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/org/subaccounts",
            json={"phone": person.phone, "name": person.name, "branch": branch},
            headers=auth(org["handler_token"]),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def sub_token(self, person: Person, account_id: str) -> str:
        return self.token(person, role=f"sub:{account_id}")


def write_session(home: Path, server: str, session: dict[str, Any]) -> None:
    """Puts a login into a client's state folder (what `patentdesk login` saves)."""
    home.mkdir(parents=True, exist_ok=True)
    record = dict(session)
    record["server"] = server
    (home / "session.json").write_text(json.dumps(record), "utf-8")


def page_csrf(html: str) -> str:
    """The CSRF token a page hands its forms and htmx requests (bound to the session)."""
    import re

    match = re.search(r'"X-CSRF-Token": "([^"]+)"', html) or re.search(
        r'name="csrf" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)
