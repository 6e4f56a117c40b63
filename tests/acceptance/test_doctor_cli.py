"""``patentdesk doctor`` against a running server, the way a user in trouble runs it."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import Result, cli_env, run_cli
from tests.unit.updates.helpers import db_url, make_package  # noqa: F401 (fixture)

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def _env(home: Path, server: str, **extra: str) -> dict[str, str]:
    env = cli_env(home=home, server=server)
    for name in PROXY_VARS:
        env.pop(name, None)
        env.pop(name.lower(), None)
    env.update(extra)
    return env


def doctor(env: dict[str, str], *args: str) -> tuple[Result, dict[str, dict[str, Any]]]:
    result = run_cli("doctor", "--json", *args, env=env)
    assert result.stdout, result.stderr
    checks = {c["name"]: c for c in result.json["checks"]}
    for check in checks.values():
        assert {"name", "ok", "message", "message_en", "fix", "fix_en", "level"} <= set(check)
    return result, checks


@dataclass
class Site:
    server: str  # by name, as the seed asks (B2)
    data: Path  # the live server's data folder, for `patentdesk admin release`


@pytest.fixture
def site(live_server, settings) -> Site:
    return Site("http://localhost:" + live_server.url.rsplit(":", 1)[1], settings.data)


@pytest.fixture
def server(site: Site) -> str:
    return site.server


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthy_client_passes(server: str, tmp_path: Path):
    result, checks = doctor(_env(tmp_path / "home", server))
    assert result.returncode == 0, checks
    assert checks["server_reachable"]["ok"] and checks["clock"]["level"] == "ok"
    assert checks["server_address"]["level"] == "warning"  # http on localhost: tests only
    assert result.json["ok"] is True


@pytest.mark.seed("B2")
def test_ip_address_in_the_base_url_is_diagnosed(live_server, tmp_path: Path):
    # A server on another machine reached by its IP address fails, with the seed's answer.
    result, checks = doctor(_env(tmp_path / "home", f"http://192.0.2.10:{_dead_port()}"))
    assert result.returncode == 1
    address = checks["server_address"]
    assert not address["ok"]
    assert "新地址使用域名访问，不涉及 IP 和端口" in address["message"]
    assert "domain name" in address["message_en"]
    assert "PATENTDESK_SERVER" in address["fix"]
    # The local set-up (this computer's address, as `make run` and the README use) answers:
    # the same advice as a warning, and doctor passes (issue 17).
    result, checks = doctor(_env(tmp_path / "home", live_server.url))  # http://127.0.0.1:port
    assert result.returncode == 0, checks
    address = checks["server_address"]
    assert address["ok"] and address["level"] == "warning"
    assert "不涉及 IP 和端口" in address["message"] and "PATENTDESK_SERVER" in address["fix"]
    assert checks["server_reachable"]["ok"]


@pytest.mark.seed("B2")
def test_domain_that_does_not_resolve(tmp_path: Path):
    result, checks = doctor(_env(tmp_path / "home", "https://patentdesk.invalid"))
    assert result.returncode == 1
    assert "无法解析" in checks["server_address"]["message"]
    assert not checks["server_reachable"]["ok"]
    assert checks["clock"]["level"] == "skipped"


@pytest.mark.seed("B3")
def test_proxy_in_the_way_and_no_proxy_option(site: Site, tmp_path: Path):
    server = site.server
    proxy = f"http://127.0.0.1:{_dead_port()}"
    env = _env(tmp_path / "home", server, HTTP_PROXY=proxy, HTTPS_PROXY=proxy)

    result, checks = doctor(env)

    assert result.returncode == 1
    assert not checks["proxy"]["ok"]
    assert "代理" in checks["proxy"]["message"] and proxy in checks["proxy"]["message"]
    assert (
        "--no-proxy" in checks["proxy"]["fix"] and "PATENTDESK_NO_PROXY=1" in checks["proxy"]["fix"]
    )
    assert checks["proxy"]["details"] | {"proxies": None} == {
        "proxies": None,
        "no_proxy": None,
        "direct": True,
        "proxied": False,
    }
    # The networked commands fail the same way, and --no-proxy gets them through.
    root = tmp_path / "root.json"
    _publish_and_fetch_root(site, root, tmp_path)
    failed = run_cli("update", "--check", "--install-root", str(root), "--json", env=env)
    assert failed.error["code"] == "SERVER_UNREACHABLE"
    assert "patentdesk doctor" in failed.error["message"]
    through = run_cli("update", "--check", "--no-proxy", "--json", env=env)
    assert through.returncode == 0, through.stderr
    assert through.json["available"] == "1.0.0"
    by_env = run_cli("update", "--check", "--json", env={**env, "PATENTDESK_NO_PROXY": "1"})
    assert by_env.returncode == 0, by_env.stderr

    ignored, checks = doctor(env, "--no-proxy")
    assert ignored.returncode == 0, checks
    assert checks["proxy"]["level"] == "info"


@pytest.mark.seed("B4")
def test_files_quarantined_by_antivirus_are_found_and_repaired(site: Site, tmp_path: Path):
    server = site.server
    home = tmp_path / "home"
    env = _env(home, server)
    root = tmp_path / "root.json"
    _publish_and_fetch_root(site, root, tmp_path)
    run_cli("update", "--install-root", str(root), "--json", env=env, check=True)
    quarantined = home / "app" / "versions" / "1.0.0" / "lib" / "core.bin"
    quarantined.unlink()

    result, checks = doctor(env)

    assert result.returncode == 1
    install = checks["install"]
    assert not install["ok"]
    assert "lib/core.bin" in install["message"] and "缺失" in install["message"]
    assert "patentdesk update" in install["fix"] and "信任区" in install["fix"]
    assert str(home / "app") in install["fix"]

    repaired = run_cli("update", "--json", env=env, check=True).json
    assert (repaired["current"], repaired["repaired"]) == ("1.0.0", True)
    result, checks = doctor(env)
    assert checks["install"]["ok"] and result.returncode == 0


@pytest.mark.seed("A12")
@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"PYTHONIOENCODING": "gbk"}, "gbk"), ({"COLUMNS": "30"}, "30 列")],
    ids=["legacy-code-page", "narrow"],
)
def test_terminal_that_cannot_draw_the_qr_code(server: str, tmp_path: Path, extra, expected):
    result, checks = doctor(_env(tmp_path / "home", server, **extra))

    assert result.returncode == 1
    qr = checks["terminal_qr"]
    assert not qr["ok"] and expected in qr["message"]
    assert "--qr-png" in qr["fix"] and "--qr-text" in qr["fix"]
    assert "--qr-png" in qr["fix_en"]
    if "PYTHONIOENCODING" in extra:
        json.loads(result.stdout.encode("ascii"))  # readable whatever the code page


@pytest.mark.seed("A12")
def test_human_output_survives_a_terminal_without_chinese(server: str, tmp_path: Path):
    env = _env(tmp_path / "home", server, PYTHONIOENCODING="ascii")
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    assert "terminal_qr" in result.stdout and "--qr-png" in result.stdout
    assert "Traceback" not in result.stderr


def test_session_from_another_environment(server: str, tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    session = {"server": server, "token": "t", "role": "handler", "environment": "trial"}
    (home / "session.json").write_text(json.dumps(session))
    _, checks = doctor(_env(home, server))
    assert not checks["session"]["ok"]  # the live server is the "test" environment
    assert "重新下载证书" in checks["session"]["fix"]


def _publish_and_fetch_root(site: Site, root: Path, tmp_path: Path) -> None:
    package = make_package(tmp_path / "packages", "1.0.0")
    run_cli(
        "admin",
        "release",
        "publish",
        "--version",
        "1.0.0",
        "--package",
        str(package),
        "--json",
        env=cli_env(data=site.data),
        check=True,
    )
    root.write_bytes(httpx.get(f"{site.server}/api/v1/updates/root.json").content)
