"""Two `patentdesk serve` processes, each with its own empty data folder, on one database and
one S3-compatible object store (a real ``rclone serve s3``) and one key token (SoftHSM2):
what one server files, the other serves (issue 14). The SQLite file stands for the shared
database here; the object store and the token are what this test is about."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from patentdesk.blobs import blobs_for
from patentdesk.config import Settings
from tests.support.actors import Desktop, Phone
from tests.support.cli import cli_env
from tests.support.factories import OUTBOX_STORES, SERVER_DATA
from tests.support.filing import new_invention, sign, submit
from tests.support.hsm import Hsm, new_environment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data: Path, database_url: str, blobs: str, keys: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = data
        self.settings = Settings(data=data, database_url=database_url, blobs=blobs)
        env = cli_env(
            data=data,
            database_url=database_url,
            blobs=blobs,
            environment="test",
            base_url=self.url,
            secure_cookies="false",
        )
        # The CA and office keys in the shared token: the second server's data folder is
        # empty, and a server without the environment's keys refuses to start.
        env.update(keys)
        env["PATENTDESK_ARGON2_PROFILE"] = "CHEAPEST"
        self.log = (data.parent / f"{data.name}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "patentdesk", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError((data.parent / f"{data.name}.log").read_text())
            time.sleep(0.2)
        # The CLI helpers read SMS codes from the (shared) outbox behind a server's URL.
        SERVER_DATA[self.url] = data
        OUTBOX_STORES[data] = blobs_for(self.settings)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture
def cluster(tmp_path: Path, s3_server: Any, hsm: Hsm) -> Iterator[tuple[Server, Server]]:
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    blobs = s3_server.url()
    keys = {**hsm.env(), "PATENTDESK_ENVIRONMENT": new_environment()}
    a = Server(tmp_path / "data-a", database_url, blobs, keys)
    try:
        b = Server(tmp_path / "data-b", database_url, blobs, keys)
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        b.stop()
        a.stop()


@pytest.mark.slow
def test_filed_on_b_downloaded_on_a(cluster: tuple[Server, Server], tmp_path: Path) -> None:
    a, b = cluster
    # Registering and logging in on A too needs the keys shared (one CA and office key for
    # the cluster): each data folder still makes its own, so the phone stays with B here.
    phone = Phone(tmp_path / "phone", b.url)
    desktop = Desktop(tmp_path / "desktop", b.url)
    phone.register("张三")
    desktop.login_with(phone)
    case = new_invention(desktop, tmp_path / "case.zip")
    sign(desktop, phone, case)
    r = submit(desktop, case)
    assert r.returncode == 0, r.stderr
    out = r.json
    token = desktop.session()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    bundle = httpx.get(f"{a.url}/api/v1/receipts/{out['receipt_id']}", headers=headers, timeout=60)
    assert bundle.status_code == 200, bundle.text
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert set(names) == {"receipt.json", "receipt.json.p7s", "receipt.pdf", "receipt.pdf.p7s"}
    # Neither server keeps a document in its own folder.
    for server in (a, b):
        assert not [p for p in (server.data / "blobs").rglob("*") if p.is_file()]
