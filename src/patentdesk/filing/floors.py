"""Restore never re-issues a number.

A database restored from a backup has counters as they were then: without help, the next
filing would take a number already given, after the backup, to someone else (and printed
on their receipt). Two things lift the counters:

- the numbers the restored database itself shows (every case's application or PCT number):
  the counters continue above the highest of each series, whatever state the counters
  table was in;
- numbers the object store shows: every submission that takes a number also writes a tiny
  named object ``numbers/<series>/<number>`` (:func:`mark_issued`, after its transaction
  commits, so the write transaction stays short). Blobs are content-addressed, so receipts
  cannot be found by name; these markers can, and they outlive the database they were
  written beside: a restored older database still sees every number issued after it;
- numbers the operator knows were issued after the backup (the newest receipts users hold,
  the office's own records): ``patentdesk admin numbers floor NUMBER…`` or
  ``admin restore --number-floor NUMBER``; the counters continue above those too.

Counters only ever go up here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.errors import PatentDeskError, ValidationFailed
from patentdesk.filing.models import Case, NumberCounter
from patentdesk.packages import numbers
from patentdesk.timeutil import iso, now

if TYPE_CHECKING:
    from patentdesk.blobs import BlobStore

log = logging.getLogger(__name__)

MARKERS = "numbers/"


def series_of(number: str) -> tuple[str, int]:
    """``(series, serial)`` of an application number or a PCT number; a clear error else."""
    text = (number or "").strip()
    if text.upper().startswith("PCT"):
        pct = numbers.parse_pct_number(text)
        return f"PCT-{pct.office}-{pct.year}", pct.serial
    parsed = numbers.parse_application_number(text, allow_without_check=True)
    if parsed.format != "new":
        raise ValidationFailed(
            "只能为新格式（12 位）申请号设置下限：{n}",
            "A floor takes a new-format (12-digit) application number: {n}",
            n=text,
        )
    return f"{parsed.year}-{parsed.type_digit}", parsed.serial


def marker_name(number: str) -> str:
    """``numbers/<series>/<number>``; a PCT number's slashes become underscores."""
    series, _ = series_of(number)
    return f"{MARKERS}{series}/{number.replace('/', '_')}"


def mark_issued(store: BlobStore, number: str) -> None:
    """Records in the object store that ``number`` was issued. Called after the filing
    committed: a failure here loses no filing, only this marker (the database and the
    operator's floors still count), so it is logged, not raised — and for the same reason it
    does not wait for the disk."""
    try:
        store.put_object(
            marker_name(number),
            json.dumps({"number": number, "at": iso(now())}).encode(),
            durable=False,
        )
    except (PatentDeskError, OSError):
        log.exception("number %s: the object-store marker could not be written", number)


def stored_numbers(store: BlobStore) -> list[str]:
    """Every number the object store's markers show (names only: one listing, no reads)."""
    found = []
    for name in store.list_objects(MARKERS):
        parts = name.split("/")
        if len(parts) != 3:
            continue
        number = parts[2].replace("_", "/")
        try:
            if series_of(number)[0] == parts[1]:
                found.append(number)
        except ValidationFailed:
            log.warning("ignored object %s: not a number marker", name)
    return found


def keep_markers(store: BlobStore, seen: Iterable[str]) -> list[str]:
    """Writes back the markers of ``seen`` that ``store`` lacks (a local data folder
    replaced by an older one); returns every number the store now shows."""
    present = stored_numbers(store)
    for number in sorted(set(seen) - set(present)):
        mark_issued(store, number)
    return sorted({*present, *seen})


def _lift(db: Db, series: str, above: int) -> dict[str, Any] | None:
    """Makes the series continue at ``above + 1`` at least; the change, or None."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.execute(
        insert(NumberCounter)
        .values(series=series, next_serial=1)
        .on_conflict_do_nothing(index_elements=["series"])
    )
    counter = db.execute(
        select(NumberCounter).where(NumberCounter.series == series).with_for_update()
    ).scalar_one()
    if counter.next_serial > above:
        return None
    before = counter.next_serial
    counter.next_serial = above + 1
    db.flush()
    return {"series": series, "next_serial_before": before, "next_serial": above + 1}


def raise_floors(
    db: Db, given: list[str], *, environment: str, stored: Iterable[str] = ()
) -> dict[str, Any]:
    """Lifts every series above the numbers the database shows, the ``given`` ones and the
    ``stored`` ones (the object store's markers). Each change names its ``source``
    (``operator``, ``database`` or ``object_store``) and the ``number`` it continues above;
    ``object_store`` lists the highest number per series the object store showed."""
    highest: dict[str, tuple[int, str, str]] = {}
    in_store: dict[str, tuple[int, str]] = {}

    def seen(number: str, source: str) -> None:
        series, serial = series_of(number)
        if serial > highest.get(series, (0, "", ""))[0]:
            highest[series] = (serial, source, number)

    for number in given:
        seen(number, "operator")
    for number in stored:
        series, serial = series_of(number)
        if serial > in_store.get(series, (0, ""))[0]:
            in_store[series] = (serial, number)
    for (number,) in db.execute(select(Case.application_number)):
        if number:
            try:
                seen(number, "database")
            except ValidationFailed:
                continue  # old-format numbers belong to no counter
    for _serial, number in in_store.values():
        seen(number, "object_store")
    changes = []
    for series, (serial, source, number) in sorted(highest.items()):
        change = _lift(db, series, serial)
        if change is not None:
            changes.append({**change, "source": source, "above": number})
    if changes:
        audit.record(db, "numbers.floor_raised", environment=environment, changes=changes)
    counters = {
        c.series: c.next_serial
        for c in db.scalars(select(NumberCounter).order_by(NumberCounter.series))
    }
    return {
        "raised": changes,
        "counters": counters,
        "object_store": {series: number for series, (_s, number) in sorted(in_store.items())},
    }
