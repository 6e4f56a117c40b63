"""Numbers under concurrency, the filing date at midnight Beijing, and a server killed in the
middle of a burst of submissions."""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import time_machine

from patentdesk.packages.numbers import parse_application_number
from tests.support.cli import cli_env
from tests.support.factories import World, auth
from tests.support.inproc import ApiPhone, build_invention, submit


def _signed_packages(world, tmp_path, count, token_role=None):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login(token_role)
    packages = []
    for i in range(count):
        package = build_invention(
            tmp_path / f"p{i}.zip", title=f"一种自行车{i}", internal_number=f"AG-{i:04d}"
        )
        phone.sign(token, package)
        packages.append(package)
    return token, packages


def test_concurrent_submissions_never_share_a_number(live_server, settings, tmp_path):
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        world = World(http, settings.data)
        token, packages = _signed_packages(world, tmp_path, 12)

    def send(package: Path) -> str:
        with httpx.Client(base_url=live_server.url, timeout=60) as c:
            r = submit(c, token, package)
            assert r.status_code == 201, r.text
            return str(r.json()["application_number"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(send, packages))
    assert len(set(numbers)) == len(numbers)
    serials = sorted(parse_application_number(n).serial for n in numbers)
    assert serials == list(range(serials[0], serials[0] + len(serials)))


def _allocate(url: str, series: str, count: int, queue: multiprocessing.Queue) -> None:
    from patentdesk.db import Database
    from patentdesk.filing.allocation import next_serial

    db = Database(url)
    got = []
    for _ in range(count):
        with db.unit_of_work() as s:
            got.append(next_serial(s, series))
    db.dispose()
    queue.put(got)


@pytest.mark.parametrize("db_url", ["postgresql", "sqlite"], indirect=True)
def test_worker_processes_allocate_distinct_serials(db_url):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_allocate, args=(db_url, "2026-1", 40, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    values = [v for r in results for v in r]
    assert len(values) == 160 and len(set(values)) == 160
    assert sorted(values) == list(range(1, 161))


@pytest.mark.parametrize(
    "instant,expected",
    [
        ("2026-12-31T15:59:59.999+00:00", "2026-12-31"),  # 23:59:59.999 Beijing
        ("2026-12-31T16:00:00.000+00:00", "2027-01-01"),  # 00:00:00.000 Beijing
    ],
)
def test_filing_date_is_the_beijing_date_of_the_server_clock(
    client, world, tmp_path, instant, expected
):
    with time_machine.travel(dt.datetime.fromisoformat(instant), tick=False):
        token, (package,) = _signed_packages(world, tmp_path, 1)
        r = submit(client, token, package)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["filing_date"] == expected
    number = parse_application_number(out["application_number"])
    assert number.year == int(expected[:4])
    receipt = client.get(
        f"/api/v1/receipts/{out['receipt_id']}", params={"format": "json"}, headers=auth(token)
    ).json()
    assert receipt["filing_date"] == expected


def test_the_filing_instant_is_the_arrival_not_the_end_of_verification(
    client, world, tmp_path, monkeypatch
):
    """A package whose last byte arrives at 23:59:59.5 Beijing time is filed that day even
    when hashing and verifying it runs past midnight."""
    from patentdesk.filing import service

    arrival = dt.datetime.fromisoformat("2026-12-31T15:59:59.500+00:00")
    read_package = service.read_package
    with time_machine.travel(arrival, tick=False) as clock:
        token, (package,) = _signed_packages(world, tmp_path, 1)

        def slow_read(*args, **kwargs):
            clock.shift(dt.timedelta(seconds=3))  # a large package takes its time
            return read_package(*args, **kwargs)

        monkeypatch.setattr(service, "read_package", slow_read)
        r = submit(client, token, package)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["filing_date"] == "2026-12-31"
    assert out["filed_at"] == "2026-12-31T15:59:59.500000Z"
    assert parse_application_number(out["application_number"]).year == 2026


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(settings, port: int) -> subprocess.Popen[bytes]:
    env = cli_env(
        data=settings.data,
        database_url=settings.sqlalchemy_url,
        environment="test",
        base_url=f"http://127.0.0.1:{port}",
    )
    env["PATENTDESK_ARGON2_PROFILE"] = "CHEAPEST"
    proc = subprocess.Popen(
        [sys.executable, "-m", "patentdesk", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


@pytest.mark.slow
def test_server_killed_mid_burst_loses_nothing_acknowledged(settings, tmp_path):
    port = _free_port()
    server = _serve(settings, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            token, packages = _signed_packages(World(http, settings.data), tmp_path, 16)
        acknowledged: dict[int, str] = {}

        def send(i: int) -> None:
            try:
                with httpx.Client(base_url=base, timeout=30) as c:
                    r = submit(c, token, packages[i], key=f"burst-{i}")
                if r.status_code == 201:
                    acknowledged[i] = r.json()["application_number"]
            except httpx.HTTPError:
                pass  # the server died under this request: the client retries below

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(send, i) for i in range(len(packages))]
            time.sleep(0.4)
            os.killpg(server.pid, signal.SIGKILL)
            for f in futures:
                f.result()
        server.wait(timeout=10)
        server = _serve(settings, port)
        numbers = {}
        with httpx.Client(base_url=base, timeout=60) as c:
            for i, package in enumerate(packages):
                r = submit(c, token, package, key=f"burst-{i}")
                assert r.status_code in (200, 201), r.text
                numbers[i] = r.json()["application_number"]
                receipt = c.get(f"/api/v1/receipts/{r.json()['receipt_id']}", headers=auth(token))
                assert receipt.status_code == 200
        for i, number in acknowledged.items():
            assert numbers[i] == number  # what the client saw survives, with the same number
        assert len(set(numbers.values())) == len(packages)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def test_one_package_signed_twice_and_sent_at_once_gets_one_number(live_server, settings, tmp_path):
    """Two signatures of one application package (other bytes, the same package id) sent at
    the same moment: one is filed, the other answered 409 PACKAGE_ALREADY_FILED — on
    PostgreSQL too, where both used to pass the check before either inserted."""
    import shutil
    import threading

    pairs = 4
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        world = World(http, settings.data)
        phone = ApiPhone(world, world.person("张三"))
        token = phone.desktop_login()
        jobs = []
        for i in range(pairs):
            first = build_invention(tmp_path / f"p{i}a.zip", title=f"一种自行车{i}")
            second = tmp_path / f"p{i}b.zip"
            shutil.copy(first, second)
            phone.sign(token, first)
            phone.sign(token, second)  # signed again: other bytes, the same package id
            assert first.read_bytes() != second.read_bytes()
            jobs.append((first, second))

    def send(package: Path, barrier: threading.Barrier) -> httpx.Response:
        with httpx.Client(base_url=live_server.url, timeout=60) as c:
            body = package.read_bytes()
            barrier.wait()
            return c.post(
                "/api/v1/submissions",
                content=body,
                headers={**auth(token), "Content-Type": "application/zip"},
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        for first, second in jobs:
            barrier = threading.Barrier(2)
            answers = list(pool.map(send, (first, second), (barrier, barrier)))
            codes = sorted(r.status_code for r in answers)
            assert codes == [201, 409], [r.text for r in answers]
            refused = next(r for r in answers if r.status_code == 409).json()["error"]
            filed = next(r for r in answers if r.status_code == 201).json()
            assert refused["code"] == "PACKAGE_ALREADY_FILED"
            assert refused["details"]["application_number"] == filed["application_number"]
