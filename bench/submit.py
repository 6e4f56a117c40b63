"""Signed 1 MB submissions per second, end to end over HTTP, on SQLite and PostgreSQL.

For each database: a real server process (`patentdesk serve`), N packages with a 1 MB
drawing, signed through the real signing flow, submitted one after another; then the raw
limit measured in the same run — SHA-256 of the package + CMS signature verification + one
durable commit — and the ratio of the two. Prints medians; run: python bench/submit.py [N]
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PATENTDESK_ARGON2_PROFILE", "CHEAPEST")

from tests.support.factories import World  # noqa: E402
from tests.support.inproc import ApiPhone, build_invention, submit  # noqa: E402


def noise_png(size: int) -> bytes:
    from PIL import Image

    side = int((size / 3) ** 0.5)
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        PATENTDESK_DATA=str(data),
        PATENTDESK_DATABASE_URL=url,
        PATENTDESK_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=str(ROOT / "src"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "patentdesk", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def raw_limit(url: str, package: Path, runs: int) -> float:
    """SHA-256 + CMS verify + one durable commit, median seconds."""
    import sqlalchemy as sa

    from patentdesk.db import make_engine
    from patentdesk.packages import list_signatures, manifest_bytes
    from patentdesk.pki.cms import verify_detached

    data = package.read_bytes()
    manifest = manifest_bytes(package)
    signature = list_signatures(package)[0]
    from patentdesk.pki.ca import CertificateAuthority

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER, h TEXT)")
    samples = []
    ca_dir = Path(os.environ["BENCH_PKI_DIR"])
    ca_cert = CertificateAuthority.load_or_create(ca_dir, "trial").certificate
    for i in range(runs):
        start = time.perf_counter()
        digest = hashlib.sha256(data).hexdigest()
        verify_detached(
            signature, manifest, ca_certificate=ca_cert, purposes={"signing", "delegated"}
        )  # type: ignore[arg-type]
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO bench_commit VALUES (:i, :h)"), {"i": i, "h": digest})
        samples.append(time.perf_counter() - start)
    engine.dispose()
    return statistics.median(samples)


def run(kind: str, url: str, workdir: Path, n: int) -> dict[str, float]:
    data = workdir / f"data-{kind}"
    port = free_port()
    from patentdesk.db import migrate

    migrate(url)
    proc = serve(data, url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            world = World(http, data)
            phone = ApiPhone(world, world.person("张三"))
            token = phone.desktop_login()
            drawing = noise_png(1_000_000)
            packages = []
            for i in range(n):
                p = build_invention(workdir / f"{kind}-{i}.zip", title=f"一种自行车{i}")
                from patentdesk.packages.editing import add_attachment

                add_attachment(p, "drawings", drawing, filename="fig1.png")
                phone.sign(token, p)
                packages.append(p)
            times = []
            for p in packages:
                start = time.perf_counter()
                r = submit(http, token, p)
                assert r.status_code == 201, r.text
                times.append(time.perf_counter() - start)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    os.environ["BENCH_PKI_DIR"] = str(data / "pki")
    end_to_end = statistics.median(times)
    raw = raw_limit(url, packages[0], max(20, n))
    size = packages[0].stat().st_size
    return {
        "e2e_median_s": end_to_end,
        "per_second": 1 / end_to_end,
        "raw_median_s": raw,
        "ratio": end_to_end / raw,
        "package_bytes": size,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    from tests.support.pg import Cluster, find_bindir

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results = {"sqlite": run("sqlite", f"sqlite:///{work / 'bench.db'}", work, n)}
        bindir = find_bindir()
        if bindir is not None:
            cluster = Cluster(bindir)
            cluster.start()
            try:
                import sqlalchemy as sa

                engine = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
                with engine.connect() as conn:
                    conn.exec_driver_sql("CREATE DATABASE bench")
                engine.dispose()
                results["postgresql"] = run("postgresql", cluster.url("bench"), work, n)
            finally:
                cluster.stop()
    print(f"signed ~1 MB submissions, {n} per database, sequential, over HTTP")
    print(
        f"{'database':<12}{'package':>10}{'e2e median':>13}{'per second':>12}"
        f"{'raw limit':>12}{'ratio':>8}"
    )
    for kind, r in results.items():
        print(
            f"{kind:<12}{r['package_bytes'] / 1e6:>9.2f}M{r['e2e_median_s'] * 1000:>11.1f}ms"
            f"{r['per_second']:>12.1f}{r['raw_median_s'] * 1000:>10.2f}ms{r['ratio']:>8.1f}"
        )


if __name__ == "__main__":
    main()
