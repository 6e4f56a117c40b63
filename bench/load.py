"""A bounded mixed load over HTTP: QR logins, reads (who am I, case search, My Desk,
deadlines) and signed submissions, from 4 and then 16 concurrent clients; prints the error
rate and the median and p95 latency per kind of request.

Each client runs a fixed script (no open-ended loop): per round one login, six reads and,
while its packages last, one submission.

    python bench/load.py [--rounds 12] [--clients 4,16] [--workers 2] [--db sqlite,postgresql]
                         [--src OTHER_CHECKOUT/src | --compare BEFORE/src]
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _server import Server, databases, fresh, int_list, median, percentile, sources, tmpdir
from qrlogin import login
from tests.support.factories import World, auth
from tests.support.inproc import ApiPhone, build_invention

READS = (
    "/api/v1/me",
    "/api/v1/cases?limit=20",
    "/api/v1/desk",
    "/api/v1/deadlines?days=30",
    "/api/v1/me",
    "/api/v1/cases?limit=20&title=自行车",
)


def run_load(base: str, phone: ApiPhone, token: str, packages: list[list[Path]], rounds: int):
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    def timed(kind: str, call) -> None:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            ok = call()
        except httpx.HTTPError:
            ok = False
        took = time.perf_counter() - start
        with lock:
            samples[kind].append(took)
            errors[kind] += not ok

    def client(mine: list[Path]) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for i in range(rounds):
                timed("login", lambda: login(http, phone))
                for path in READS:
                    timed("read", lambda p=path: http.get(p, headers=auth(token)).is_success)
                if i < len(mine):
                    body = mine[i].read_bytes()
                    timed(
                        "submit",
                        lambda b=body: (
                            http.post(
                                "/api/v1/submissions",
                                content=b,
                                headers={**auth(token), "Content-Type": "application/zip"},
                            ).status_code
                            == 201
                        ),
                    )

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(packages)) as pool:
        list(pool.map(client, packages))
    return samples, errors, time.perf_counter() - start


def one_cell(
    src: Path, work: Path, tag: str, base_url: str, workers: int, clients: int, rounds: int
):  # type: ignore[no-untyped-def]
    """A server, a person with a bound phone, three signed packages per client; the load."""
    server = Server(src, work / tag, fresh(base_url, work, tag), workers)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            world = World(http, work / tag)
            phone = ApiPhone(world, world.person("张三"))
            token = phone.desktop_login()
            packages = []
            for j in range(clients):
                mine = []
                for k in range(3):
                    p = build_invention(work / f"{tag}-{j}-{k}.zip", title=f"一种自行车{j}{k}")
                    phone.sign(token, p)
                    mine.append(p)
                packages.append(mine)
        return run_load(server.url, phone, token, packages, rounds)
    finally:
        server.stop()


def main() -> None:
    argv = sys.argv[1:]
    srcs = sources(argv)
    rounds = int_list(argv, "--rounds", [12])[0]
    client_counts = int_list(argv, "--clients", [4, 16])
    workers = int_list(argv, "--workers", [2])
    kinds = argv[argv.index("--db") + 1].split(",") if "--db" in argv else ["sqlite", "postgresql"]
    rows = []
    with tmpdir() as tmp:
        work = Path(tmp)
        with databases(work, kinds) as urls:
            for kind, base_url in urls.items():
                for w in workers:
                    for c in client_counts:
                        for label, src in srcs:
                            tag = f"l_{kind}_{w}_{c}_{label or 'x'}"
                            result = one_cell(src, work, tag, base_url, w, c, rounds)
                            rows.append((kind, w, c, label, *result))
    print(f"mixed load over HTTP: {rounds} rounds per client (loopback)")
    print(
        f"{'database':<11}{'workers':>8}{'clients':>8}{'code':>7}  {'kind':<7}{'count':>6}{'errors':>8}"
        f"{'median':>10}{'p95':>10}"
    )
    for kind, w, c, label, samples, errors, _wall in sorted(
        rows, key=lambda row: (*row[:3], row[3] != "before")
    ):
        for what in ("login", "read", "submit"):
            values = samples.get(what, [])
            rate = errors.get(what, 0) / len(values) if values else 0.0
            print(
                f"{kind:<11}{w:>8}{c:>8}{label:>7}  {what:<7}{len(values):>6}{rate:>7.1%}"
                f"{median(values) * 1000:>8.1f}ms{percentile(values, 95) * 1000:>8.1f}ms"
            )
    print("login: three requests (code, approval, collect); read: one GET")


if __name__ == "__main__":
    main()
