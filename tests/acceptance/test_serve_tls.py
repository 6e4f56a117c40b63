"""``patentdesk serve`` for phones: https with a given certificate, and the phone app's
address with a QR code of it printed on start."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from patentdesk.cli.serve import phone_app_banner
from tests.support.cli import cli_env, run_cli


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    import shutil

    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def self_signed(folder: Path) -> tuple[Path, Path]:
    from patentdesk.pki.keys import generate_key

    key = generate_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(minutes=5))
        .not_valid_after(start + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_speaks_https_and_prints_the_phone_apps_address_and_qr(
    settings: Any, tmp_path: Path
) -> None:
    cert_file, key_file = self_signed(tmp_path)
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    env = cli_env(
        data=settings.data, database_url=settings.sqlalchemy_url, environment="test", base_url=base
    )
    env["PATENTDESK_ARGON2_PROFILE"] = "CHEAPEST"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "patentdesk",
            "serve",
            "--port",
            str(port),
            "--ssl-certfile",
            str(cert_file),
            "--ssl-keyfile",
            str(key_file),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        while not any("/m/" in line for line in lines):
            line = proc.stdout.readline()
            assert line, f"serve exited: {lines}"
            lines.append(line)
        assert f"{base}/m/" in lines[-1]
        qr = proc.stdout.readline()
        assert "█" in qr or "▀" in qr or "▄" in qr  # the QR code, drawn in the terminal
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(
                    f"{base}/m/",
                    verify=ssl.create_default_context(cafile=str(cert_file)),
                    timeout=2,
                )
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "no https answer"
                time.sleep(0.2)
        assert r.status_code == 200 and "/m/app.js" in r.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def test_a_certificate_without_its_key_is_refused_clearly(tmp_path: Path) -> None:
    cert_file, _ = self_signed(tmp_path)
    r = run_cli("serve", "--ssl-certfile", str(cert_file), env=cli_env(data=tmp_path / "d"))
    assert r.returncode != 0
    assert "--ssl-keyfile" in r.stderr


def test_plain_http_on_a_network_address_tells_how_phones_get_https() -> None:
    banner = "\n".join(phone_app_banner("http://192.168.1.20:8000", tls=False))
    assert "http://192.168.1.20:8000/m/" in banner
    assert "https" in banner and "反向代理" in banner
    assert "反向代理" not in "\n".join(phone_app_banner("https://pd.example.cn", tls=True))
