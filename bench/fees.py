"""Fee sheet speed: schedule loading (cold), a sheet with the cached book, a comparison.

Prints medians in milliseconds and the cold/warm ratio. Run: python bench/fees.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable

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


if __name__ == "__main__":
    main()
