"""``patentdesk sign`` end to end: server, desktop client and mobile app as separate
processes, the way an agency's script runs them (SPEC §10).

These tests are about the protocol between processes, not about storage: one SQLite run
each (the API tests cover both databases).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import time_machine

from patentdesk.packages import list_signatures, read_package
from patentdesk.timeutil import now
from tests.support.actors import Desktop, Phone
from tests.support.factories import PASSWORD, Person, World, unique_phone, valid_id_number


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def new_package(desktop: Desktop, title: str | None = None) -> str:
    """A case package made as a user would (``package new``, and ``set`` for a title)."""
    path = desktop.home / "case.zip"
    desktop.home.mkdir(parents=True, exist_ok=True)
    r = desktop.run("package", "new", "--type", "invention", "--out", str(path), "--json")
    assert r.returncode == 0, r.stderr
    if title:
        r = desktop.run("package", "set", str(path), f"title={title}", "--json")
        assert r.returncode == 0, r.stderr
    return str(path)


def sign_by_scan(desktop: Desktop, phone: Phone, package: str, *, show: bool = False) -> Any:
    pending = desktop.start("sign", package, "--timeout", "30", qr_name="sign-qr.txt")
    if show:  # what the phone shows before approving: the package, not just a digest
        shown = phone.run("scan", pending.payload())
        assert shown.returncode == 0, shown.stderr
        assert shown.json["kind"] == "sign"
        assert shown.json["requester"]["title"] == "一种折叠式电动自行车"
        assert shown.json["requester"]["business_type"] == "invention"
    scanned = phone.scan(pending.payload())
    assert scanned.returncode == 0, scanned.stderr
    result = pending.result()
    assert result.returncode == 0, result.stderr
    return dict(result.json)


@pytest.fixture
def live_world(live_server: Any, settings: Any) -> Any:
    """Organisations made over HTTP (fast); the acts under test run as CLI processes."""
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        yield World(http, settings.data)


@pytest.mark.seed("A10")
def test_the_handler_signs_and_the_main_account_gets_user_id_lookup_failed(
    phone, desktop, live_server, live_world, tmp_path
):
    phone.register("王经办")
    org = live_world.agency(Person(phone.phone, phone.name, phone.user_id))
    session = desktop.login_with(phone, role=f"handler:{org['org_id']}")
    package = new_package(desktop, title="一种折叠式电动自行车")
    signed = sign_by_scan(desktop, phone, package, show=True)
    assert signed["role"] == "handler" and signed["method"] == "scan"
    assert signed["signature"] == "META-INF/signatures/signature-001.p7s"
    checked = desktop.run("sign", package, "--verify", "--json")
    assert checked.returncode == 0, checked.stderr
    [claim] = checked.json["signatures"]
    assert claim["role"] == "handler" and claim["domain"] == session["domain"]
    assert claim["org_id"] == org["org_id"]

    main = Desktop(tmp_path / "main-account", live_server.url)
    r = main.run(
        "login", "--account", org["uscc"], "--password-stdin", "--json", input=PASSWORD + "\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.json["role"] == "main"
    r = main.run("sign", package, "--json", "--timeout", "5")
    assert r.returncode != 0
    assert r.error["code"] == "USER_ID_LOOKUP_FAILED"
    assert r.error["message"].startswith("查询用户 ID 失败")
    assert "经办人或子账户" in r.error["message"]  # the explanation, not just the words
    human = main.run("sign", package, "--timeout", "5")
    assert human.returncode != 0 and "查询用户 ID 失败" in human.stderr
    assert len(list_signatures(package)) == 1  # nothing was added


@pytest.mark.seed("C2")
def test_signing_without_a_login_says_so(desktop, phone):
    package = new_package(desktop)
    r = desktop.run("sign", package, "--json", "--timeout", "5")
    assert r.returncode != 0
    assert r.error["code"] == "USER_ID_LOOKUP_FAILED"
    assert "未登录" in r.error["message"]
    human = desktop.run("sign", package, "--timeout", "5")
    assert human.returncode != 0 and "查询用户 ID 失败" in human.stderr and "登录" in human.stderr
    # A login that ended on the server gets the same clear error, never a silent no-op.
    phone.register()
    desktop.login_with(phone)
    assert desktop.run("sessions", "--end", desktop.session()["session_id"]).returncode == 0
    r = desktop.run("sign", package, "--json", "--timeout", "5")
    assert r.returncode != 0 and r.error["code"] == "USER_ID_LOOKUP_FAILED"


@pytest.mark.seed("C6")
def test_no_scan_window_then_scanning_again_after_close_and_after_expiry(
    phone, desktop, live_server
):
    phone.register()
    desktop.login_with(phone)
    package = new_package(desktop)
    opened = phone.run("sign-window", "open", "--minutes", "5")
    assert opened.returncode == 0, opened.stderr
    assert (
        opened.json["expires_at"] and opened.json["session_id"] == desktop.session()["session_id"]
    )
    # Inside the window: no QR code, no phone.
    r = desktop.run("sign", package, "--json", "--timeout", "5")
    assert r.returncode == 0, r.stderr
    assert r.json["method"] == "window"
    assert "short code" not in r.stderr  # no QR code was shown
    closed = phone.run("sign-window", "close")
    assert closed.returncode == 0 and closed.json["closed"] == 1
    # Closed from the phone: the next signature needs a scan again.
    assert sign_by_scan(desktop, phone, package)["method"] == "scan"
    # A one-minute window, then the server's clock moves past it.
    assert phone.run("sign-window", "open", "--minutes", "1").returncode == 0
    with time_machine.travel(now() + dt.timedelta(minutes=2), tick=True):
        pending = desktop.start("sign", package, "--timeout", "30", qr_name="late.txt")
        assert pending.payload()  # a QR code to scan, not a silent window signature
        pending.proc.kill()
        pending.proc.communicate()
    checked = desktop.run("sign", package, "--verify", "--json")
    assert checked.returncode == 0, checked.stderr
    assert [s["method"] for s in checked.json["signatures"]] == ["window", "scan"]
    openssl_accepts(package, live_server.url, desktop.home)


def openssl_accepts(package: str, server: str, folder: Path) -> None:
    """An independent CMS implementation accepts what the real flow put in the package."""
    import subprocess

    import httpx

    openssl = shutil.which("openssl")
    if openssl is None:
        return  # the library-level interop tests say so when they skip
    (folder / "ca.pem").write_bytes(httpx.get(f"{server}/api/v1/pki/ca.pem").content)
    with read_package(package) as opened:
        (folder / "manifest.json").write_bytes(opened.manifest_bytes)
        signatures = [s.der for s in opened.signatures]
    for der in signatures:
        (folder / "sig.der").write_bytes(der)
        result = subprocess.run(
            [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in",
             str(folder / "sig.der"), "-content", str(folder / "manifest.json"),
             "-CAfile", str(folder / "ca.pem"), "-out", str(folder / "out")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0 and "Verification successful" in result.stderr, result


@pytest.fixture
def trial_server(sqlite_template: Path, tmp_path: Path) -> Any:
    """A second deployment: the public trial, with its own CA (seed A5)."""
    import importlib

    from patentdesk import bootstrap
    from patentdesk.app import create_app
    from patentdesk.config import Settings
    from patentdesk.db import Database
    from tests.conftest import LiveServer

    path = tmp_path / "trial.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(
        data=tmp_path / "trial-data", database_url=f"sqlite:///{path}", environment="trial"
    )
    settings.data.mkdir(parents=True)
    for module_name, func in bootstrap.STEPS:
        getattr(importlib.import_module(module_name), func)(settings)
    db = Database(settings.sqlalchemy_url)
    server = LiveServer(create_app(settings, db))
    server.start()
    settings.base_url = server.url
    yield server
    server.stop()
    db.dispose()


@pytest.mark.seed("A5")
def test_nothing_crosses_environments(phone, desktop, trial_server, tmp_path):
    phone.register("张三")
    desktop.login_with(phone)
    # A package signed in the trial environment…
    trial_phone = Phone(tmp_path / "trial-phone", trial_server.url)
    trial_phone.register("张三")
    trial_desktop = Desktop(tmp_path / "trial-desktop", trial_server.url)
    trial_desktop.login_with(trial_phone)
    package = new_package(trial_desktop)
    sign_by_scan(trial_desktop, trial_phone, package)
    # …is refused here, with the advice to re-register and download a new certificate.
    r = desktop.run("sign", package, "--verify", "--json")
    assert r.returncode != 0
    assert r.error["code"] == "CERTIFICATE_FOREIGN_ENVIRONMENT"
    assert "重新注册并下载新证书" in r.error["message"]
    # The phone refuses a QR code from the other environment in the same words.
    pending = trial_desktop.start("login", "--timeout", "10", qr_name="trial-login.txt")
    r = phone.scan(pending.payload())
    assert r.returncode != 0 and r.error["code"] == "QR_FOREIGN_ENVIRONMENT"
    assert "重新注册并下载新证书" in r.error["message"]
    pending.proc.kill()
    pending.proc.communicate()
    # Registering here gives the trial phone this environment's certificate.
    r = trial_phone.run("register", "--phone", unique_phone(), "--name", "张三", "--id-number",
                        valid_id_number(), "--password-stdin", "--server", desktop.server,
                        input=PASSWORD + "\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    shown = trial_phone.run("certificate", "--server", desktop.server)
    assert shown.returncode == 0 and shown.json["environment"] == "test"


def test_a_phone_reported_lost_from_another_phone_can_no_longer_sign(phone, desktop, tmp_path):
    registered = phone.register("张三")
    spare = Phone(tmp_path / "spare-phone", phone.server)
    bound = spare.run("login", "--phone", phone.phone, "--password-stdin", input=PASSWORD + "\n")
    assert bound.returncode == 0, bound.stderr
    assert bound.json["certificate_serial"] != registered["certificate_serial"]
    desktop.login_with(phone)
    listed = spare.run("devices")
    assert listed.returncode == 0, listed.stderr
    [other] = [d for d in listed.json if not d["this_phone"]]
    assert other["device_id"] == registered["device_id"]
    lost = spare.run("report-lost", other["device_id"])
    assert lost.returncode == 0 and lost.json["revoked_at"], lost.stderr
    package = new_package(desktop)
    pending = desktop.start("sign", package, "--timeout", "30", qr_name="sign-qr.txt")
    r = phone.scan(pending.payload())  # the lost phone's app session has ended
    assert r.returncode != 0 and r.error["code"] == "NOT_AUTHENTICATED"
    assert spare.scan(pending.payload()).returncode == 0
    signed = pending.result()
    assert signed.returncode == 0, signed.stderr
    assert signed.json["certificate_serial"] == bound.json["certificate_serial"]


def test_certificates_are_listed_and_downloaded_on_the_desktop(phone, desktop, tmp_path):
    from cryptography import x509

    registered = phone.register()
    r = desktop.run("certificate", "list", "--json")
    assert r.returncode != 0 and r.error["code"] == "NOT_AUTHENTICATED"
    desktop.login_with(phone)
    r = desktop.run("certificate", "list", "--json")
    assert r.returncode == 0, r.stderr
    [row] = r.json
    assert row["serial"] == registered["certificate_serial"] and row["revoked_at"] is None
    out = tmp_path / "mine.pem"
    r = desktop.run("certificate", "download", row["serial_hex"], "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    cert = x509.load_pem_x509_certificate(out.read_bytes())
    assert str(cert.serial_number) == registered["certificate_serial"]
    assert r.json["environment"] == "test" and r.json["purpose"] == "signing"
    renewed = phone.run("certificate", "--renew")
    assert renewed.returncode == 0, renewed.stderr
    rows = desktop.run("certificate", "list", "--json").json
    assert [r["serial"] for r in rows] == [renewed.json["certificate_serial"], row["serial"]]
    assert rows[0]["revoked_at"] is None and rows[1]["revoked_at"]  # superseded
    r = desktop.run("certificate", "download", "12345", "--out", str(out), "--json")
    assert r.returncode != 0 and r.error["code"] == "NOT_FOUND"
    r = desktop.run("certificate", "download", "not-a-serial", "--out", str(out), "--json")
    assert r.returncode != 0 and r.error["code"] == "VALIDATION_FAILED"
