"""Benchmark: the examiner-style checks on a long application's text (issue 16).

Builds a ~300-page description (numbered paragraphs, figure mentions) and a claims text of
N claims (dependents, multiple-dependent claims, «所述X»), plus two hostile texts (a long run
of digits after «权利要求», a claim full of «所述»), and prints the median time and the
tracemalloc peak of the claims and description analyses. Nothing is asserted: figures only.

    python bench/text_checks.py [--pages 300] [--claims 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from patentdesk.packages.claims import analyse as analyse_claims
from patentdesk.packages.description import analyse as analyse_description

SECTIONS = ("技术领域", "背景技术", "发明内容", "附图说明", "具体实施方式")
CHARS_PER_PAGE = 1500  # a CNIPA A4 page of Chinese text


def description(pages: int) -> str:
    lines = ["一种折叠式电动自行车"]
    number = 0
    target = pages * CHARS_PER_PAGE
    size = 0
    section = 0
    while size < target:
        if number % max(1, (target // 150) // len(SECTIONS)) == 0 and section < len(SECTIONS):
            lines.append(SECTIONS[section])
            section += 1
        number += 1
        text = (
            f"[{number % 10000:04d}] 如图{number % 40 + 1}所示，车架(1)的中部设有折叠机构(2)，"
            "所述折叠机构包括铰链、锁止件和复位弹簧，锁止件在展开状态下将车架锁定。" * 2
        )
        lines.append(text)
        size += len(text)
    return "\n".join(lines)


def claims(n: int) -> str:
    out = ["1. 一种折叠式电动自行车，包括车架(1)和折叠机构(2)，所述折叠机构位于车架中部。"]
    for i in range(2, n + 1):
        ref = f"权利要求{i - 2}或{i - 1}" if i % 10 == 0 else f"权利要求{max(1, i - 3)}"
        out.append(f"{i}. 根据{ref}所述的电动自行车，其特征在于，所述折叠机构包括铰链{i}。")
    return "\n".join(out)


def measure(label: str, fn: Callable[[], object], runs: int, chars: int) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median = statistics.median(times)
    print(
        f"{label:<34} {chars / 1000:>8.0f} k chars  median {median * 1000:>8.1f} ms  "
        f"{chars / median / 1e6:>6.2f} M chars/s  peak {peak / 1e6:>6.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    desc = description(args.pages)
    text = claims(args.claims)
    digits = "1. 一种车。\n2. 根据权利要求" + "1、" * 100_000 + "所述的车。\n"
    said = "1. 一种车，" + "所述甲乙丙丁戊己庚辛壬癸，" * 20_000 + "\n"
    distinct = "1. 一种车，" + "".join(
        f"所述{chr(0x4E00 + i % 20000)}{chr(0x4E00 + (i * 7) % 20000)}，" for i in range(20_000)
    )
    long_run = "1. 一种车，所述" + "甲" * 200_000 + "\n"
    print(f"description: {args.pages} pages; claims: {args.claims}; runs: {args.runs}")
    measure("description analysis", lambda: analyse_description(desc), args.runs, len(desc))
    measure("claims analysis", lambda: analyse_claims(text), args.runs, len(text))
    measure("hostile: 100k claim numbers", lambda: analyse_claims(digits), 1, len(digits))
    measure("hostile: 20k «所述» in one claim", lambda: analyse_claims(said), 1, len(said))
    measure("hostile: 20k distinct «所述X»", lambda: analyse_claims(distinct), 1, len(distinct))
    measure("hostile: «所述» + 200k characters", lambda: analyse_claims(long_run), 1, len(long_run))


if __name__ == "__main__":
    main()
