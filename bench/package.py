"""Benchmark: a ~200 MB case package is verified and validated in bounded memory.

Builds a package with one large PDF and a set of large PNG drawings, then validates it in a
fresh process (so the peak RSS belongs to validation alone) a few times and prints the
median time, throughput, peak RSS and tracemalloc peak. Streaming hashing means memory stays
far below the package size.

    python bench/package.py [--mb 200] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

MiB = 1024 * 1024


def big_pdf(path: Path, size: int) -> None:
    """A valid one-page PDF carrying ``size`` bytes in an unreferenced stream object."""
    chunks = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []

    def obj(body: bytes) -> None:
        offsets.append(sum(len(c) for c in chunks))
        chunks.append(body)

    obj(b"1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n")
    obj(b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n")
    obj(b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>> endobj\n")
    obj(b"4 0 obj <</Length 0>> stream\n\nendstream endobj\n")
    with open(path, "wb") as fh:
        for c in chunks:
            fh.write(c)
        position = sum(len(c) for c in chunks)
        offsets.append(position)
        head = f"5 0 obj <</Length {size}>> stream\n".encode()
        fh.write(head)
        left = size
        while left:
            n = min(left, 4 * MiB)
            fh.write(os.urandom(n))
            left -= n
        tail = b"\nendstream endobj\n"
        fh.write(tail)
        xref_at = position + len(head) + size + len(tail)
        fh.write(b"xref\n0 6\n0000000000 65535 f \n")
        for off in offsets:
            fh.write(f"{off:010d} 00000 n \n".encode())
        fh.write(f"trailer <</Size 6/Root 1 0 R>>\nstartxref\n{xref_at}\n%%EOF\n".encode())


def noise_png(path: Path, side: int) -> None:
    from PIL import Image

    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        path, "PNG", compress_level=0
    )


def build(folder: Path, total_mb: int) -> Path:
    from patentdesk.packages import editing

    case = folder / "big.zip"
    editing.new_package("utility", case)
    editing.set_fields(case, ["title=大案卷包基准测试", "inventors.0.name=张三"])
    pngs = 16
    side = 1290  # ~5 MB per uncompressed PNG
    pdf_size = max(total_mb * MiB - pngs * side * side * 3, 10 * MiB)
    big_pdf(folder / "description.pdf", pdf_size)
    editing.add_attachment(case, "description", folder / "description.pdf")
    for i in range(pngs):
        noise_png(folder / f"fig{i + 1}.png", side)
        editing.add_attachment(case, "drawings", folder / f"fig{i + 1}.png")
        (folder / f"fig{i + 1}.png").unlink()
    (folder / "description.pdf").unlink()
    return case


def validate_once(path: Path) -> dict[str, float]:
    """Runs in a fresh process: read (verify every hash) and validate, measuring memory."""
    from patentdesk.packages import ValidationContext, read_package, validate

    tracemalloc.start()
    start = time.perf_counter()
    with read_package(path) as package:
        verified = time.perf_counter() - start
        report = validate(package, ValidationContext())
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": elapsed,
        "verify_seconds": verified,
        "tracemalloc_peak_mib": peak / MiB,
        "peak_rss_mib": rss_kib / 1024,
        "errors": len(report.errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--validate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.validate:
        print(json.dumps(validate_once(args.validate)))
        return
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        started = time.perf_counter()
        case = build(Path(tmp), args.mb)
        size = case.stat().st_size
        print(f"built {size / MiB:.1f} MiB package in {time.perf_counter() - started:.1f} s")
        baseline = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import resource, json, sys; sys.path.insert(0, {str(SRC)!r}); "
                    "import patentdesk.packages, PIL.Image, pypdf; "
                    "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        runs = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--validate", str(case)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs.append(json.loads(out))
        seconds = statistics.median(r["seconds"] for r in runs)
        verify = statistics.median(r["verify_seconds"] for r in runs)
        rss = statistics.median(r["peak_rss_mib"] for r in runs)
        traced = statistics.median(r["tracemalloc_peak_mib"] for r in runs)
        print(f"validation errors: {runs[0]['errors']} (a utility model without claims etc.)")
        print(
            f"median of {args.runs}: {seconds:.2f} s total, {verify:.2f} s hashing, "
            f"{size / MiB / seconds:.0f} MiB/s"
        )
        print(
            f"peak RSS {rss:.0f} MiB (imports alone: {baseline:.0f} MiB, "
            f"validation adds {rss - baseline:.0f} MiB = {(rss - baseline) / (size / MiB):.2f}× "
            f"the package size); tracemalloc peak {traced:.1f} MiB"
        )


if __name__ == "__main__":
    main()
