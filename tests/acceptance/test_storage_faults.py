"""A full disk or a read-only data folder (issue 15, item 20): the JSON error contract —
507 for a full disk, 503 for a read-only folder — and the server goes on serving, on the
same connection too."""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patentdesk import blobs
from tests.support.factories import auth


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write of a blob's bytes fails as on a full disk."""

    def no_space(self: Any, chunk: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._tmp)

    monkeypatch.setattr(blobs._LocalWriter, "_write", no_space)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The folder made read-only as an operator's mistake or a failing disk would: by its
    mode for an ordinary user, by a read-only bind mount for root (whom modes do not stop)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for p in modes:
            p.chmod(0o555)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount(8) to make the data folder read-only as root")
    done = subprocess.run([mount, "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount as root here: {done.stderr.decode().strip()}")
    try:
        subprocess.run(
            [mount, "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True
        )
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _submit_raw(client: Any, token: str) -> Any:
    headers = {**auth(token), "Content-Type": "application/zip"}
    return client.post("/api/v1/submissions", content=b"PK\x03\x04" + b"x" * 4096, headers=headers)


def _assert_error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_en"]


def test_a_full_disk_answers_507_and_the_server_goes_on(client, world, monkeypatch):
    token = world.token(world.person("钱一"))
    _full_disk(monkeypatch)
    _assert_error(_submit_raw(client, token), 507, "STORAGE_FULL")
    r = client.post("/api/v1/uploads", json={"size": 10, "sha256": "0" * 64}, headers=auth(token))
    assert r.status_code == 201  # what needs no new space still works
    assert client.get("/api/v1/health").status_code == 200


def test_a_read_only_data_folder_answers_503_and_the_server_goes_on(client, world, settings):
    token = world.token(world.person("钱二"))
    with read_only(settings.data):
        _assert_error(_submit_raw(client, token), 503, "STORAGE_READ_ONLY")
        r = client.post(
            "/api/v1/uploads", json={"size": 10, "sha256": "0" * 64}, headers=auth(token)
        )
        _assert_error(r, 503, "STORAGE_READ_ONLY")
        assert client.get("/api/v1/health").status_code == 200
        page = client.post(
            "/api/v1/uploads",
            json={"size": 10, "sha256": "0" * 64},
            headers={**auth(token), "Accept": "text/html"},
        )
        assert page.status_code == 503


def test_the_next_request_on_the_same_connection_is_served(live_server, world, monkeypatch):
    token = world.token(world.person("钱三"))
    _full_disk(monkeypatch)
    host, port = live_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        body = b"PK\x03\x04" + b"x" * 200_000
        conn.request(
            "POST",
            "/api/v1/submissions",
            body=body,
            headers={**auth(token), "Content-Type": "application/zip"},
        )
        first = conn.getresponse()
        payload = json.loads(first.read())
        assert first.status == 507 and payload["error"]["code"] == "STORAGE_FULL"
        assert (first.getheader("connection") or "").lower() != "close"
        sock = conn.sock
        assert sock is not None
        conn.request("GET", "/api/v1/health")
        second = conn.getresponse()
        assert second.status == 200 and json.loads(second.read())["status"] == "ok"
        assert conn.sock is sock  # the same connection, not a silent reconnect
    finally:
        conn.close()


def test_a_large_body_refused_half_way_leaves_the_connection_usable(live_server, world, settings):
    """A read-only folder fails while a large body is still arriving (it spills to disk past
    8 MiB): the rest of the body is not read, and the connection must still serve."""
    token = world.token(world.person("钱四"))
    host, port = live_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    try:
        with read_only(settings.data):
            conn.request(
                "POST",
                "/api/v1/submissions",
                body=b"PK\x03\x04" + b"x" * (10 * 1024 * 1024),
                headers={**auth(token), "Content-Type": "application/zip"},
            )
            first = conn.getresponse()
            payload = json.loads(first.read())
            assert first.status == 503 and payload["error"]["code"] == "STORAGE_READ_ONLY"
            conn.request("GET", "/api/v1/health")
            second = conn.getresponse()
            assert second.status == 200 and json.loads(second.read())["status"] == "ok"
    finally:
        conn.close()
