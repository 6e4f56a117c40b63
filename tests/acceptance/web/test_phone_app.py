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
from tests.support.phoneapp import AppPage, show_to_camera, web_login_qr

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
    assert p.evaluate("navigator.serviceWorker.controller !== null")
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


@pytest.mark.seed("C6")
def test_a_no_scan_window_opened_in_the_app_lets_the_desktop_sign_until_it_is_closed(
    app_page: AppPage, desktop_cli: Desktop
) -> None:
    app_page.register("陈一")
    cli_login(desktop_cli, app_page)
    p = app_page.page
    app_page.open("#/windows")
    p.wait_for_selector("#window-form")
    assert "桌面客户端" in p.locator("#window-session").inner_text()
    for wrong in ("0", "1441"):
        p.fill("#minutes", wrong)
        p.click("#window-open")
        assert "1 到 1440" in p.locator("#window-error").inner_text()
    p.fill("#minutes", "30")
    p.click("#window-open")
    p.wait_for_selector("#window-opened")
    assert p.locator("#window-list li").count() == 1
    package = new_package(desktop_cli, "title=免扫码签名测试")
    signed = desktop_cli.run("sign", package, "--json")
    assert signed.returncode == 0, signed.stderr
    assert signed.json["method"] == "window"
    p.click("#window-list li button.close-one")
    p.wait_for_selector("#window-closed")
    assert p.locator("#window-list-empty").is_visible()
    again = desktop_cli.start("sign", package, "--timeout", "40", qr_name="sign-qr.txt")
    again.payload()  # closed: the desktop asks for a scan again
    app_page.scan(again.payload())
    app_page.approve()
    assert again.result().json["method"] == "scan"


@pytest.mark.seed("A7")
def test_the_app_lists_the_logins_and_ends_one(app_page: AppPage, desktop_page: Any) -> None:
    app_page.register()
    app_page.scan(web_login_qr(desktop_page))
    app_page.approve()
    desktop_page.wait_for_url("**/desk")
    p = app_page.page
    app_page.open("#/sessions")
    web = p.locator('#session-list li[data-kind="web"]')
    web.wait_for()
    assert "127.0.0.1" in web.inner_text() and "网页端" in web.inner_text()
    assert "本机" in p.locator('#session-list li[data-kind="app"]').inner_text()
    web.locator("button.end").click()
    p.wait_for_selector("#session-ended")
    assert p.locator('#session-list li[data-kind="web"]').count() == 0
    desktop_page.goto("/desk")
    desktop_page.wait_for_url("**/login")  # that browser is logged out


@pytest.mark.seed("A4")
def test_password_change_and_recovery_in_the_app(
    app_page: AppPage, settings: Any, live_server: Any
) -> None:
    from tests.support.factories import PASSWORD, last_sms_code

    app_page.register()
    p = app_page.page
    app_page.open("#/account")
    p.fill("#current-password", PASSWORD)
    p.fill("#new-password", "Changed2026pw")
    p.fill("#new-password2", "Changed2026pw")
    p.click("#password-submit")
    p.wait_for_selector("#password-done")
    # Forgotten later: recovered with an SMS code, then this phone logs in again.
    p.click("#logout")
    app_page.wait_screen("welcome")
    p.click("#go-recover")
    p.fill("#phone", app_page.phone)
    p.click("#recover-send")
    p.wait_for_selector("#recover-error .msg.ok")
    p.fill("#code", last_sms_code(settings.data, app_page.phone))
    p.fill("#new-password", "Recovered2026pw")
    p.fill("#new-password2", "Recovered2026pw")
    p.click("#recover-submit")
    p.wait_for_selector("#recover-done")
    app_page.bind(app_page.phone, "Recovered2026pw")
    assert app_page.screen() == "home"


def test_a_lost_phone_is_reported_from_another_and_its_keys_are_revoked(
    app_page: AppPage,
    desktop_page: Any,
    phone_browser: Any,
    live_server: Any,
    camera_video: Path,
    settings: Any,
) -> None:
    from tests.support.phoneapp import new_phone_page

    app_page.register("林二")
    second = AppPage(new_phone_page(phone_browser, live_server.url), camera_video, settings.data)
    try:
        second.bind(app_page.phone)
        second.open("#/account")
        sp = second.page
        sp.wait_for_selector("#device-list li")
        assert sp.locator("#device-list li").count() == 2
        lost = sp.locator("#device-list li", has_not_text="本机")
        sp.once("dialog", lambda d: d.accept())
        lost.locator("button.lost").click()
        sp.wait_for_selector("#lost-done")
        assert "已挂失" in sp.locator("#device-list").inner_text()
    finally:
        second.page.context.close()
    # The lost phone can no longer approve anything: its keys are revoked.
    show_to_camera(app_page.video, web_login_qr(desktop_page))
    app_page.page.click("#go-scan")
    app_page.page.wait_for_selector("#session-gone")  # it is told to log in again
    assert "挂失" in app_page.page.locator("#session-gone").inner_text()
    assert app_page.screen() == "welcome"
    assert desktop_page.url.endswith("/login")


APP_API = """async (path) => {
  const db = await new Promise((ok) => { const r = indexedDB.open("patentdesk-app"); r.onsuccess = () => ok(r.result); });
  const state = await new Promise((ok) => {
    const r = db.transaction("kv").objectStore("kv").get("state");
    r.onsuccess = () => ok(r.result);
  });
  const r = await fetch("/api/v1" + path, { headers: { Authorization: "Bearer " + state.token } });
  return r.json();
}"""


def test_the_inbox_shows_new_notices_and_near_deadlines(app_page: AppPage, db: Any) -> None:
    import datetime as dt

    from patentdesk.timeutil import beijing_date
    from tests.support.cases import add_case, add_notice

    app_page.register("何三")
    me = app_page.page.evaluate(APP_API, "/me")
    case = add_case(db, me["domain"], me["user_id"], title="一种保温杯")
    add_notice(
        db, case, deadline=beijing_date() + dt.timedelta(days=10), name="第一次审查意见通知书"
    )
    app_page.open("#/inbox")
    p = app_page.page
    p.wait_for_selector("#notice-list li")
    assert "第一次审查意见通知书" in p.locator("#notice-list").inner_text()
    assert case.application_number in p.locator("#deadline-list").inner_text()


def test_someone_working_for_an_agency_picks_whose_notices_the_inbox_shows(
    app_page: AppPage, db: Any, live_server: Any, settings: Any
) -> None:
    import datetime as dt

    import httpx

    from patentdesk.timeutil import beijing_date
    from tests.support.cases import add_case, add_notice
    from tests.support.factories import Person, World, auth

    app_page.register("冯四")
    me = app_page.page.evaluate(APP_API, "/me")
    with httpx.Client(base_url=live_server.url) as http:
        org = World(http, settings.data).agency(Person(app_page.phone, "冯四", me["user_id"]))
        domain = http.get("/api/v1/me", headers=auth(org["handler_token"])).json()["domain"]
    case = add_case(db, domain, me["user_id"], title="一种代理案件")
    add_notice(db, case, deadline=beijing_date() + dt.timedelta(days=5), name="补正通知书")
    app_page.open("#/inbox")
    p = app_page.page
    p.wait_for_selector("#notice-list-empty")  # as a natural person: nothing
    p.select_option("#inbox-role", f"handler:{org['org_id']}")
    p.wait_for_selector("#notice-list li")
    assert "补正通知书" in p.locator("#notice-list").inner_text()


def test_the_login_page_tells_where_to_get_the_phone_app(
    desktop_page: Any, live_server: Any
) -> None:
    desktop_page.goto("/login")
    link = desktop_page.locator("#get-app a")
    assert link.get_attribute("href") == f"{live_server.url}/m/"
    assert "手机 App" in desktop_page.locator("#get-app").inner_text()


@pytest.mark.seed("A3")
def test_the_cli_phone_and_the_app_serve_one_person_side_by_side(
    app_page: AppPage, phone: Any, desktop_page: Any
) -> None:
    phone.register("卫五")  # the command-line phone
    app_page.bind(phone.phone)  # the same person's web app on another phone
    devices = phone.run("devices")
    assert devices.returncode == 0, devices.stderr
    assert len(devices.json) == 2
    app_page.scan(web_login_qr(desktop_page))  # the app approves a login…
    app_page.approve()
    desktop_page.wait_for_url("**/desk")
    desktop_page.context.clear_cookies()
    desktop_page.goto("/login")  # …and so does the CLI phone, next time
    payload = desktop_page.locator("#qr-login-code[data-payload]").get_attribute("data-payload")
    assert phone.scan(str(payload)).returncode == 0
    desktop_page.wait_for_url("**/desk")


def test_chromium_finds_the_app_installable(app_page: AppPage) -> None:
    app_page.open("#/welcome")
    p = app_page.page
    p.evaluate("navigator.serviceWorker.ready.then(() => true)")
    p.reload()
    app_page.wait_screen("welcome")
    cdp = p.context.new_cdp_session(p)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/m/manifest.webmanifest") and not manifest["errors"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito, where Chromium never offers installation.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == [], errors
