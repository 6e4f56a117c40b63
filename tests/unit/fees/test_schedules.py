"""Schedules as data: the bundled files, the choice by date at midnight Beijing, adding one."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
import time_machine

from patentdesk.fees import (
    FeeInput,
    ScheduleConflict,
    ScheduleInvalid,
    ScheduleNotFound,
    add_schedule,
    book,
    calculate,
    schedule_for,
)
from patentdesk.fees.schedules import BUNDLED_DIR, ScheduleBook, read_schedule
from patentdesk.timeutil import BEIJING

UTC = dt.UTC
WIPO_CODES = [
    "pct_international_filing",
    "pct_extra_sheet",
    "pct_efiling_reduction_pdf",
    "pct_efiling_reduction_xml",
    "pct_handling",
]


def test_bundled_schedules_are_valid_and_named_by_id() -> None:
    files = sorted(BUNDLED_DIR.glob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        schedule = read_schedule(path)
        assert path.stem == schedule.id
        assert schedule.currency == "CNY"
        assert len(schedule.source) > 50, f"{schedule.id} says where its figures come from"


def test_pct_schedules_have_the_same_items() -> None:
    pct = [s for s in book().schedules if s.kind == "pct"]
    assert [s.effective_from.isoformat() for s in pct] == [
        "2021-12-01",
        "2023-01-01",
        "2023-07-01",
        "2023-11-01",
        "2024-01-01",
    ]
    codes = {tuple(i.code for i in s.items) for s in pct}
    assert len(codes) == 1


def test_2023_revision_changed_every_wipo_amount() -> None:
    old = schedule_for("pct", dt.date(2022, 12, 31))
    new = schedule_for("pct", dt.date(2023, 1, 1))
    for code in WIPO_CODES:
        assert old.item(code).amount != new.item(code).amount, code  # type: ignore[union-attr]
    # CNIPA's own fees did not change
    for code in ("pct_transmittal", "pct_search"):
        assert old.item(code).amount == new.item(code).amount  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2021-12-01", "pct-cnipa-ro-2021-12-01"),
        ("2022-12-31", "pct-cnipa-ro-2021-12-01"),
        ("2023-01-01", "pct-cnipa-ro-2023-01-01"),
        ("2023-06-30", "pct-cnipa-ro-2023-01-01"),
        ("2023-07-01", "pct-cnipa-ro-2023-07-01"),
        ("2023-10-31", "pct-cnipa-ro-2023-07-01"),
        ("2023-11-01", "pct-cnipa-ro-2023-11-01"),
        ("2023-12-31", "pct-cnipa-ro-2023-11-01"),
        ("2024-01-01", "pct-cnipa-ro-2024-01-01"),
        ("2030-01-01", "pct-cnipa-ro-2024-01-01"),
    ],
)
def test_schedule_in_force_on_a_date(day: str, expected: str) -> None:
    assert schedule_for("pct", dt.date.fromisoformat(day)).id == expected


def test_no_schedule_before_the_first() -> None:
    with pytest.raises(ScheduleNotFound) as err:
        schedule_for("pct", dt.date(2021, 11, 30))
    assert "2021-11-30" in err.value.zh and err.value.status == 404
    with pytest.raises(ScheduleNotFound):
        schedule_for("domestic", dt.date(2019, 6, 30))


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # 2023-01-01 00:00 Beijing is 2022-12-31 16:00 UTC
        (dt.datetime(2022, 12, 31, 15, 59, 59, 999999, tzinfo=UTC), "pct-cnipa-ro-2021-12-01"),
        (dt.datetime(2022, 12, 31, 16, 0, 0, tzinfo=UTC), "pct-cnipa-ro-2023-01-01"),
        (dt.datetime(2022, 12, 31, 23, 59, 59, 999000, tzinfo=BEIJING), "pct-cnipa-ro-2021-12-01"),
        (dt.datetime(2023, 1, 1, 0, 0, 0, tzinfo=BEIJING), "pct-cnipa-ro-2023-01-01"),
        (dt.datetime(2023, 6, 30, 16, 0, 0, tzinfo=UTC), "pct-cnipa-ro-2023-07-01"),
    ],
)
def test_boundary_is_midnight_beijing(instant: dt.datetime, expected: str) -> None:
    assert schedule_for("pct", instant).id == expected


@pytest.mark.parametrize(
    ("now", "expected", "today"),
    [
        ("2022-12-31T15:59:59.999999+00:00", "pct-cnipa-ro-2021-12-01", "2022-12-31"),
        ("2022-12-31T16:00:00+00:00", "pct-cnipa-ro-2023-01-01", "2023-01-01"),
    ],
)
def test_today_is_the_beijing_date(now: str, expected: str, today: str) -> None:
    with time_machine.travel(dt.datetime.fromisoformat(now), tick=False):
        assert schedule_for("pct").id == expected
        sheet = calculate(FeeInput(business_type="pct"))
        assert sheet.schedule.id == expected
        assert sheet.filing_date == dt.date.fromisoformat(today)


# ---------------------------------------------------------------- operator-added schedules

NEW_PCT = """\
# operator's file: comments are kept
id: pct-cnipa-ro-2025-01-01
kind: pct
effective_from: 2025-01-01
currency: CNY
source: Test figures for the operator path, not real amounts.
items:
  - code: pct_international_filing
    name: {zh: 国际申请费, en: International filing fee}
    amount: 11000
    business: [pct]
"""


def write(tmp_path: Path, text: str, name: str = "new.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_add_schedule_copies_and_applies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    schedule = add_schedule(data, write(tmp_path, NEW_PCT))
    assert schedule.id == "pct-cnipa-ro-2025-01-01"
    stored = data / "fees" / "pct-cnipa-ro-2025-01-01.yaml"
    assert stored.read_text(encoding="utf-8").startswith("# operator's file")
    assert schedule_for("pct", dt.date(2025, 1, 1), data).id == schedule.id
    assert schedule_for("pct", dt.date(2024, 12, 31), data).id == "pct-cnipa-ro-2024-01-01"
    # without the data folder, only bundled schedules
    assert schedule_for("pct", dt.date(2025, 1, 1)).id == "pct-cnipa-ro-2024-01-01"
    sheet = calculate(FeeInput(business_type="pct"), dt.date(2025, 3, 1), data_dir=data)
    assert sheet.total == 11000


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("id: [unclosed\n", "line"),
        ("- just a list\n", "mapping"),
        (NEW_PCT.replace("amount: 11000", "amount: -5"), "items.0.amount"),
        (NEW_PCT.replace("currency: CNY", "currency: USD"), "currency"),
        (NEW_PCT.replace("business: [pct]", "busness: [pct]"), "busness"),
        (
            NEW_PCT.replace("effective_from: 2025-01-01", "effective_from: someday"),
            "effective_from",
        ),
        (
            NEW_PCT.replace("source: Test figures for the operator path, not real amounts.\n", ""),
            "source",
        ),
        (NEW_PCT.replace("kind: pct", "kind: trademark"), "kind"),
        (
            NEW_PCT
            + "  - code: pct_international_filing\n    name: {zh: a, en: b}\n    amount: 1\n",
            "twice",
        ),
        (
            NEW_PCT.replace(
                "amount: 11000", "amount: 5\n    from: 10\n    to: 3\n    quantity: sheets"
            ),
            "'to'",
        ),
        (
            NEW_PCT.replace(
                "amount: 11000",
                "quantity: annual_fee_year\n    bands: [{years: [1, 3], amount: 1}, {years: [5, 6], amount: 2}]",
            ),
            "year 4",
        ),
    ],
)
def test_bad_schedule_is_refused_with_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    data = tmp_path / "data"
    with pytest.raises(ScheduleInvalid) as err:
        add_schedule(data, write(tmp_path, text))
    assert needle in err.value.en
    assert err.value.zh.startswith("收费标准文件")
    assert not (data / "fees").exists() or not list((data / "fees").iterdir())


def test_same_id_is_refused_unless_replacing_an_operator_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_schedule(data, write(tmp_path, NEW_PCT))
    changed = NEW_PCT.replace("11000", "12000")
    with pytest.raises(ScheduleConflict) as err:
        add_schedule(data, write(tmp_path, changed, "again.yaml"))
    assert "--replace" in err.value.en
    add_schedule(data, write(tmp_path, changed, "again.yaml"), replace=True)
    assert (
        schedule_for("pct", dt.date(2025, 2, 1), data).item("pct_international_filing").amount
        == 12000
    )  # type: ignore[union-attr]
    bundled = NEW_PCT.replace("pct-cnipa-ro-2025-01-01", "pct-cnipa-ro-2024-01-01")
    with pytest.raises(ScheduleConflict):
        add_schedule(data, write(tmp_path, bundled, "b.yaml"), replace=True)


def test_same_day_is_refused_unless_it_replaces(tmp_path: Path) -> None:
    data = tmp_path / "data"
    clash = NEW_PCT.replace("id: pct-cnipa-ro-2025-01-01", "id: pct-fix-2023").replace(
        "2025-01-01", "2023-01-01"
    )
    with pytest.raises(ScheduleConflict) as err:
        add_schedule(data, write(tmp_path, clash))
    assert "replaces" in err.value.en
    fix = clash.replace("kind: pct", "kind: pct\nreplaces: pct-cnipa-ro-2023-01-01")
    add_schedule(data, write(tmp_path, fix))
    assert schedule_for("pct", dt.date(2023, 1, 5), data).id == "pct-fix-2023"
    ids = [s.id for s in book(data).schedules]
    assert "pct-cnipa-ro-2023-01-01" not in ids


def test_replacing_an_unknown_schedule_is_refused(tmp_path: Path) -> None:
    text = NEW_PCT.replace("kind: pct", "kind: pct\nreplaces: no-such-schedule")
    with pytest.raises(ScheduleConflict) as err:
        add_schedule(tmp_path / "data", write(tmp_path, text))
    assert "no-such-schedule" in err.value.en


def test_a_broken_file_in_the_data_folder_is_reported_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "fees"
    folder.mkdir(parents=True)
    (folder / "hand-made.yaml").write_text("id: x\n", encoding="utf-8")
    with pytest.raises(ScheduleInvalid) as err:
        ScheduleBook.load(tmp_path / "data")
    assert "hand-made.yaml" in err.value.en


def test_book_rereads_when_files_change(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert schedule_for("pct", dt.date(2025, 6, 1), data).id == "pct-cnipa-ro-2024-01-01"
    add_schedule(data, write(tmp_path, NEW_PCT))
    assert schedule_for("pct", dt.date(2025, 6, 1), data).id == "pct-cnipa-ro-2025-01-01"
