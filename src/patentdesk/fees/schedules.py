"""Fee schedules as data: loading, validation, choice by date, and adding one.

Schedules come from the folder bundled with the code, the database (where an operator adds
one with ``patentdesk admin fees add FILE``: every server of the installation shares it),
and ``<data>/fees/`` on the server (``PATENTDESK_DATA``; where ``admin fees add`` put them
before, still read, and still the place for an offline machine with no database). A file
there whose id is also in the database is ignored: the shared one wins.

The schedule of a kind in force on a date is the one with the latest ``effective_from`` not
after that date, the date being a calendar date in Beijing: a schedule effective
2023-01-01 applies from 2023-01-01 00:00 Beijing time (2022-12-31 16:00 UTC).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from patentdesk.fees.errors import ScheduleConflict, ScheduleInvalid, ScheduleNotFound
from patentdesk.fees.models import FeeScheduleRecord
from patentdesk.fees.schemas import Schedule, ScheduleKind
from patentdesk.timeutil import beijing_date, now

BUNDLED_DIR = Path(__file__).with_name("schedules")
KIND_ZH = {"domestic": "国内专利", "pct": "PCT国际申请"}
SUFFIXES = (".yaml", ".yml")
# libyaml's safe loader when present: same rules, about ten times faster than pure Python.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LoadedSchedule:
    schedule: Schedule
    path: Path  # for the database: ``database:<id>``, which names it in messages
    origin: str  # "bundled", "data" or "database"


def data_fees_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "fees"


def _problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "").removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_schedule(text: str, file: str = "<text>") -> Schedule:
    """Validates the text of a schedule file; raises :class:`ScheduleInvalid` naming the problem."""
    try:
        data: Any = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行 / line {mark.line + 1}: " if mark else ""
        raise ScheduleInvalid(file=file, problems=f"{where}YAML {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise ScheduleInvalid(file=file, problems="not a YAML mapping (id, kind, items …)")
    try:
        return Schedule.model_validate(data)
    except ValidationError as exc:
        raise ScheduleInvalid(file=file, problems=_problems(exc)) from None


def read_schedule(path: Path) -> Schedule:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleInvalid(file=str(path), problems=type(exc).__name__) from None
    return parse_schedule(text, str(path))


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


class ScheduleBook:
    """All schedules known to this process, checked for conflicts."""

    def __init__(self, loaded: list[LoadedSchedule]) -> None:
        replaced = {ls.schedule.replaces for ls in loaded if ls.schedule.replaces}
        by_id: dict[str, LoadedSchedule] = {}
        for ls in loaded:
            other = by_id.get(ls.schedule.id)
            if other is not None:
                raise ScheduleConflict(
                    reason_zh=f"标识 {ls.schedule.id} 重复（{other.path}、{ls.path}）",
                    reason_en=f"id {ls.schedule.id} used twice ({other.path}, {ls.path})",
                )
            by_id[ls.schedule.id] = ls
        for target in replaced:
            if target not in by_id:
                raise ScheduleConflict(
                    reason_zh=f"要替换的收费标准 {target} 不存在",
                    reason_en=f"schedule {target} to be replaced does not exist",
                )
        self.entries = sorted(
            (ls for ls in loaded if ls.schedule.id not in replaced),
            key=lambda ls: (ls.schedule.kind, ls.schedule.effective_from),
        )
        seen: dict[tuple[str, dt.date], LoadedSchedule] = {}
        for ls in self.entries:
            key = (ls.schedule.kind, ls.schedule.effective_from)
            if key in seen:
                first = seen[key].schedule.id
                raise ScheduleConflict(
                    reason_zh=f"{first} 与 {ls.schedule.id} 同日（{key[1]}）生效；"
                    "若为更正，请在新文件中写 replaces",
                    reason_en=f"{first} and {ls.schedule.id} take effect on the same day "
                    f"({key[1]}); to correct one, name it in `replaces`",
                )
            seen[key] = ls

    @classmethod
    def load(cls, data_dir: Path | None = None, db: Db | None = None) -> ScheduleBook:
        return cls(_load_all(data_dir, db))

    @property
    def schedules(self) -> list[Schedule]:
        return [ls.schedule for ls in self.entries]

    def get(self, schedule_id: str) -> LoadedSchedule | None:
        return next((ls for ls in self.entries if ls.schedule.id == schedule_id), None)

    def for_date(self, kind: ScheduleKind, on: dt.date) -> Schedule:
        current: Schedule | None = None
        for schedule in self.schedules:
            if schedule.kind == kind and schedule.effective_from <= on:
                current = schedule  # entries are sorted by date: the last one wins
        if current is None:
            raise ScheduleNotFound(date=on.isoformat(), kind=kind, kind_zh=KIND_ZH[kind])
        return current

    def successor(self, schedule: Schedule) -> Schedule | None:
        """The schedule of the same kind that supersedes ``schedule``, if any is known."""
        later = [
            s
            for s in self.schedules
            if s.kind == schedule.kind and s.effective_from > schedule.effective_from
        ]
        return min(later, key=lambda s: s.effective_from) if later else None


def _database_entries(db: Db) -> list[LoadedSchedule]:
    rows = db.execute(
        select(FeeScheduleRecord.id, FeeScheduleRecord.text).order_by(FeeScheduleRecord.id)
    )
    entries = []
    for schedule_id, text in rows:
        where = f"database:{schedule_id}"
        entries.append(LoadedSchedule(parse_schedule(text, where), Path(where), "database"))
    return entries


def _load_all(data_dir: Path | None, db: Db | None = None) -> list[LoadedSchedule]:
    loaded = [LoadedSchedule(read_schedule(p), p, "bundled") for p in _files(BUNDLED_DIR)]
    shared = _database_entries(db) if db is not None else []
    if data_dir is not None:
        in_database = {ls.schedule.id for ls in shared}
        for p in _files(data_fees_dir(data_dir)):
            entry = LoadedSchedule(read_schedule(p), p, "data")
            if entry.schedule.id not in in_database:
                loaded.append(entry)
    return loaded + shared


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    result = []
    for p in _files(folder):
        st = p.stat()
        result.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(result)


def _database_fingerprint(db: Db) -> tuple[tuple[str, str], ...]:
    """(id, sha256) of every shared schedule: one small query tells that another server
    added or replaced one (the table holds a handful of rows)."""
    rows = db.execute(
        select(FeeScheduleRecord.id, FeeScheduleRecord.sha256).order_by(FeeScheduleRecord.id)
    )
    return tuple((schedule_id, sha) for schedule_id, sha in rows)


def _database_key(db: Db) -> str:
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return str(engine.url)


_books: dict[tuple[str | None, str | None], tuple[tuple[Any, ...], ScheduleBook]] = {}
_books_lock = threading.Lock()


def book(data_dir: Path | None = None, db: Db | None = None) -> ScheduleBook:
    """The schedules of the bundled folder, ``data_dir/fees`` and the database ``db`` reads,
    re-read when a file or a row changes (on this server or another)."""
    stamp = (
        _fingerprint(BUNDLED_DIR),
        _fingerprint(data_fees_dir(data_dir)) if data_dir else (),
        _database_fingerprint(db) if db is not None else None,
    )
    key = (str(data_dir) if data_dir else None, _database_key(db) if db else None)
    with _books_lock:
        cached = _books.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    fresh = ScheduleBook(_load_all(data_dir, db))
    with _books_lock:
        if len(_books) >= 16:  # tests make many data folders; a server has one
            _books.clear()
        _books[key] = (stamp, fresh)
    return fresh


def default_data_dir() -> Path | None:
    """``PATENTDESK_DATA`` when set: a server machine's operator-added schedules."""
    value = os.environ.get("PATENTDESK_DATA")
    return Path(value) if value else None


def as_beijing_date(on: dt.date | dt.datetime | None) -> dt.date:
    """A date is taken as a Beijing calendar date; an instant is converted to one."""
    if on is None:
        return beijing_date()
    if isinstance(on, dt.datetime):
        return beijing_date(on)
    return on


def schedule_for(
    kind: ScheduleKind,
    on: dt.date | dt.datetime | None = None,
    data_dir: Path | None = None,
    db: Db | None = None,
) -> Schedule:
    """The schedule of ``kind`` in force on ``on`` (a Beijing date or an instant; default now)."""
    return book(data_dir, db).for_date(kind, as_beijing_date(on))


def _check_addition(
    loaded: list[LoadedSchedule], schedule: Schedule, target: Path, origin: str, *, replace: bool
) -> LoadedSchedule | None:
    """Refuses a schedule whose id is taken (a bundled one always; an operator's one unless
    ``replace``), or that would clash with the others; answers the one it replaces."""
    existing = next((ls for ls in loaded if ls.schedule.id == schedule.id), None)
    replaceable = existing is not None and existing.origin != "bundled"
    if existing is not None and not (replace and replaceable):
        raise ScheduleConflict(
            reason_zh=f"标识 {schedule.id} 已存在（{existing.origin}）",
            reason_en=f"id {schedule.id} already exists ({existing.origin})"
            + ("; use --replace to overwrite it" if replaceable else ""),
        )
    # Check the schedules as they would be after the addition, with the same rules as
    # loading: same-day clashes, a `replaces` naming an unknown schedule.
    after = [ls for ls in loaded if ls.schedule.id != schedule.id and ls.path != target]
    ScheduleBook([*after, LoadedSchedule(schedule, target, origin)])
    return existing


def add_shared_schedule(
    db: Db, data_dir: Path | None, file: Path, *, replace: bool = False
) -> tuple[Schedule, bool]:
    """Validates ``file`` and stores it in the database, where every server finds it (the
    text as given, comments kept); answers the schedule and whether it replaced one.

    The same refusals as :func:`add_schedule`, checked against the bundled schedules, the
    database's and the ``data_dir/fees`` files of this server.
    """
    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleInvalid(file=str(file), problems=type(exc).__name__) from None
    schedule = parse_schedule(text, str(file))
    where = Path(f"database:{schedule.id}")
    existing = _check_addition(
        _load_all(data_dir, db), schedule, where, "database", replace=replace
    )
    row = db.get(FeeScheduleRecord, schedule.id)
    if row is None:
        row = FeeScheduleRecord(id=schedule.id)
        db.add(row)
    row.kind = schedule.kind
    row.effective_from = schedule.effective_from
    row.text = text
    row.sha256 = hashlib.sha256(text.encode()).hexdigest()
    row.added_at = now()
    try:
        db.flush()
    except IntegrityError:  # another server added the same id meanwhile
        raise ScheduleConflict(
            reason_zh=f"标识 {schedule.id} 已存在（database）",
            reason_en=f"id {schedule.id} already exists (database)",
        ) from None
    return schedule, existing is not None


def add_schedule(data_dir: Path, file: Path, *, replace: bool = False) -> Schedule:
    """Validates ``file`` and copies it into ``data_dir/fees`` as ``<id>.yaml`` (a machine of
    its own; servers share schedules through :func:`add_shared_schedule`).

    Refused with a clear error when the file is not a valid schedule, when its id is taken,
    or when another schedule of its kind takes effect the same day (unless the new file
    names that one in ``replaces``). ``replace=True`` overwrites an operator-added schedule
    of the same id (never a bundled one: correct those with ``replaces``).
    """
    file = Path(file)
    schedule = read_schedule(file)
    folder = data_fees_dir(data_dir)
    target = folder / f"{schedule.id}.yaml"
    existing = _check_addition(_load_all(data_dir), schedule, target, "data", replace=replace)
    folder.mkdir(parents=True, exist_ok=True)
    # Copy the operator's bytes (comments included) atomically: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(file, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if existing is not None and existing.path != target:
        existing.path.unlink(missing_ok=True)  # the replaced file had another name
    return schedule
