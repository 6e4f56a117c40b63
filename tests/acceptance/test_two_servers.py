"""Two `patentdesk serve` processes, each with its own empty data folder, on one PostgreSQL
cluster, one S3-compatible object store (a real ``rclone serve s3``) and one key token
(SoftHSM2): what one server does, the other continues (issue 14).

The first test walks a filing across the servers: register and log in on A, upload and
submit on B, download and verify the receipt on A, the office accepts on B and the notice
appears on A. The second kills A with SIGKILL during a burst of submissions to both: every
acknowledged filing is on B with its receipt, no number is given twice, and a request A
never answered, sent again to B with its idempotency key, gets the number A gave it (or a
first one), never a second."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from patentdesk.blobs import blobs_for
from patentdesk.config import Settings
from patentdesk.filing.receipts import verify_bundle
from patentdesk.packages.numbers import parse_application_number
from patentdesk.pki.keys import load_certificate
from tests.support.actors import Desktop, Phone
from tests.support.cli import cli_env
from tests.support.factories import (
    OUTBOX_STORES,
    PASSWORD,
    SERVER_DATA,
    Person,
    auth,
    register_person,
    unique_phone,
    valid_id_number,
)
from tests.support.filing import sign, submit
from tests.support.hsm import Hsm, new_environment
from tests.support.inproc import ApiPhone, build_invention
from tests.support.pg import Cluster

_revived = itertools.count(2)  # data-a2, data-a3 … for a revived server A


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
        self.log_path = data.parent / f"{data.name}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "patentdesk", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(self.log_path.read_text())
            time.sleep(0.2)
        # The CLI helpers read SMS codes from the (shared) outbox behind a server's URL.
        SERVER_DATA[self.url] = self.data
        OUTBOX_STORES[self.data] = blobs_for(self.settings)

    def kill(self) -> None:
        """SIGKILL to the server and every process it started: no shutdown of any kind."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@dataclass
class TwoServers:
    a: Server
    b: Server
    database_url: str
    folder: Path
    blobs: str
    keys: dict[str, str]

    def revive_a(self) -> None:
        """A again, with a new empty data folder, when a test before killed it."""
        if self.a.proc.poll() is None:
            return
        self.a.stop()
        folder = self.folder / f"data-a{next(_revived)}"
        self.a = Server(folder, self.database_url, self.blobs, self.keys)
        self.a.wait_ready()


@pytest.fixture(scope="module")
def shared_database(pg_cluster: Cluster) -> Iterator[str]:
    """A new, empty database of the session's PostgreSQL cluster: the servers migrate it."""
    with pg_cluster.scratch_database("cluster") as url:
        yield url


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory, shared_database: str, s3_server: Any, hsm: Hsm
) -> Iterator[TwoServers]:
    """A and B started at the same moment on the empty database, as an orchestrator starts
    a deployment's replicas: one migrates it and makes the environment's keys, the other
    waits for them. One pair for the module (starting it is most of its time)."""
    folder = tmp_path_factory.mktemp("two-servers")
    blobs = s3_server.url()
    keys = {**hsm.env(), "PATENTDESK_ENVIRONMENT": new_environment()}
    servers: list[Server] = []
    try:
        for name in ("data-a", "data-b"):
            servers.append(Server(folder / name, shared_database, blobs, keys))
        for server in servers:
            server.wait_ready()
        pair = TwoServers(servers[0], servers[1], shared_database, folder, blobs, keys)
        yield pair
        servers[0] = pair.a
    finally:
        for server in reversed(servers):
            server.stop()


@pytest.fixture
def cluster(two_servers: TwoServers) -> TwoServers:
    two_servers.revive_a()
    return two_servers


def _ca(server: Server) -> bytes:
    r = httpx.get(f"{server.url}/api/v1/pki/ca.pem", timeout=30)
    assert r.status_code == 200, r.text
    return r.content


@pytest.mark.slow
def test_register_on_a_file_on_b_receipt_and_notice_on_a(
    cluster: TwoServers, tmp_path: Path
) -> None:
    a, b = cluster.a, cluster.b
    # Both servers speak for one CA (its key is in the token), made by whichever started
    # first: a certificate one issues, the other trusts.
    assert _ca(a) == _ca(b)

    # Register, bind the phone and log in on A; sign there too.
    phone = Phone(tmp_path / "phone", a.url)
    desktop_a = Desktop(tmp_path / "desktop", a.url)
    phone.register("张三")
    desktop_a.login_with(phone)
    case = build_invention(tmp_path / "case.zip")  # the package commands work offline
    sign(desktop_a, phone, case)

    # Upload (resumable) and submit on B with the session A made: sessions are in the
    # database, not in either server.
    desktop_b = Desktop(tmp_path / "desktop", b.url)
    r = submit(desktop_b, case)
    assert r.returncode == 0, r.stderr
    filed = r.json
    number = filed["application_number"]
    assert filed["replay"] is False

    # Download the receipt on A and verify it offline against the CA A hands out.
    bundle = tmp_path / "receipt.zip"
    r = desktop_a.run("receipt", "download", filed["receipt_id"], "--out", str(bundle), "--json")
    assert r.returncode == 0, r.stderr
    names = zipfile.ZipFile(bundle).namelist()
    assert set(names) == {"receipt.json", "receipt.json.p7s", "receipt.pdf", "receipt.pdf.p7s"}
    r = desktop_a.run("receipt", "verify", str(bundle), "--json")
    assert r.returncode == 0, r.stderr
    assert (r.json["valid"], r.json["application_number"]) == (True, number)

    # The office accepts on B (受理), and issues a notice there.
    office = _office_desktop(cluster, b, tmp_path / "office")
    accepted = office.run("office", "accept", number, "--json")
    assert accepted.returncode == 0, accepted.stderr
    assert (accepted.json["application_number"], accepted.json["status"]) == (number, "accepted")
    issued = office.run(
        "office",
        "notice",
        "issue",
        "--application-number",
        number,
        "--code",
        "210401",
        "--text",
        "权利要求1不具备创造性。",
        "--json",
    )
    assert issued.returncode == 0, issued.stderr

    # The applicant sees both notices on A, and A serves their documents.
    token = desktop_a.session()["token"]
    r = httpx.get(
        f"{a.url}/api/v1/notices",
        params={"application_number": number},
        headers=auth(token),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    by_code = {n["code"]: n for n in r.json()}
    assert {"200101", "210401"} <= by_code.keys()
    assert by_code["210401"]["id"] == issued.json["notice_id"]
    pdf = httpx.get(
        f"{a.url}/api/v1/notices/{issued.json['notice_id']}/pdf", headers=auth(token), timeout=60
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")

    # Neither server keeps a document in its own folder.
    for server in (a, b):
        assert not [p for p in (server.data / "blobs").rglob("*") if p.is_file()]


def _office_desktop(cluster: TwoServers, server: Server, home: Path) -> Desktop:
    """A desktop client logged in (by password) on ``server`` as a new office user."""
    from patentdesk.db import Database
    from patentdesk.identity.service import Context, create_office_user

    account = unique_phone()
    settings = Settings(data=home / "admin", database_url=cluster.database_url)
    database = Database(settings.sqlalchemy_url)
    try:
        with database.unit_of_work() as s:
            create_office_user(
                s, Context(settings), phone=account, name="审查员", password=PASSWORD
            )
    finally:
        database.dispose()
    office = Desktop(home, server.url)
    login = office.run(
        "login", "--account", account, "--password-stdin", "--json", input=PASSWORD + "\n"
    )
    assert login.returncode == 0, login.stderr
    assert login.json["role"] == "office"
    return office


# ---------------------------------------------------------------- SIGKILL during a burst

BURST_ON_A = 4  # client threads sending to A, each submitting PER_THREAD packages in turn
BURST_ON_B = 2
PER_THREAD = 3


@dataclass
class Filing:
    """One signed package and what became of it."""

    path: Path
    key: str
    resumable: bool
    upload_id: str | None = None  # the resumable upload, continued on another server
    answers: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # transport errors, by server

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def ack(self) -> dict[str, Any] | None:
        for _server, status, body in self.answers:
            if status in (200, 201):
                return body
        return None


def _send(http: httpx.Client, token: str, filing: Filing) -> tuple[int, dict[str, Any]]:
    """Submits ``filing`` on ``http``'s server, the way a client does: raw ZIP with an
    Idempotency-Key header, or the resumable upload (continued where the cluster has it)
    and a JSON submission naming it."""
    if not filing.resumable:
        r = http.post(
            "/api/v1/submissions",
            content=filing.body,
            headers={
                **auth(token),
                "Content-Type": "application/zip",
                "Idempotency-Key": filing.key,
            },
        )
        return r.status_code, r.json()
    body = filing.body
    upload_id = filing.upload_id
    offset = 0
    if upload_id is not None:
        state = http.get(f"/api/v1/uploads/{upload_id}", headers=auth(token))
        if state.status_code == 200:
            offset = state.json()["offset"]
        else:
            upload_id = None
    if upload_id is None:
        r = http.post(
            "/api/v1/uploads",
            json={"size": len(body), "sha256": filing.sha256},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
        upload_id = r.json()["upload_id"]
        filing.upload_id = upload_id
    if offset < len(body):
        r = http.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=body[offset:],
            headers={**auth(token), "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 200, r.text
    r = http.post(
        "/api/v1/submissions",
        json={"upload_id": upload_id, "idempotency_key": filing.key},
        headers=auth(token),
    )
    return r.status_code, r.json()


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_no_acknowledged_filing_and_no_number_twice(
    cluster: TwoServers, tmp_path: Path
) -> None:
    a, b = cluster.a, cluster.b
    http_a = httpx.Client(base_url=a.url, timeout=60)
    http_b = httpx.Client(base_url=b.url, timeout=60)

    # An applicant with a bound phone and a desktop login, through A's API.
    world = SimpleNamespace(client=http_a, data_dir=a.data)
    phone_number = unique_phone()
    r = register_person(
        http_a,
        a.data,
        {
            "phone": phone_number,
            "name": "张三",
            "id_number": valid_id_number(),
            "password": PASSWORD,
        },
    )
    assert r.status_code == 201, r.text
    phone = ApiPhone(world, Person(phone_number, "张三", r.json()["user_id"]))
    token = phone.desktop_login()

    # Distinct signed packages, ready before the burst: half go up in one request, half by
    # the resumable upload.
    count = (BURST_ON_A + BURST_ON_B) * PER_THREAD
    filings = []
    for i in range(count):
        path = build_invention(tmp_path / f"burst-{i}.zip", internal_number=f"AG-BURST-{i:02d}")
        signed = phone.sign(token, path)
        assert signed.status_code == 200, signed.text
        filings.append(Filing(path, key=f"burst-{i:02d}", resumable=i % 2 == 1))

    first_ack_on_a = threading.Event()
    start = threading.Barrier(BURST_ON_A + BURST_ON_B + 1)
    errors: list[BaseException] = []

    def client(server: Server, http: httpx.Client, mine: list[Filing]) -> None:
        try:
            start.wait()
            for filing in mine:
                try:
                    status, body = _send(http, token, filing)
                except httpx.TransportError as exc:
                    filing.broken.append(f"{server.url}: {exc!r}")
                    continue
                filing.answers.append((server.url, status, body))
                if server is a and status in (200, 201):
                    first_ack_on_a.set()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    lanes = [
        filings[t * PER_THREAD : (t + 1) * PER_THREAD] for t in range(len(filings) // PER_THREAD)
    ]
    threads = []
    for t, lane in enumerate(lanes):
        server, http = (a, http_a) if t < BURST_ON_A else (b, http_b)
        threads.append(threading.Thread(target=client, args=(server, http, lane)))
    for t in threads:
        t.start()
    start.wait()
    assert first_ack_on_a.wait(timeout=120), "A acknowledged nothing"
    a.kill()  # mid-burst: A's other requests are in flight or not yet sent
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    http_a.close()

    acked_on_a = [f for f in filings if f.ack is not None and f.answers[0][0] == a.url]
    cut_off = [f for f in filings if f.ack is None]
    assert acked_on_a, "nothing was acknowledged by A before it died"
    assert cut_off, "A died with nothing in flight or queued: the kill came too late"
    assert all(f.broken for f in cut_off), [(f.key, f.answers) for f in cut_off if not f.broken]
    for f in filings:
        for _server, status, body in f.answers:
            assert status in (200, 201), (f.key, status, body)

    # What A never answered goes to B with the same idempotency key.
    for f in cut_off:
        status, body = _send(http_b, token, f)
        assert status in (200, 201), (f.key, status, body)
        f.answers.append((b.url, status, body))

    # What A did answer, sent again to B as if the answer had been lost: the same filing.
    for f in acked_on_a:
        status, body = _send(http_b, token, f)
        assert (status, body) == (200, {**f.answers[0][2], "replay": True}), (f.key, body)

    acks = {f.key: f.ack for f in filings}
    assert all(acks.values())
    numbers = [ack["application_number"] for ack in acks.values() if ack]
    assert len(set(numbers)) == len(numbers) == count, numbers

    # Every acknowledgement is on B: the submission, the same number, the receipt signed
    # by the cluster's CA.
    ca = load_certificate(_ca(b))
    for f in filings:
        ack = acks[f.key]
        assert ack is not None
        r = http_b.get(f"/api/v1/submissions/{ack['submission_id']}", headers=auth(token))
        assert r.status_code == 200, r.text
        assert r.json()["application_number"] == ack["application_number"]
        r = http_b.get(f"/api/v1/receipts/{ack['receipt_id']}", headers=auth(token))
        assert r.status_code == 200, r.text
        record = verify_bundle(r.content, ca)
        assert record["application_number"] == ack["application_number"]
        assert record["package_sha256"] == f.sha256
    http_b.close()

    # The database agrees: one case and one submission per package, no number twice, and
    # no hole in the series (a transaction A died in gave its number back).
    engine = sa.create_engine(cluster.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT c.application_number, s.package_sha256, s.idempotency_key "
                    "FROM submissions s JOIN cases c ON c.id = s.case_id "
                    "WHERE s.idempotency_key LIKE 'burst-%'"
                )
            ).all()
            twice = conn.execute(
                sa.text(
                    "SELECT application_number FROM cases GROUP BY application_number "
                    "HAVING count(*) > 1"
                )
            ).all()
            every = conn.execute(sa.text("SELECT application_number FROM cases")).scalars().all()
    finally:
        engine.dispose()
    assert twice == []
    assert sorted(r.idempotency_key for r in rows) == sorted(acks)
    assert {r.package_sha256 for r in rows} == {f.sha256 for f in filings}
    assert {r.application_number for r in rows} == set(numbers)
    serials = sorted(parse_application_number(n).serial for n in every)
    assert serials == list(range(1, len(every) + 1)), serials
