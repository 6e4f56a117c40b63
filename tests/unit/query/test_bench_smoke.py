"""The query benchmark still runs (a tiny load, SQLite only): it must not rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_query_runs_on_a_tiny_load(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "query.py"),
            "--cases",
            "300",
            "--orgs",
            "1",
            "--runs",
            "2",
            "--db",
            "sqlite",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| internal number (exact) |" in proc.stdout
    assert "| deep page" in proc.stdout
