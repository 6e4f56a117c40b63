"""Serial allocation: application numbers, PCT numbers and notice dispatch serials.

A counter row per series is locked for the rest of the transaction (SELECT … FOR UPDATE on
PostgreSQL; on SQLite every transaction holds the write lock from BEGIN IMMEDIATE), so two
workers can never take the same serial; the unique constraint on the number is the last
line of defence.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as Db

from patentdesk.filing.models import NumberCounter


def next_serial(db: Db, series: str, start: int = 1) -> int:
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Creating the first row of a series must not race either: insert-if-absent, then lock.
    db.execute(
        insert(NumberCounter)
        .values(series=series, next_serial=start)
        .on_conflict_do_nothing(index_elements=["series"])
    )
    counter = db.execute(
        select(NumberCounter).where(NumberCounter.series == series).with_for_update()
    ).scalar_one()
    value = counter.next_serial
    counter.next_serial = value + 1
    db.flush()
    return value
