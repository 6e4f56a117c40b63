"""Restore never re-issues a number.

A database restored from a backup has counters as they were then: without help, the next
filing would take a number already given, after the backup, to someone else (and printed
on their receipt). Two things lift the counters:

- the numbers the restored database itself shows (every case's application or PCT number):
  the counters continue above the highest of each series, whatever state the counters
  table was in;
- numbers the operator knows were issued after the backup (the newest receipts users hold,
  the office's own records): ``patentdesk admin numbers floor NUMBER…`` or
  ``admin restore --number-floor NUMBER``; the counters continue above those too.

Counters only ever go up here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.errors import ValidationFailed
from patentdesk.filing.models import Case, NumberCounter
from patentdesk.packages import numbers


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


def raise_floors(db: Db, given: list[str], *, environment: str) -> dict[str, Any]:
    """Lifts every series above the numbers the database shows and the ``given`` ones."""
    highest: dict[str, tuple[int, str]] = {}

    def seen(number: str, source: str) -> None:
        series, serial = series_of(number)
        if serial > highest.get(series, (0, ""))[0]:
            highest[series] = (serial, source)

    for number in given:
        seen(number, "operator")
    for (number,) in db.execute(select(Case.application_number)):
        if number:
            try:
                seen(number, "database")
            except ValidationFailed:
                continue  # old-format numbers belong to no counter
    changes = []
    for series, (serial, source) in sorted(highest.items()):
        change = _lift(db, series, serial)
        if change is not None:
            changes.append({**change, "source": source})
    if changes:
        audit.record(db, "numbers.floor_raised", environment=environment, changes=changes)
    counters = {
        c.series: c.next_serial
        for c in db.scalars(select(NumberCounter).order_by(NumberCounter.series))
    }
    return {"raised": changes, "counters": counters}
