"""Restore never re-issues a number (issue 14): the operator gives the newest numbers known
to be issued after the backup and new numbers continue above them, and the tool says so."""

from __future__ import annotations

from pathlib import Path

from patentdesk.bootstrap import prepare
from patentdesk.config import Settings
from patentdesk.db import Database
from patentdesk.filing.allocation import next_serial
from patentdesk.packages.numbers import check_character
from tests.support.cli import cli_env, run_cli


def test_numbers_continue_above_an_operator_given_floor(db_url: str, tmp_path: Path):
    settings = Settings(data=tmp_path / "data", database_url=db_url, environment="test")
    prepare(settings)
    db = Database(db_url)
    with db.unit_of_work() as s:  # the restored database had given 2026-1 up to serial 41
        for _ in range(41):
            next_serial(s, "2026-1")
    env = cli_env(data=settings.data, database_url=db_url, environment="test")
    issued = "202610012345"
    issued += "." + check_character(issued)
    r = run_cli("admin", "numbers", "floor", issued, "PCT/CN2026/000077", "--json", env=env)
    assert r.returncode == 0, r.stderr
    raised = {c["series"]: c for c in r.json["raised"]}
    assert raised["2026-1"]["next_serial_before"] == 42
    assert raised["2026-1"]["next_serial"] == 12346
    assert raised["PCT-CN-2026"]["next_serial"] == 78
    # In words, too: the operator sees what changed.
    again = run_cli("admin", "numbers", "floor", "202610000001", env=env)
    assert again.returncode == 0, again.stderr
    assert "number counters needed no change" in again.stdout  # never lowered
    with db.unit_of_work() as s:
        assert next_serial(s, "2026-1") == 12346
        assert next_serial(s, "PCT-CN-2026") == 78
    db.dispose()
    bad = run_cli("admin", "numbers", "floor", "2026-not-a-number", "--json", env=env)
    assert bad.returncode != 0
    assert bad.error["message"] and bad.error["message_en"]
