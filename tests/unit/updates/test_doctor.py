"""Doctor's checks, one by one, without a server (the acceptance tests use a real one)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from patentdesk.updates.doctor import Probe
from patentdesk.updates.doctor.local import (
    check_certificates,
    check_install,
    check_session,
    check_terminal,
)
from patentdesk.updates.doctor.network import (
    check_clock,
    check_proxy,
    check_server_address,
    evaluate_skew,
)

LOCAL = "http://localhost:8000"


# --- B2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "server", ["http://10.1.2.3:8080", "https://[2001:db8::1]", "http://192.168.1.20"]
)
def test_ip_address_is_refused_with_the_seed_answer(server):
    check = check_server_address(server, explicit=True)
    assert not check.ok
    assert "新地址使用域名访问" in check.message
    assert "PATENTDESK_SERVER" in check.fix


def test_default_address_says_it_is_the_default():
    # The local default (issue 17): a warning naming the default, not a failure.
    check = check_server_address("http://127.0.0.1:8000", explicit=False)
    assert check.ok and check.level == "warning" and "未设置 PATENTDESK_SERVER" in check.message
    assert "不涉及 IP 和端口" in check.message and "PATENTDESK_SERVER" in check.fix


@pytest.mark.parametrize("server", ["http://127.0.0.1:8000", "http://[::1]:8010"])
def test_a_server_on_this_computer_is_a_warning(server):
    check = check_server_address(server, explicit=True)
    assert check.ok and check.level == "warning" and "本机测试服务器" in check.message


def test_unresolvable_domain():
    check = check_server_address("https://patentdesk.invalid", explicit=True)
    assert not check.ok and "无法解析" in check.message


def test_plain_http_to_a_remote_domain_fails(monkeypatch):
    monkeypatch.setattr(
        "patentdesk.updates.doctor.network._resolve", lambda host, timeout=5.0: ["192.0.2.1"]
    )
    check = check_server_address("http://patentdesk.example.cn", explicit=True)
    assert not check.ok and check.fix == "改为 https://patentdesk.example.cn"
    ok = check_server_address("https://patentdesk.example.cn", explicit=True)
    assert ok.ok and ok.level == "ok"
    port = check_server_address("https://patentdesk.example.cn:8443", explicit=True)
    assert port.ok and port.level == "warning" and "8443" in port.message


def test_local_http_is_a_warning_not_a_failure():
    check = check_server_address(LOCAL, explicit=True)
    assert check.ok and check.level == "warning"


# --- B3 -----------------------------------------------------------------------------------


def _probe(ok: bool) -> Probe:
    return Probe(ok=ok, error=None if ok else "ConnectError")


def test_no_proxy_configured(monkeypatch):
    monkeypatch.setattr("urllib.request.getproxies", dict)
    assert check_proxy(LOCAL, False, _probe(True), None).ok


def test_proxy_blocking_while_direct_works(monkeypatch):
    monkeypatch.setattr("urllib.request.getproxies", lambda: {"https": "http://proxy:3128"})
    check = check_proxy(LOCAL, False, direct=_probe(True), proxied=_probe(False))
    assert not check.ok
    assert "--no-proxy" in check.fix and "NO_PROXY" in check.fix
    assert check.details["proxies"] == {"https": "http://proxy:3128"}


def test_server_listed_in_no_proxy(monkeypatch):
    monkeypatch.setattr("urllib.request.getproxies", lambda: {"http": "http://proxy:3128"})
    monkeypatch.setattr("urllib.request.proxy_bypass", lambda host: host == "localhost")
    check = check_proxy(LOCAL, False, _probe(True), _probe(True))
    assert check.ok and "NO_PROXY" in check.message


def test_proxy_that_works_or_is_ignored(monkeypatch):
    monkeypatch.setattr("urllib.request.getproxies", lambda: {"http": "http://proxy:3128"})
    monkeypatch.setattr("urllib.request.proxy_bypass", lambda host: False)
    assert check_proxy(LOCAL, False, _probe(False), _probe(True)).ok
    ignored = check_proxy(LOCAL, True, _probe(True), None)
    assert ignored.ok and "--no-proxy" in ignored.message


# --- clock --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "ok", "level"),
    [(3, True, "ok"), (-90, True, "warning"), (400, False, "error"), (-3600, False, "error")],
)
def test_clock_skew(seconds, ok, level):
    check = evaluate_skew(dt.timedelta(seconds=seconds))
    assert (check.ok, check.level) == (ok, level)
    if seconds > 60:
        assert "快" in check.message
    if seconds < -60:
        assert "慢" in check.message


def test_clock_from_server_time_and_date_header():
    sent = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    received = sent + dt.timedelta(seconds=2)
    by_body = Probe(
        ok=True, body={"server_time": "2026-05-01T11:50:01Z"}, sent=sent, received=received
    )
    assert check_clock(by_body).details["skew_seconds"] == 600
    by_header = Probe(
        ok=True, body={}, date="Fri, 01 May 2026 12:00:01 GMT", sent=sent, received=received
    )
    assert check_clock(by_header).details["skew_seconds"] == 0
    assert check_clock(Probe(ok=False)).level == "skipped"


# --- A12 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "cp936", "ascii", "latin-1"])
def test_terminal_that_garbles_the_qr_code(encoding):
    check = check_terminal(LOCAL, encoding=encoding, columns=200)
    assert not check.ok
    assert "--qr-png" in check.fix and "--qr-text" in check.fix and "chcp 65001" in check.fix


def test_terminal_too_narrow():
    check = check_terminal(LOCAL, encoding="utf-8", columns=30)
    assert not check.ok and "30" in check.message
    assert check.details["needed_columns"] > 30


def test_terminal_that_can_draw():
    assert check_terminal(LOCAL, encoding="UTF-8", columns=120).ok


# --- B4 -----------------------------------------------------------------------------------


def test_install_check(home, packages):
    import hashlib

    from patentdesk.updates.install import Installation
    from tests.unit.updates.helpers import make_package

    assert check_install(home).level == "info"
    inst = Installation(home)
    package = make_package(packages, "1.0.0")
    data = package.read_bytes()
    inst.switch(
        "1.0.0",
        inst.install("1.0.0", package, sha256=hashlib.sha256(data).hexdigest(), length=len(data)),
    )
    assert check_install(home).ok
    (inst.current_dir() / "lib" / "core.bin").unlink()
    check = check_install(home)
    assert not check.ok
    assert "lib/core.bin" in check.message and "杀毒软件" in check.message
    assert "patentdesk update" in check.fix and "信任区" in check.fix


# --- session and certificates -------------------------------------------------------------


def _session(home: Path, **fields) -> None:
    data = {"server": LOCAL, "token": "t", "role": "handler", "environment": "trial", **fields}
    (home / "session.json").write_text(json.dumps(data))


def test_session_states(home, monkeypatch):
    monkeypatch.setenv("PATENTDESK_HOME", str(home))
    assert check_session(home, LOCAL, None).level == "info"
    _session(home)
    assert check_session(home, LOCAL, Probe(ok=True, body={"environment": "trial"})).ok
    production = Probe(ok=True, body={"environment": "production"})
    mismatch = check_session(home, LOCAL, production)
    assert not mismatch.ok and "证书" in mismatch.fix
    assert not check_session(home, "https://other.example.cn", None).ok
    _session(home, expires_at="2000-01-01T00:00:00Z")
    assert not check_session(home, LOCAL, None).ok


def _certificate(path: Path, not_after: dt.datetime) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "张三")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_after - dt.timedelta(days=365))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_certificates(home):
    moment = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert check_certificates(home, moment).level == "info"
    _certificate(home / "signing.pem", moment + dt.timedelta(days=200))
    (home / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot a certificate\n")
    assert check_certificates(home, moment).level == "ok"
    _certificate(home / "old.crt", moment - dt.timedelta(days=1))
    check = check_certificates(home, moment)
    assert not check.ok and check.details["invalid"] == ["old.crt"]
