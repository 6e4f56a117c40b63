"""Serial allocation: application numbers, PCT numbers and notice dispatch serials.

A counter row per series, advanced by one statement (insert the series or add one to it,
returning the value) that locks the row for the rest of the transaction on PostgreSQL; on
SQLite the writing transaction holds the database's write lock. Two workers can never take
the same serial; the unique constraint on the number is the last line of defence.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as Db

from patentdesk.filing.models import NumberCounter


def next_serial(db: Db, series: str, start: int = 1) -> int:
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One round trip: the first of a series inserts ``start + 1`` (``start`` is taken), any
    # later one adds one to the row it finds.
    advance = (
        insert(NumberCounter)
        .values(series=series, next_serial=start + 1)
        .on_conflict_do_update(
            index_elements=["series"], set_={"next_serial": NumberCounter.next_serial + 1}
        )
        .returning(NumberCounter.next_serial)
    )
    following: int = db.execute(advance).scalar_one()
    return following - 1
