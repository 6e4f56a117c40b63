"""Signed 1 MB submissions per second over HTTP: clients × workers, SQLite and PostgreSQL.

For each database and worker count: a real server process (`patentdesk serve --workers N`),
packages with a 1 MB drawing signed through the real signing flow, then submitted by C
concurrent clients (keep-alive connections). In the same run, the raw floor of one
submission — receive the 1 MB body into a file and make it durable, SHA-256, CMS signature
verification, one durable commit — and the ratio floor / median latency (1.0 would be
a submission costing no more than its floor). PostgreSQL runs with fsync on.

    python bench/submit.py [--n 100] [--clients 1,4] [--workers 1,2] [--db sqlite,postgresql]
                           [--src OTHER_CHECKOUT/src | --compare BEFORE_CHECKOUT/src]
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _server import (
    Server,
    databases,
    fresh,
    int_list,
    median,
    noise_png,
    percentile,
    sources,
    tmpdir,
)
from tests.support.factories import World
from tests.support.inproc import ApiPhone, build_invention


def raw_floor(url: str, package: Path, pki: Path, runs: int) -> float:
    """Receive (write + fsync) + SHA-256 + CMS verify + one durable commit: median seconds."""
    import sqlalchemy as sa

    from patentdesk.db import make_engine
    from patentdesk.packages import list_signatures, manifest_bytes
    from patentdesk.pki.ca import CertificateAuthority
    from patentdesk.pki.cms import verify_detached

    body = package.read_bytes()
    manifest = manifest_bytes(package)
    signature = list_signatures(package)[0]
    ca_cert = CertificateAuthority.load_or_create(pki, "trial").certificate
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER, h TEXT)")
    samples = []
    with tempfile.TemporaryDirectory(dir=pki.parent) as tmp:
        for i in range(runs):
            start = time.perf_counter()
            with open(Path(tmp) / f"{i}", "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            digest = hashlib.sha256(body).hexdigest()
            verify_detached(
                signature, manifest, ca_certificate=ca_cert, purposes={"signing", "delegated"}
            )
            with engine.begin() as conn:
                conn.execute(
                    sa.text("INSERT INTO bench_commit VALUES (:i, :h)"), {"i": i, "h": digest}
                )
            samples.append(time.perf_counter() - start)
    engine.dispose()
    return median(samples)


def signed_packages(world: World, phone: ApiPhone, token: str, work: Path, tag: str, n: int):
    from patentdesk.packages.editing import add_attachment

    drawing = noise_png(1_000_000)
    packages = []
    for i in range(n):
        p = build_invention(work / f"{tag}-{i}.zip", title=f"一种自行车{i}")
        add_attachment(p, "drawings", drawing, filename="fig1.png")
        phone.sign(token, p)
        packages.append(p)
    return packages


def burst(base: str, token: str, packages: list[Path], clients: int) -> dict[str, float]:
    """Submits every package with ``clients`` threads, each on its own keep-alive connection."""
    local = threading.local()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(p: Path) -> None:
        nonlocal errors
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = httpx.Client(base_url=base, timeout=120)
        body = p.read_bytes()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
        start = time.perf_counter()
        r = http.post("/api/v1/submissions", content=body, headers=headers)
        took = time.perf_counter() - start
        with lock:
            latencies.append(took)
            if r.status_code != 201:
                errors += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, packages))
    wall = time.perf_counter() - start
    return {
        "per_second": len(packages) / wall,
        "median_s": median(latencies),
        "p95_s": percentile(latencies, 95),
        "errors": errors,
    }


def main() -> None:
    argv = sys.argv[1:]
    srcs = sources(argv)
    n = int_list(argv, "--n", [100])[0]
    clients = int_list(argv, "--clients", [1, 4])
    workers = int_list(argv, "--workers", [1, 2])
    kinds = ["sqlite", "postgresql"]
    if "--db" in argv:
        kinds = argv[argv.index("--db") + 1].split(",")
    rows = []
    floors: dict[str, float] = {}
    size = 0
    with tmpdir() as tmp:
        work = Path(tmp)
        with databases(work, kinds) as urls:
            for kind, base_url in urls.items():
                for w in workers:
                    for label, src in srcs:
                        tag = f"b_{kind}_{w}_{label or 'x'}"
                        url = fresh(base_url, work, tag)
                        data = work / tag
                        server = Server(src, data, url, w)
                        try:
                            with httpx.Client(base_url=server.url, timeout=120) as http:
                                world = World(http, data)
                                phone = ApiPhone(world, world.person("张三"))
                                token = phone.desktop_login()
                                # every worker's first submissions import the parsers
                                warm = signed_packages(world, phone, token, work, f"{tag}-w", 4 * w)
                                burst(server.url, token, warm, 2 * w)
                                for c in clients:
                                    packages = signed_packages(
                                        world, phone, token, work, f"{tag}-{c}", n
                                    )
                                    result = burst(server.url, token, packages, c)
                                    rows.append((kind, w, c, label, result))
                        finally:
                            server.stop()
                        if kind not in floors:
                            size = packages[0].stat().st_size
                            floors[kind] = raw_floor(url, packages[0], data / "pki", max(20, n))
    print(f"signed {size / 1e6:.2f} MB submissions over HTTP, {n} per cell (loopback)")
    print(
        f"{'database':<11}{'workers':>8}{'clients':>8}{'code':>7}{'subm/s':>9}{'median':>10}{'p95':>10}"
        f"{'errors':>7}{'floor':>9}{'ratio':>7}"
    )
    for kind, w, c, label, r in sorted(rows, key=lambda row: (*row[:3], row[3] != "before")):
        floor = floors[kind]
        print(
            f"{kind:<11}{w:>8}{c:>8}{label:>7}{r['per_second']:>9.1f}{r['median_s'] * 1000:>8.1f}ms"
            f"{r['p95_s'] * 1000:>8.1f}ms{r['errors']:>7}{floor * 1000:>7.2f}ms"
            f"{floor / r['median_s']:>7.2f}"
        )
    print("ratio = raw floor / median latency (1.0: a submission costs only its floor)")


if __name__ == "__main__":
    main()
