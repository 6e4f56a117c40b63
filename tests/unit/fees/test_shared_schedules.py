"""Operator schedules in the database (issue 14): shared by every server of one database,
with the same refusals as the files, and every server's cache notices another's change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patentdesk.db import Database
from patentdesk.fees import ScheduleConflict, add_schedule, add_shared_schedule, schedule_for
from patentdesk.fees.schedules import ScheduleBook
from tests.unit.fees.test_schedules import NEW_PCT, write


def _add(db: Database, data: Path | None, file: Path, *, replace: bool = False) -> bool:
    with db.unit_of_work() as s:
        return add_shared_schedule(s, data, file, replace=replace)[1]


def _in_force(db: Database, data: Path | None, on: dt.date) -> str:
    with db.unit_of_work(write=False) as s:
        return schedule_for("pct", on, data, s).id


def test_a_change_on_one_server_is_seen_by_another(db: Database, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    other = Database(db.engine.url.render_as_string(hide_password=False))  # B's own engine
    try:
        assert _in_force(other, b, dt.date(2025, 6, 1)) == "pct-cnipa-ro-2024-01-01"  # cached
        assert _add(db, a, write(tmp_path, NEW_PCT)) is False
        assert _in_force(other, b, dt.date(2025, 6, 1)) == "pct-cnipa-ro-2025-01-01"
        # A correction under the same id: as many rows as before, still noticed.
        changed = NEW_PCT.replace("11000", "12000")
        with pytest.raises(ScheduleConflict) as err:
            _add(db, a, write(tmp_path, changed, "again.yaml"))
        assert "--replace" in err.value.en
        assert _add(db, a, write(tmp_path, changed, "again.yaml"), replace=True) is True
        with other.unit_of_work(write=False) as s:
            item = schedule_for("pct", dt.date(2025, 6, 1), b, s).item("pct_international_filing")
        assert item is not None and item.amount == 12000
    finally:
        other.dispose()
    assert not (a / "fees").exists() and not (b / "fees").exists()


def test_bundled_ids_and_same_day_clashes_are_refused(db: Database, tmp_path: Path) -> None:
    bundled = NEW_PCT.replace("pct-cnipa-ro-2025-01-01", "pct-cnipa-ro-2024-01-01")
    with pytest.raises(ScheduleConflict):
        _add(db, None, write(tmp_path, bundled, "b.yaml"), replace=True)
    clash = NEW_PCT.replace("id: pct-cnipa-ro-2025-01-01", "id: pct-fix-2023").replace(
        "2025-01-01", "2023-01-01"
    )
    with pytest.raises(ScheduleConflict) as err:
        _add(db, None, write(tmp_path, clash, "c.yaml"))
    assert "replaces" in err.value.en
    with db.unit_of_work(write=False) as s:
        assert [e.origin for e in ScheduleBook.load(None, s).entries] == ["bundled"] * 6


def test_data_folder_files_still_count_and_the_database_wins(db: Database, tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_schedule(data, write(tmp_path, NEW_PCT))  # the way before: a file of this server
    assert _in_force(db, data, dt.date(2025, 6, 1)) == "pct-cnipa-ro-2025-01-01"
    # The same file now shared: allowed as a replacement; the database's copy wins.
    changed = NEW_PCT.replace("11000", "12000")
    with pytest.raises(ScheduleConflict):
        _add(db, data, write(tmp_path, changed, "shared.yaml"))
    _add(db, data, write(tmp_path, changed, "shared.yaml"), replace=True)
    with db.unit_of_work(write=False) as s:
        entry = ScheduleBook.load(data, s).get("pct-cnipa-ro-2025-01-01")
        assert entry is not None and entry.origin == "database"
        assert entry.schedule.item("pct_international_filing").amount == 12000  # type: ignore[union-attr]
