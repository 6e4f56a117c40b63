"""The phone app (PWA at /m/) in Chromium with a fake camera: it registers, makes its keys
with WebCrypto, scans what the desktop shows and approves it; the desktop is a second
browser (the web portal) or the desktop CLI."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

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
