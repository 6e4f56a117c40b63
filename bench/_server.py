"""What the HTTP benchmarks share: a real server process on loopback, a durable PostgreSQL
cluster, signed 1 MB packages, and percentiles.

``--src DIR`` serves another checkout's ``src``; ``--compare DIR`` measures that checkout
("before") and this one ("after") cell by cell in the same run, so that both see the same
load on a shared machine. A checkout whose ``serve`` has no ``--workers`` is run with
uvicorn's own workers, as its operators would have had to.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PATENTDESK_ARGON2_PROFILE", "CHEAPEST")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def src_arg(argv: list[str]) -> Path:
    """``--src DIR`` from the command line, else this checkout's ``src``."""
    if "--src" in argv:
        i = argv.index("--src")
        src = Path(argv[i + 1]).resolve()
        del argv[i : i + 2]
        return src
    return ROOT / "src"


def sources(argv: list[str]) -> list[tuple[str, Path]]:
    """(label, src folder) to measure: ``--compare DIR`` gives before and after."""
    if "--compare" in argv:
        i = argv.index("--compare")
        before = Path(argv[i + 1]).resolve()
        del argv[i : i + 2]
        return [("before", before), ("after", ROOT / "src")]
    return [("", src_arg(argv))]


def int_list(argv: list[str], flag: str, default: list[int]) -> list[int]:
    if flag in argv:
        i = argv.index(flag)
        values = [int(v) for v in argv[i + 1].split(",")]
        del argv[i : i + 2]
        return values
    return default


class Server:
    """``patentdesk serve`` with N workers on a free loopback port."""

    def __init__(self, src: Path, data: Path, url: str, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            PATENTDESK_DATA=str(data),
            PATENTDESK_DATABASE_URL=url,
            PATENTDESK_BASE_URL=self.url,
            PYTHONPATH=str(src),
        )
        has_workers = "workers" in (src / "patentdesk/cli/serve.py").read_text()
        if has_workers or workers == 1:
            cmd = [sys.executable, "-m", "patentdesk", "serve", "--port", str(self.port)]
            if has_workers:
                cmd += ["--workers", str(workers)]
        else:
            prepare = (
                "from patentdesk.bootstrap import prepare;"
                "from patentdesk.config import load_settings; prepare(load_settings())"
            )
            subprocess.run([sys.executable, "-c", prepare], env=env, check=True)
            cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "patentdesk.app:create_app",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                # what that checkout had: neither uvloop nor httptools among its dependencies
                "--loop",
                "asyncio",
                "--http",
                "h11",
            ]
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(600):
            try:
                httpx.get(f"{self.url}/api/v1/health", timeout=1)
                # every worker up: a few more health checks land on all of them
                time.sleep(0.5 * workers)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@contextlib.contextmanager
def databases(work: Path, kinds: list[str]) -> Iterator[dict[str, str]]:
    """URLs of fresh databases: SQLite (WAL, synchronous=FULL) and a PostgreSQL cluster with
    fsync on (the test cluster runs without; a benchmark comparing commits must not)."""
    from tests.support.pg import Cluster, find_bindir

    urls: dict[str, str] = {}
    cluster = None
    if "sqlite" in kinds:
        urls["sqlite"] = f"sqlite:///{work / 'bench.db'}"
    bindir = find_bindir()
    if "postgresql" in kinds and bindir is not None:
        import sqlalchemy as sa

        cluster = Cluster(bindir, durable=True)
        cluster.start()
        engine = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE bench")
        engine.dispose()
        urls["postgresql"] = cluster.url("bench")
    try:
        yield urls
    finally:
        if cluster is not None:
            cluster.stop()


def fresh(url: str, work: Path, tag: str) -> str:
    """A new empty database next to ``url`` (one per server run)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{work / f'{tag}.db'}"
    import sqlalchemy as sa

    base, _ = url.rsplit("/", 1)
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {tag}")
    engine.dispose()
    return f"{base}/{tag}"


def noise_png(size: int) -> bytes:
    from PIL import Image

    side = int((size / 3) ** 0.5)
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def tmpdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="patentdesk-bench-")
