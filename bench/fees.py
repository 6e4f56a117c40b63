"""Fee sheet speed: schedule loading (cold), a sheet with the cached book, a comparison,
and a sheet as a server computes it (the cached book checked against the fingerprint of
the shared schedules in a SQLite database: one small query).

Prints medians in milliseconds and the ratios. Run: python bench/fees.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from patentdesk.fees import FeeInput, ScheduleBook, calculate, compare_sheet


def median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    invention = FeeInput(
        business_type="invention",
        claims=25,
        pages=350,
        priority_claims=2,
        reduction_requested=True,
        qualifying_applicants=1,
    )
    pct = FeeInput(business_type="pct", sheets=40)
    old = calculate(pct, dt.date(2022, 12, 31))
    new = calculate(pct, dt.date(2023, 1, 5))
    cold = median_ms(ScheduleBook.load, 20)
    warm = median_ms(lambda: calculate(invention, dt.date(2024, 5, 6)), 500)
    compare = median_ms(lambda: compare_sheet(old, new), 500)
    print(f"load all schedules (cold)  median {cold:8.3f} ms")
    print(f"calculate invention sheet  median {warm:8.3f} ms")
    print(f"compare PCT sheets         median {compare:8.3f} ms")
    print(f"cold load / sheet ratio    {cold / warm:8.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        from patentdesk.db import Database, migrate

        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        database = Database(url)
        try:
            with database.unit_of_work(write=False) as db:
                shared = median_ms(
                    lambda: calculate(invention, dt.date(2024, 5, 6), db=db),
                    500,
                )
        finally:
            database.dispose()
    print(f"sheet, shared schedules    median {shared:8.3f} ms")
    print(f"shared / bundled-only      {shared / warm:8.2f}x")


if __name__ == "__main__":
    main()
