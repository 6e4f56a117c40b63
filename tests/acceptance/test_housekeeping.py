"""Housekeeping: expired codes and abandoned uploads go, what users rely on stays.

Everything is made through the HTTP API as users would; "two days later" is simulated by
moving the stored expiry times (and the upload files' times) back, so the subprocess CLI
sees the same state as the in-process server."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from patentdesk import housekeeping
from patentdesk.audit import verify_chain
from patentdesk.config import Settings
from patentdesk.identity.models import LoginChallenge, LoginFailure, Session, SmsCode
from patentdesk.pki.models import QrRequest
from tests.support.cli import cli_env, run_cli
from tests.support.factories import PASSWORD, auth
from tests.support.inproc import ApiPhone
from tests.support.loops import run_async

TWO_DAYS = dt.timedelta(days=2)


def _count(app: Any, model: Any) -> int:
    with app.state.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _age_everything(app: Any) -> None:
    """What exists now expired two days ago."""
    with app.state.db.unit_of_work() as s:
        for model in (QrRequest, SmsCode, LoginChallenge):
            for row in s.scalars(select(model)):
                row.expires_at -= TWO_DAYS
        for failure in s.scalars(select(LoginFailure)):
            failure.at -= TWO_DAYS


def _age_uploads(settings: Any) -> None:
    old = time.time() - TWO_DAYS.total_seconds()
    for path in (settings.data / "uploads").iterdir():
        os.utime(path, (old, old))


def _leftovers(client: Any, world: Any) -> dict[str, Any]:
    """A used desktop QR login, a web login stopped at the SMS step, a wrong password and an
    upload abandoned half-way: the debris of an ordinary day."""
    person = world.person("李四")
    phone = ApiPhone(world, person)
    desktop = phone.desktop_login()
    r = client.post("/api/v1/auth/qr", json={"client_kind": "desktop"})  # shown, never scanned
    unscanned = r.json()
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": person.phone, "password": PASSWORD, "client_kind": "web"},
    )
    assert r.status_code == 200 and r.json()["challenge_id"]
    r = client.post(
        "/api/v1/auth/password-login",
        json={"account": person.phone, "password": "wrong-" + PASSWORD, "client_kind": "web"},
    )
    assert r.status_code == 401
    data = b"half a package"
    r = client.post(
        "/api/v1/uploads",
        json={"size": 1000, "sha256": hashlib.sha256(data).hexdigest()},
        headers=auth(desktop),
    )
    assert r.status_code == 201, r.text
    upload_id = r.json()["upload_id"]
    r = client.put(f"/api/v1/uploads/{upload_id}?offset=0", content=data, headers=auth(desktop))
    assert r.status_code == 200, r.text
    return {"phone": phone, "desktop": desktop, "unscanned": unscanned, "upload": upload_id}


def test_purge_removes_expired_codes_and_abandoned_uploads(client, app, world, settings):
    left = _leftovers(client, world)
    sessions_before = _count(app, Session)
    assert _count(app, QrRequest) >= 2 and _count(app, SmsCode) >= 1

    # Nothing has expired long enough yet: a pass removes nothing.
    assert set(housekeeping.purge(app.state.db, settings).values()) == {0}

    _age_everything(app)
    _age_uploads(settings)
    counts = housekeeping.purge(app.state.db, settings)
    assert counts["qr_requests"] >= 2
    assert counts["sms_codes"] >= 1 and counts["login_challenges"] >= 1
    assert counts["login_failures"] >= 1 and counts["uploads"] == 1
    for model in (QrRequest, SmsCode, LoginChallenge, LoginFailure):
        assert _count(app, model) == 0, model

    # What users rely on stays: sessions (their login history) and the working session.
    assert _count(app, Session) == sessions_before
    assert client.get("/api/v1/me", headers=auth(left["desktop"])).status_code == 200
    # The abandoned upload is gone for its owner too.
    r = client.get(f"/api/v1/uploads/{left['upload']}", headers=auth(left["desktop"]))
    assert r.status_code == 404
    # A purged QR code replayed is refused as before, never revived.
    unscanned = left["unscanned"]
    assert left["phone"].approve_login(unscanned["payload"]).status_code == 404
    r = client.post(
        f"/api/v1/auth/qr/{unscanned['request_id']}/poll", json={"secret": unscanned["secret"]}
    )
    assert r.status_code == 404
    # The pass is in the audit log, whose chain still holds.
    with app.state.db.unit_of_work() as s:
        assert verify_chain(s).ok


def test_fresh_codes_survive_a_purge(client, app, world, settings):
    """Only what expired a grace period ago goes: a code on screen right now stays usable."""
    person = world.person()
    phone = ApiPhone(world, person)
    r = client.post("/api/v1/auth/qr", json={"client_kind": "desktop"})
    start = r.json()
    housekeeping.purge(app.state.db, settings, at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert phone.approve_login(start["payload"]).status_code == 200
    r = client.post(f"/api/v1/auth/qr/{start['request_id']}/poll", json={"secret": start["secret"]})
    assert r.json()["status"] == "approved"


def test_admin_purge_from_the_command_line(client, app, world, settings):
    _leftovers(client, world)
    _age_everything(app)
    env = cli_env(
        data=settings.data, database_url=settings.sqlalchemy_url, environment=settings.environment
    )
    result = run_cli("admin", "purge", "--json", env=env)
    assert result.returncode == 0, result.stderr
    counts = result.json
    assert counts["qr_requests"] >= 2 and counts["sms_codes"] >= 1
    assert counts["uploads"] == 0  # the upload was touched just now: still being sent
    assert _count(app, QrRequest) == 0
    again = run_cli("admin", "purge", "--json", env=env)
    assert set(again.json.values()) == {0}


def test_the_server_loop_survives_a_failed_pass(monkeypatch, tmp_path):
    calls: list[str] = []

    def flaky(_db: Any, _settings: Any) -> dict[str, int]:
        calls.append("pass")
        if len(calls) == 1:
            raise RuntimeError("database briefly unavailable")
        return {}

    monkeypatch.setattr(housekeeping, "purge", flaky)
    settings = Settings(data=tmp_path, environment="test", housekeeping_interval_seconds=0)

    async def main() -> None:
        task = asyncio.create_task(housekeeping.run_periodically(None, settings))  # type: ignore[arg-type]
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    # A thread of its own: a browser test may have left Playwright's loop running in this one.
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_async(asyncio.wait_for(main(), timeout=30))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not errors and not thread.is_alive()
    assert len(calls) >= 3


def test_housekeeping_runs_on_one_server_of_a_cluster_at_a_time(app, client, world, settings):
    """While another server holds the cluster's housekeeping lock (a PostgreSQL advisory
    lock, a file lock on SQLite), a pass here skips; once it is free, the pass runs."""
    from patentdesk.cluster import cluster_lock

    _leftovers(client, world)
    _age_everything(app)
    before = _count(app, QrRequest)
    assert before > 0
    held, release = threading.Event(), threading.Event()

    def other_server() -> None:
        with cluster_lock(settings.sqlalchemy_url, "housekeeping") as got:
            assert got
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_server)
    holder.start()
    try:
        assert held.wait(30)
        assert housekeeping.purge(app.state.db, settings) == {"skipped": 1}
        assert _count(app, QrRequest) == before
    finally:
        release.set()
        holder.join(30)
    counts = housekeeping.purge(app.state.db, settings)
    assert "skipped" not in counts and counts["qr_requests"] > 0
    assert _count(app, QrRequest) < before


def test_orphan_blobs_go_after_the_grace_period_and_referenced_ones_never(
    app, client, world, settings, tmp_path
):
    """A crash's partial write, a package refused before it was stored anywhere, and bytes
    nobody refers to go once older than the grace period; the filed package and its receipt
    stay, and the receipt still downloads."""
    from patentdesk.blobs import blobs_for
    from patentdesk.db import Base
    from tests.support.inproc import build_invention, submit

    phone = ApiPhone(world, world.person("张三"))
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_id"]
    assert client.get(f"/api/v1/receipts/{receipt}", headers=auth(token)).status_code == 200
    blobs = blobs_for(settings)
    kept = housekeeping.referenced_blobs(app.state.db)
    assert hashlib.sha256(package.read_bytes()).hexdigest() in kept
    orphan = blobs.put_bytes(b"bytes nobody refers to")
    leftover = settings.blob_dir / ".incoming-crashed"
    leftover.write_bytes(b"half a package")
    old = time.time() - 4 * 24 * 3600
    for path in settings.blob_dir.rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    young = blobs.put_bytes(b"stored a moment ago, its row not yet committed")

    counts = housekeeping.purge(app.state.db, settings)
    assert counts["orphan_blobs"] == 2
    assert not blobs.exists(orphan) and not leftover.exists()
    assert blobs.exists(young)  # within the grace period
    assert all(blobs.exists(sha) for sha in kept)
    r = client.get(f"/api/v1/receipts/{receipt}", headers=auth(token))
    assert r.status_code == 200
    # Every column that names a blob is one housekeeping reads (the *sha256 convention).
    names = {f"{c.table.name}.{c.name}" for c in housekeeping.blob_columns(Base.metadata)}
    assert {"submissions.package_sha256", "receipts.pdf_sha256", "notices.pdf_sha256"} <= names


@pytest.mark.parametrize("blobs_kind", ["s3"], indirect=True)
def test_orphan_blobs_go_from_the_object_store_too(app, client, world, settings, tmp_path):
    """With the blobs in an object store, the orphan walk lists the store, not the data
    folder: an unreferenced blob goes, the filed package and its receipt stay."""
    from patentdesk.blobs import blobs_for
    from tests.support.inproc import build_invention, submit

    phone = ApiPhone(world, world.person("张三"))
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    blobs = blobs_for(settings)
    orphan = blobs.put_bytes(b"bytes nobody refers to, in the bucket")
    kept = housekeeping.referenced_blobs(app.state.db)
    assert kept and all(blobs.exists(sha) for sha in kept)
    # A cutoff in the future makes every blob old enough (S3 times cannot be set back).
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert housekeeping.purge_orphan_blobs(app.state.db, settings, future) == 1
    assert not blobs.exists(orphan)
    assert all(blobs.exists(sha) for sha in kept)
    receipt = r.json()["receipt_id"]
    assert client.get(f"/api/v1/receipts/{receipt}", headers=auth(token)).status_code == 200
