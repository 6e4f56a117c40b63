"""Money parsing in constant time: hostile amounts cost what ordinary ones do.

Before the bounded format (issue 15), «1E+400000» built a 400,002-digit integer: 19 s of
CPU per request. Prints the median microseconds to parse ordinary amounts, to refuse small malformed ones
(«abc», «1.234») and to refuse hostile ones, and the ratio hostile / small malformed: close
to 1 (both are the cost of raising one error), never thousands.
Run: python bench/fees_amounts.py
"""

from __future__ import annotations

import contextlib
import statistics
import time
from decimal import Decimal

from patentdesk.fees.amounts import AmountFormatError, parse_fen

ORDINARY = ["960", "960.50", 960, 12.5, Decimal("9620.00")]
MALFORMED = ["abc", "1.234", "0", "-5", "1,000"]
HOSTILE = [
    "1E+400000",
    "1E+999999999",
    "1e-1000030",
    "9" * 4000,
    "NaN",
    10**4000,
    Decimal("1E+400000"),
    1e300,
]


def median_us(values: list[object], rounds: int = 2000) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for value in values:
            with contextlib.suppress(AmountFormatError):
                parse_fen(value)
        times.append((time.perf_counter() - start) / len(values))
    return statistics.median(times) * 1e6


def main() -> None:
    ordinary, malformed = median_us(ORDINARY), median_us(MALFORMED)
    hostile = median_us(HOSTILE)
    print(f"parse ordinary amount      {ordinary:8.2f} µs (median)")
    print(f"refuse malformed amount    {malformed:8.2f} µs (median)")
    print(f"refuse hostile amount      {hostile:8.2f} µs (median)")
    print(f"ratio hostile/malformed    {hostile / malformed:8.2f}")


if __name__ == "__main__":
    main()
