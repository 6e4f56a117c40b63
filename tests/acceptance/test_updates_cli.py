"""Client updates end to end: an operator publishes with ``patentdesk admin release``, a
running server serves the repository, and ``patentdesk update`` runs as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import Result, cli_env, run_cli
from tests.unit.updates.helpers import db_url, make_package  # noqa: F401 (fixture)


class Desk:
    """One server's release repository and one client computer."""

    def __init__(self, live_server: Any, settings: Any, tmp_path: Path) -> None:
        port = live_server.url.rsplit(":", 1)[1]
        self.server = f"http://localhost:{port}"  # a name, as the seed asks (B2)
        self.data = settings.data
        self.home = tmp_path / "client"
        self.packages = tmp_path / "packages"
        self.env = cli_env(home=self.home, server=self.server)

    def publish(self, version: str, **kwargs: Any) -> dict[str, Any]:
        package = make_package(self.packages, version, **kwargs)
        result = run_cli(
            "admin",
            "release",
            "publish",
            "--version",
            version,
            "--package",
            str(package),
            "--json",
            env=cli_env(data=self.data),
            check=True,
        )
        return result.json

    def update(self, *args: str) -> Result:
        return run_cli("update", *args, "--json", env=self.env)

    def install_root(self, tmp_path: Path) -> Result:
        root = tmp_path / "root.json"
        root.write_bytes(httpx.get(f"{self.server}/api/v1/updates/root.json").content)
        return self.update("--install-root", str(root))

    def installed(self) -> str:
        state = json.loads((self.home / "app" / "current.json").read_text())
        return (self.home / "app" / "versions" / state["dir"] / "VERSION").read_text()


@pytest.fixture
def desk(live_server, settings, tmp_path) -> Desk:
    return Desk(live_server, settings, tmp_path)


@pytest.fixture
def installed_desk(desk: Desk, tmp_path: Path) -> Desk:
    desk.publish("1.0.0")
    first = desk.install_root(tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.json["current"] == "1.0.0" and first.json["method"] == "full"
    desk.publish("1.1.0", changed=b"new")
    return desk


@pytest.mark.seed("B1")
def test_patch_truncated_by_antivirus_in_pending_is_fetched_again(installed_desk: Desk):
    desk = installed_desk
    check = desk.update("--check")
    assert check.json | {"events": []} == {
        "current": "1.0.0",
        "available": "1.1.0",
        "applied": False,
        "update_available": True,
        "damaged": [],
        "events": [],
    }
    downloaded = desk.update("--download-only")
    assert downloaded.json["downloaded"] == "patch"
    pending = desk.home / "updater" / "pending"
    info = json.loads((pending / "update-info.json").read_text())
    assert info["kind"] == "patch" and info["version"] == "1.1.0"
    patch = pending / info["file"]
    patch.write_bytes(patch.read_bytes()[:64])  # "only a few dozen KB: damaged by antivirus"

    result = desk.update()

    assert result.returncode == 0, result.stderr
    body = result.json
    assert (body["current"], body["applied"], body["method"]) == ("1.1.0", True, "patch")
    assert body["events"][0]["problem"] == "changed_after_download"
    assert desk.installed() == "1.1.0"
    assert not list(pending.iterdir())  # nothing left over, no certificate to install

    back = desk.update("--rollback")
    assert (back.json["current"], back.json["rolled_back_from"]) == ("1.0.0", "1.1.0")
    assert desk.installed() == "1.0.0"


@pytest.mark.seed("B1")
def test_truncated_patch_on_the_server_falls_back_to_the_full_package(installed_desk: Desk):
    desk = installed_desk
    stored = next((desk.data / "updates" / "targets" / "patches").glob("*.bsdiff"))
    stored.write_bytes(stored.read_bytes()[:20])  # a broken mirror

    result = desk.update()

    assert result.returncode == 0, result.stderr
    assert (result.json["current"], result.json["method"]) == ("1.1.0", "full")
    assert [e["problem"] for e in result.json["events"]] == ["length_or_hash_mismatch"] * 2
    assert desk.installed() == "1.1.0"


def test_wrong_full_and_patch_leave_the_previous_version_running(installed_desk: Desk):
    desk = installed_desk
    targets = desk.data / "updates" / "targets"
    for stored in [*targets.glob("patches/*"), *targets.glob("full/*1.1.0.zip")]:
        data = bytearray(stored.read_bytes())
        data[100] ^= 0xFF
        stored.write_bytes(bytes(data))

    result = desk.update()

    assert result.returncode != 0
    assert result.error["code"] == "UPDATE_TARGET_INVALID"
    assert desk.installed() == "1.0.0"
    assert run_cli("doctor", "--json", env=desk.env).json["checks"][4]["ok"]


def test_expired_metadata_is_refused_until_the_operator_refreshes(installed_desk: Desk):
    desk = installed_desk
    timestamp = desk.data / "updates" / "metadata" / "timestamp.json"
    # Re-sign the timestamp as if it had been made two days ago (a frozen mirror).
    _resign_timestamp_in_the_past(desk.data)

    refused = desk.update()
    assert refused.returncode != 0
    assert refused.error["code"] == "UPDATE_METADATA_EXPIRED"
    assert desk.installed() == "1.0.0"

    run_cli("admin", "release", "refresh", "--json", env=cli_env(data=desk.data), check=True)
    assert json.loads(timestamp.read_text())["signed"]["version"] > 0
    assert desk.update().json["current"] == "1.1.0"


def _resign_timestamp_in_the_past(data: Path) -> None:
    import datetime as dt

    from patentdesk.updates.repository import ReleaseRepository

    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    ReleaseRepository.in_data(data, clock=lambda: past).refresh()


def test_operator_commands(desk: Desk, tmp_path: Path):
    admin = cli_env(data=desk.data)
    desk.publish("1.0.0")
    rotated = run_cli("admin", "release", "rotate-keys", "root", "--json", env=admin, check=True)
    assert rotated.json["metadata"]["root"] == 2
    status = run_cli("admin", "release", "status", "--json", env=admin, check=True).json
    assert status["latest"] == "1.0.0" and status["roles"]["root"]["version"] == 2
    out = tmp_path / "shipped-root.json"
    run_cli("admin", "release", "root", "--out", str(out), "--json", env=admin, check=True)
    assert out.read_bytes() == httpx.get(f"{desk.server}/api/v1/updates/root.json").content

    again = run_cli(
        "admin",
        "release",
        "publish",
        "--version",
        "1.0.0",
        "--package",
        str(desk.packages / "client-1.0.0.zip"),
        "--json",
        env=admin,
    )
    assert again.returncode != 0 and again.error["code"] == "RELEASE_VERSION_EXISTS"
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"MZ not a zip")
    refused = run_cli(
        "admin",
        "release",
        "publish",
        "--version",
        "2.0",
        "--package",
        str(bad),
        "--json",
        env=admin,
    )
    assert refused.error["code"] == "RELEASE_PACKAGE_INVALID"
    assert "不是 ZIP 文件" in refused.error["message"]
    role = run_cli("admin", "release", "rotate-keys", "mirror", "--json", env=admin)
    assert role.error["code"] == "RELEASE_ROLE_UNKNOWN"


def test_update_without_trusted_root_explains_the_install_step(desk: Desk):
    result = desk.update()
    assert result.returncode != 0
    assert result.error["code"] == "UPDATE_ROOT_MISSING"
    assert "--install-root" in result.error["message"]


def test_keys_are_never_served(desk: Desk):
    from patentdesk.updates.repository import ReleaseRepository

    ReleaseRepository.in_data(desk.data).init()
    for path in (
        "/updates/targets/../keys/root.pem",
        "/updates/metadata/..%2Fkeys%2Froot.pem",
        "/updates/targets/%2e%2e/keys/root.pem",
    ):
        response = httpx.get(f"{desk.server}{path}")
        assert response.status_code == 404, path
        assert b"PRIVATE KEY" not in response.content
    assert httpx.get(f"{desk.server}/updates/metadata/timestamp.json").status_code == 200


def _build(desk: Desk, version: str) -> Path:
    out = desk.packages / f"patentdesk-{version}.zip"
    made = run_cli(
        "admin",
        "release",
        "build",
        "--version",
        version,
        "--out",
        str(out),
        "--json",
        env=cli_env(data=desk.data),
        check=True,
    )
    assert made.json["version"] == version and out.is_file()
    return out


def _publish_file(desk: Desk, version: str, package: Path) -> None:
    run_cli(
        "admin",
        "release",
        "publish",
        "--version",
        version,
        "--package",
        str(package),
        "--json",
        env=cli_env(data=desk.data),
        check=True,
    )


def _running(desk: Desk) -> tuple[dict[str, Any], str]:
    result = run_cli("version", "--json", env=desk.env)
    assert result.returncode == 0, result.stderr
    return result.json, result.stderr


@pytest.mark.seed("B1")
@pytest.mark.seed("B4")
def test_the_client_that_runs_is_the_one_updated_and_repaired(desk: Desk, tmp_path: Path):
    import zipfile

    versions = desk.home / "app" / "versions"
    before, _ = _running(desk)
    assert before["running"] == "builtin"
    _publish_file(desk, "1.0.0", _build(desk, "1.0.0"))
    first = desk.install_root(tmp_path)
    assert first.returncode == 0, first.stderr
    assert (first.json["current"], first.json["self_check"]) == ("1.0.0", "passed")
    now_running, _ = _running(desk)
    assert now_running["version"] == "1.0.0" and now_running["running"] == "installed"
    assert now_running["folder"] == str((versions / "1.0.0").resolve())

    # The server publishes a new version through its TUF repository; the running client
    # updates itself (by patch) and the next command is the new version.
    _publish_file(desk, "1.1.0", _build(desk, "1.1.0"))
    updated = desk.update()
    assert updated.returncode == 0, updated.stderr
    assert (updated.json["current"], updated.json["method"]) == ("1.1.0", "patch")
    assert updated.json["self_check"] == "passed"
    assert _running(desk)[0]["version"] == "1.1.0"

    # Antivirus "cleans" a file of the running version: that version no longer runs, the
    # built-in client does and says why; doctor names the file; update repairs it.
    damaged = versions / "1.1.0" / "patentdesk" / "cli" / "version.py"
    damaged.write_text("raise SystemExit('cleaned by antivirus')\n")
    fallback, warning = _running(desk)
    assert fallback["running"] == "builtin"
    assert "patentdesk/cli/version.py" in warning and "patentdesk update" in warning
    doctor = run_cli("doctor", "--json", env=desk.env)
    install = next(c for c in doctor.json["checks"] if c["name"] == "install")
    assert not install["ok"] and "patentdesk/cli/version.py" in install["message"]
    assert install["details"]["runs"] == "builtin"

    repaired = desk.update()
    assert repaired.returncode == 0, repaired.stderr
    assert (repaired.json["current"], repaired.json["repaired"]) == ("1.1.0", True)
    back, warning = _running(desk)
    assert (back["version"], back["running"], warning) == ("1.1.0", "installed", "")
    doctor = run_cli("doctor", "--json", env=desk.env)
    assert next(c for c in doctor.json["checks"] if c["name"] == "install")["ok"]

    # Quarantined this time, and `doctor --repair` repairs what it finds.
    (versions / "1.1.0~2" / "patentdesk" / "cli" / "main.py").unlink()
    assert _running(desk)[0]["running"] == "builtin"
    doctor = run_cli("doctor", "--repair", "--json", env=desk.env)
    assert doctor.json["repair"]["applied"] and doctor.json["repair"]["repaired"]
    install = next(c for c in doctor.json["checks"] if c["name"] == "install")
    assert install["ok"] and install["details"]["runs"] == "installed"
    assert _running(desk)[0] | {"folder": ""} == {
        "version": "1.1.0",
        "running": "installed",
        "folder": "",
    }

    # A new version that does not start is discarded before the switch: 1.1.0 keeps running.
    broken = desk.packages / "patentdesk-1.2.0-broken.zip"
    with zipfile.ZipFile(_build(desk, "1.2.0")) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "patentdesk/cli/main.py":
                data = b"raise ImportError('a build that does not start')\n"
            dst.writestr(info, data)
    _publish_file(desk, "1.2.0", broken)
    refused = desk.update()
    assert refused.returncode != 0
    assert refused.error["code"] == "UPDATE_SELF_CHECK_FAILED"
    assert "1.2.0" in refused.error["message"] and "1.1.0" in refused.error["message"]
    assert _running(desk)[0]["version"] == "1.1.0"
    # The failed build is gone; the repaired 1.1.0 and its rollback target 1.0.0 stay.
    kept = sorted(p.name.split("~")[0] for p in versions.iterdir())
    assert kept == ["1.0.0", "1.1.0"]
