"""QR logins per second over HTTP: the desktop asks for a code, the bound phone approves it,
the desktop collects its session (three requests), with C concurrent clients.

    python bench/qrlogin.py [--n 200] [--clients 1,4] [--workers 2] [--db sqlite,postgresql]
                            [--src OTHER_CHECKOUT/src | --compare BEFORE/src]
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _server import Server, databases, fresh, int_list, median, percentile, sources, tmpdir
from tests.support.factories import World, auth
from tests.support.inproc import ApiPhone


def login(http: httpx.Client, phone: ApiPhone) -> bool:
    r = http.post("/api/v1/auth/qr", json={"client_kind": "desktop"})
    if r.status_code != 201:
        return False
    start = r.json()
    approval, claims = phone.approval(start["payload"])
    r = http.post(
        f"/api/v1/auth/qr/{claims['id']}/decision",
        json={"approval": approval},
        headers=auth(phone.token),
    )
    if r.status_code != 200:
        return False
    r = http.post(f"/api/v1/auth/qr/{start['request_id']}/poll", json={"secret": start["secret"]})
    return r.status_code == 200 and r.json().get("status") == "approved"


def burst(base: str, phone: ApiPhone, n: int, clients: int) -> dict[str, float]:
    local = threading.local()
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def one(_i: int) -> None:
        nonlocal failures
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = httpx.Client(base_url=base, timeout=60)
        start = time.perf_counter()
        ok = login(http, phone)
        took = time.perf_counter() - start
        with lock:
            latencies.append(took)
            failures += not ok

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    return {
        "per_second": n / wall,
        "median_s": median(latencies),
        "p95_s": percentile(latencies, 95),
        "failures": failures,
    }


def main() -> None:
    argv = sys.argv[1:]
    srcs = sources(argv)
    n = int_list(argv, "--n", [200])[0]
    clients = int_list(argv, "--clients", [1, 4])
    workers = int_list(argv, "--workers", [2])
    kinds = argv[argv.index("--db") + 1].split(",") if "--db" in argv else ["sqlite", "postgresql"]
    rows = []
    with tmpdir() as tmp:
        work = Path(tmp)
        with databases(work, kinds) as urls:
            for kind, base_url in urls.items():
                for w in workers:
                    for label, src in srcs:
                        tag = f"q_{kind}_{w}_{label or 'x'}"
                        server = Server(src, work / tag, fresh(base_url, work, tag), w)
                        try:
                            with httpx.Client(base_url=server.url, timeout=60) as http:
                                world = World(http, work / tag)
                                phone = ApiPhone(world, world.person("张三"))
                                burst(server.url, phone, 10, 1)  # warm up every worker
                                for c in clients:
                                    result = burst(server.url, phone, n, c)
                                    rows.append((kind, w, c, label, result))
                        finally:
                            server.stop()
    print(f"QR logins over HTTP (3 requests each), {n} per cell (loopback)")
    print(
        f"{'database':<11}{'workers':>8}{'clients':>8}{'code':>7}{'logins/s':>10}{'median':>10}{'p95':>10}"
        f"{'failed':>7}"
    )
    for kind, w, c, label, r in sorted(rows, key=lambda row: (*row[:3], row[3] != "before")):
        print(
            f"{kind:<11}{w:>8}{c:>8}{label:>7}{r['per_second']:>10.1f}{r['median_s'] * 1000:>8.1f}ms"
            f"{r['p95_s'] * 1000:>8.1f}ms{r['failures']:>7}"
        )


if __name__ == "__main__":
    main()
