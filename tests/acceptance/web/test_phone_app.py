"""The phone app (PWA at /m/) in Chromium with a fake camera: it registers, makes its keys
with WebCrypto, scans what the desktop shows and approves it; the desktop is a second
browser (the web portal) or the desktop CLI."""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages import read_package
from patentdesk.pki.keys import generate_key
from patentdesk.pki.payload import sign_payload
from tests.support.actors import Desktop
from tests.support.phoneapp import AppPage, web_login_qr

pytestmark = pytest.mark.browser


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The app's flows, not storage, are under test here: one SQLite run."""
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.mark.seed("A3")
@pytest.mark.seed("A7")
def test_the_phone_scans_the_desktop_login_qr_with_its_camera_and_logs_it_in(
    app_page: AppPage, desktop_page: Any
) -> None:
    app_page.register("孙七")
    app_page.scan(web_login_qr(desktop_page))
    assert app_page.screen() == "confirm-login"
    p = app_page.page
    assert p.locator("#who-client").inner_text() == "网页端"
    assert "Chrome" in p.locator("#who-device").inner_text()
    assert p.locator("#who-ip").inner_text() == "127.0.0.1"
    app_page.approve()
    desktop_page.wait_for_url("**/desk")
    assert "孙七" in desktop_page.locator("#who").inner_text()


KEYS_IN_INDEXEDDB = """async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("patentdesk-app");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const keys = await new Promise((ok) => {
    const r = db.transaction("kv").objectStore("kv").get("keys");
    r.onsuccess = () => ok(r.result);
  });
  const out = {};
  for (const name of ["device", "signing"]) {
    const key = keys[name].privateKey;
    out[name] = { type: key.type, extractable: key.extractable, algorithm: key.algorithm.namedCurve };
    for (const format of ["pkcs8", "jwk"]) {
      try {
        await crypto.subtle.exportKey(format, key);
        out[name][format] = "exported";
      } catch (e) {
        out[name][format] = e.name;
      }
    }
  }
  return out;
}"""


def test_the_private_keys_are_made_on_the_phone_and_cannot_be_exported(
    app_page: AppPage, live_server: Any
) -> None:
    app_page.register()
    keys = app_page.page.evaluate(KEYS_IN_INDEXEDDB)
    for name in ("device", "signing"):
        assert keys[name]["type"] == "private"
        assert keys[name]["extractable"] is False
        assert keys[name]["algorithm"] == "P-256"
        assert keys[name]["pkcs8"] == "InvalidAccessError"
        assert keys[name]["jwk"] == "InvalidAccessError"


def test_the_installed_app_opens_without_a_network(app_page: AppPage) -> None:
    app_page.register()
    p = app_page.page
    assert p.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)").endswith("/m/")
    p.reload()  # now controlled by the service worker, which caches the shell
    p.wait_for_function("navigator.serviceWorker.controller !== null")
    p.context.set_offline(True)
    try:
        app_page.open("#/home")
        assert app_page.screen() == "home"
    finally:
        p.context.set_offline(False)


@pytest.fixture
def desktop_cli(live_server: Any, tmp_path: Path) -> Desktop:
    return Desktop(tmp_path / "desktop", live_server.url)


def cli_login(desktop: Desktop, app: AppPage, *args: str) -> dict[str, Any]:
    """``patentdesk login`` on the desktop, approved by scanning with the app's camera."""
    pending = desktop.start("login", "--timeout", "40", *args)
    app.scan(pending.payload())
    assert app.screen() == "confirm-login"
    assert app.page.locator("#who-client").inner_text() == "桌面客户端"
    app.approve()
    result = pending.result()
    assert result.returncode == 0, result.stderr
    return dict(result.json)


def new_package(desktop: Desktop, *assignments: str) -> str:
    path = desktop.home / "case.zip"
    r = desktop.run("package", "new", "--type", "invention", "--out", str(path), "--json")
    assert r.returncode == 0, r.stderr
    if assignments:
        r = desktop.run("package", "set", str(path), *assignments, "--json")
        assert r.returncode == 0, r.stderr
    return str(path)


@pytest.mark.seed("A3")
def test_the_app_logs_the_desktop_cli_in(app_page: AppPage, desktop_cli: Desktop) -> None:
    app_page.register("周八")
    session = cli_login(desktop_cli, app_page)
    assert session["name"] == "周八"
    assert desktop_cli.session()["user_id"] == session["user_id"]


@pytest.mark.seed("C2")
def test_the_app_shows_the_package_and_its_signature_verifies_like_the_cli_phones(
    app_page: AppPage, desktop_cli: Desktop
) -> None:
    app_page.register("吴九")
    cli_login(desktop_cli, app_page)
    package = new_package(
        desktop_cli,
        "title=一种折叠式电动自行车",
        "applicants.0.name=吴九",
        "applicants.1.name=郑十",
    )
    with read_package(Path(package)) as pkg:
        digest = hashlib.sha256(pkg.manifest_bytes).hexdigest()
        package_id, files = pkg.package_id, len(pkg.manifest.files)
    pending = desktop_cli.start("sign", package, "--timeout", "40", qr_name="sign-qr.txt")
    app_page.scan(pending.payload())
    assert app_page.screen() == "confirm-sign"
    p = app_page.page
    assert p.locator("#sign-business").inner_text() == "发明专利申请"
    assert p.locator("#sign-title").inner_text() == "一种折叠式电动自行车"
    assert p.locator("#sign-applicants").inner_text() == "吴九、郑十"
    assert p.locator("#sign-package").inner_text() == package_id
    assert p.locator("#sign-files").inner_text() == str(files)
    assert p.locator("#sign-digest").inner_text().replace(" ", "") == digest
    assert p.locator("#digest-ok").is_visible()  # checked against the office-signed code
    app_page.approve()
    signed = pending.result()
    assert signed.returncode == 0, signed.stderr
    assert signed.json["method"] == "scan"
    # The server checks the phone-made CMS signature as it checks the CLI phone's.
    checked = desktop_cli.run("sign", package, "--verify", "--json")
    assert checked.returncode == 0, checked.stderr
    [claim] = checked.json["signatures"]
    assert claim["signer"] == "吴九" and claim["digest"] == digest


def foreign_payload(live_server: Any, env: str) -> str:
    """A code as another environment's server would make it (its own office key)."""
    claims = {
        "v": 1,
        "t": "login",
        "srv": live_server.url,
        "env": env,
        "id": str(uuid.uuid4()),
        "n": "x" * 32,
        "exp": int(time.time()) + 120,
    }
    return sign_payload(claims, generate_key(), kid="office")


@pytest.mark.seed("A5")
def test_a_code_of_another_environment_is_refused_and_the_app_says_so(
    app_page: AppPage, live_server: Any
) -> None:
    app_page.register()
    app_page.scan(foreign_payload(live_server, "production"))
    reason, text = app_page.refusal()
    assert reason == "environment"
    assert "正式环境" in text and "测试环境" in text and "互不相通" in text


def test_a_code_the_server_did_not_sign_is_refused(app_page: AppPage, live_server: Any) -> None:
    app_page.register()
    app_page.scan(foreign_payload(live_server, "test"))  # right environment, wrong key
    reason, text = app_page.refusal()
    assert reason == "signature" and "不是本系统服务器签发" in text
    app_page.scan("https://example.com/not-a-patentdesk-code")
    assert app_page.refusal()[0] == "malformed"


def test_refused_expired_and_replayed_codes_each_get_a_clear_message(
    app_page: AppPage, desktop_page: Any, live_server: Any
) -> None:
    app_page.register()
    # Refused on the phone: the desktop is told, and the same code cannot be used again.
    refused = web_login_qr(desktop_page)
    app_page.scan(refused)
    app_page.deny()
    desktop_page.wait_for_selector('#qr-status[data-state="denied"]')
    app_page.scan(refused)
    reason, text = app_page.refusal()
    assert reason == "denied" and "已被拒绝" in text
    # Approved once, then the same picture scanned again (a replay).
    desktop_page.click("#qr-refresh")
    desktop_page.locator("#qr-login-code[data-payload] svg").wait_for()
    used = desktop_page.locator("#qr-login-code svg").screenshot()
    app_page.scan(used)
    app_page.approve()
    desktop_page.wait_for_url("**/desk")
    app_page.scan(used)
    reason, text = app_page.refusal()
    assert reason == "used" and "已经使用过" in text
    # Expired before it was scanned.
    settings = live_server.config.app.state.settings
    settings.qr_ttl_seconds = 1
    expired = Desktop(Path(app_page.data_dir).parent / "desktop-cli", live_server.url)
    pending = expired.start("login", "--timeout", "5")
    payload = pending.payload()
    time.sleep(2.1)
    app_page.scan(payload)
    reason, text = app_page.refusal()
    assert reason == "expired" and "已过期" in text
    pending.result()


@pytest.mark.seed("A12")
def test_typing_the_short_code_works_when_the_camera_cannot_scan(
    app_page: AppPage, desktop_page: Any
) -> None:
    app_page.register("钱二")
    desktop_page.goto("/login")
    code = desktop_page.locator("#qr-short-code").inner_text()
    app_page.type_code("abc")  # a typo is named, not sent
    assert "10 位" in app_page.page.locator("#lookup-error").inner_text()
    app_page.type_code(code.lower())
    assert app_page.screen() == "confirm-login"
    app_page.approve()
    desktop_page.wait_for_url("**/desk")
    assert "钱二" in desktop_page.locator("#who").inner_text()
