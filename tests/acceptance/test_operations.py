"""What operators of a cluster see (issue 14): Prometheus metrics by route template, a
request id on every answer and in the logs, liveness and readiness probes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from patentdesk.db import Database
from tests.support.cli import cli_env

LOCAL = ("127.0.0.1", 40000)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a /metrics answer (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@pytest.fixture
def local(app: Any) -> Any:
    with TestClient(app, client=LOCAL) as c:
        yield c


def _metrics(client: TestClient) -> str:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def test_metrics_count_requests_by_route_template_and_logins(local, world):
    before = _metrics(local)
    for _ in range(3):
        assert local.get("/api/v1/health").status_code == 200
    # Two different ids are one route: the template, never the raw path.
    for _ in range(2):
        assert local.get(f"/api/v1/qr/{uuid.uuid4()}").status_code in (401, 403, 404)
    org = world.agency(world.person())
    r = local.post(
        "/api/v1/auth/password-login",
        json={"account": org["uscc"], "password": "Wrong-guess-1", "client_kind": "web"},
    )
    assert r.status_code == 401
    after = _metrics(local)

    def grew(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert (
        grew("patentdesk_http_requests_total", method="GET", route="/api/v1/health", status="200")
        == 3
    )
    routes = {
        s.labels["route"]
        for f in text_string_to_metric_families(after)
        for s in f.samples
        if s.name == "patentdesk_http_requests_total"
    }
    assert "/api/v1/qr/{request_id}" in routes
    assert not [r for r in routes if re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", r)]  # no raw ids
    assert (
        grew("patentdesk_http_request_duration_seconds_count", method="GET", route="/api/v1/health")
        == 3
    )
    assert grew("patentdesk_logins_total", outcome="failed") == 1
    assert grew("patentdesk_events_total", action="login.failed") == 1


def test_metrics_are_for_the_operators_scraper_only(app, local, settings):
    # Relayed by a load balancer (from anywhere on the internet, perhaps): not there.
    r = local.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 404
    with TestClient(app, client=("203.0.113.9", 40000)) as outsider:
        assert outsider.get("/metrics").status_code == 404
    # With a token set, only a scraper that presents it reads them (from any address).
    settings.metrics_token = SecretStr("scrape-secret-1")
    assert local.get("/metrics").status_code == 404
    assert local.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 404
    ok = local.get(
        "/metrics",
        headers={"Authorization": "Bearer scrape-secret-1", "X-Forwarded-For": "198.51.100.7"},
    )
    assert ok.status_code == 200 and "patentdesk_http_requests_total" in ok.text


def test_every_answer_carries_a_request_id(local):
    made = local.get("/api/v1/health").headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert local.get("/api/v1/health").headers["X-Request-ID"] != made
    # The load balancer's id is kept, so its logs and ours name the same request …
    given = "lb-7f3a:2026.12.05-0001"
    assert (
        local.get("/api/v1/health", headers={"X-Request-ID": given}).headers["X-Request-ID"]
        == given
    )
    # … errors carry it too, and an id that is not sane is replaced.
    r = local.get("/api/v1/no-such-thing", headers={"X-Request-ID": given})
    assert r.status_code == 404 and r.headers["X-Request-ID"] == given
    for bad in ("x" * 200, "<script>", "a b"):
        got = local.get("/api/v1/health", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert got != bad and len(got) == 32


def test_liveness_and_readiness(app, local):
    assert local.get("/livez").json() == {"status": "ok"}
    r = local.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ready",
        "checks": {"database": "ok", "blobs": "ok", "keys": "ok"},
    }
    # The database goes away: still alive, no longer ready (the balancer stops sending).
    working = app.state.db
    app.state.db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        assert local.get("/livez").status_code == 200
        r = local.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "not_ready"
        assert r.json()["checks"]["database"].startswith("failed")
        assert r.json()["checks"]["keys"] == "ok"
    finally:
        app.state.db.dispose()
        app.state.db = working


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_with_workers_sums_metrics_and_logs_json_with_the_request_id(tmp_path: Path):
    port = _free_port()
    env = cli_env(data=tmp_path / "data", environment="test", secure_cookies="false")
    env["PATENTDESK_ARGON2_PROFILE"] = "CHEAPEST"
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "patentdesk", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.3)
        for i in range(20):
            # A new connection each time: the kernel spreads them over both workers.
            with httpx.Client() as c:
                r = c.get(f"{base}/api/v1/health", headers={"X-Request-ID": f"probe-{i}"})
            assert r.headers["X-Request-ID"] == f"probe-{i}"
        counts = set()
        for _ in range(6):
            with httpx.Client() as c:
                text = c.get(f"{base}/metrics").text
            counts.add(
                _sample(
                    text,
                    "patentdesk_http_requests_total",
                    method="GET",
                    route="/api/v1/health",
                    status="200",
                )
            )
        # Whichever worker answers, it reports all twenty requests: each counts into the
        # shared folder that serve made for them.
        assert counts == {20.0}
        assert list((tmp_path / "data" / "metrics").glob("counter_*.db"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    probes = [line for line in lines if str(line.get("request_id", "")).startswith("probe-")]
    assert len(probes) == 20
    assert probes[0]["route"] == "/api/v1/health" and probes[0]["status"] == 200
    assert {"time", "level", "logger", "message", "duration_ms"} <= set(probes[0])
    print("workers that answered:", {line["pid"] for line in probes})
