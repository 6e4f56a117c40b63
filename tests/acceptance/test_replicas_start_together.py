"""Servers started at the same moment on a new, empty database — the replicas of a
deployment, as an orchestrator starts them — all start: one builds the schema, the others
wait for it (issue 14). They used to race to create the same tables, and all but one died
with "duplicate key … pg_type_typname_nsp_index" or "table already exists"."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DB_KINDS
from tests.support.cli import cli_env

REPLICAS = 3

# What `patentdesk serve` does before it listens (bootstrap.prepare), in a process of its own.
PREPARE = "from patentdesk.bootstrap import prepare; from patentdesk.config import load_settings; prepare(load_settings())"


@pytest.fixture(params=DB_KINDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    with cluster.scratch_database("empty") as url:
        yield url


def test_replicas_started_together_on_an_empty_database_all_start(
    empty_database: str, tmp_path: Path
) -> None:
    # One data folder for all (the key files are then every replica's); each its own
    # process, started without waiting for the others.
    env = cli_env(data=tmp_path / "data", database_url=empty_database, environment="test")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PREPARE],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    outcomes = [(p.wait(timeout=180), p.communicate()[1]) for p in procs]
    for code, stderr in outcomes:
        assert code == 0, stderr[-3000:]
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    finally:
        engine.dispose()
    assert len(versions) >= 1
