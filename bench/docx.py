"""Benchmark: a 300-page description written in Word is converted and validated.

Builds a description DOCX with python-docx (the five sections, ~2,400 paragraphs of Chinese
text, a table and a formula picture every 100 paragraphs) that renders to about 300 A4
pages, then in a fresh process (so the peak RSS is the conversion's own) adds it to a case
package (archive checks, python-docx reading, the PDF rendering, text, structure, the package
rewrite) and validates the package. Prints the median time of each step, the rendered page
count, the peak RSS and the tracemalloc peak.

    python bench/docx.py [--paragraphs 2400] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file is called docx.py: keep its folder off the path so ``import docx`` is python-docx.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
SRC = HERE.parents[0] / "src"
sys.path.insert(0, str(SRC))

MiB = 1024 * 1024
SENTENCE = "本发明的折叠式电动自行车包括车架、电池、电机和折叠锁，车架通过铰链可折叠，折叠后体积减小约一半，便于携带和存放。"


def formula_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (360, 80), "white")
    ImageDraw.Draw(img).text((10, 30), "F = k * x + m * a", fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def build(path: Path, paragraphs: int) -> None:
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    doc.add_paragraph("一种折叠式电动自行车")
    sections = ["技术领域", "背景技术", "发明内容", "附图说明", "具体实施方式"]
    per_section = paragraphs // len(sections)
    picture = formula_png()
    n = 0
    for heading in sections:
        doc.add_paragraph(heading)
        for _ in range(per_section):
            n += 1
            p = doc.add_paragraph(f"第{n}段：" + SENTENCE * 3)
            if n % 100 == 0:
                p.add_run("锁紧力满足：").add_picture(io.BytesIO(picture), width=Inches(2.5))
                table = doc.add_table(rows=3, cols=3)
                for r in range(3):
                    for c in range(3):
                        table.cell(r, c).text = f"参数{r}{c}"
    doc.save(str(path))


def convert_once(docx_path: Path, folder: Path) -> dict[str, float]:
    """In a fresh process: add the DOCX to a new package, then validate the package."""
    from pypdf import PdfReader

    from patentdesk.packages import ValidationContext, read_package, validate
    from patentdesk.packages.editing import add_attachment, new_package

    case = folder / f"case-{time.perf_counter_ns()}.zip"
    new_package("invention", case)
    tracemalloc.start()
    start = time.perf_counter()
    add_attachment(case, "description", docx_path)
    converted = time.perf_counter() - start
    with read_package(case) as package:
        report = validate(package, ValidationContext())
        pdf = package.read_bytes(f"attachments/description/{docx_path.stem}.pdf")
    total = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    case.unlink()
    return {
        "convert_seconds": converted,
        "validate_seconds": total - converted,
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "tracemalloc_peak_mib": peak / MiB,
        "peak_rss_mib": rss,
        "findings": len(report.errors) + len(report.warnings),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=2400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--convert", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.convert:
        print(json.dumps(convert_once(args.convert, args.convert.parent)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "description.docx"
        started = time.perf_counter()
        build(source, args.paragraphs)
        print(
            f"built {source.stat().st_size / MiB:.1f} MiB DOCX ({args.paragraphs} paragraphs) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        baseline = float(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import resource, sys; sys.path.insert(0, {str(SRC)!r}); "
                    "import patentdesk.packages.editing, docx, reportlab, pypdf, PIL.Image; "
                    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=tmp,
            ).stdout
        )
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--convert", str(source)],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=tmp,
                ).stdout
            )
            for _ in range(args.runs)
        ]
        convert = statistics.median(r["convert_seconds"] for r in runs)
        check = statistics.median(r["validate_seconds"] for r in runs)
        rss = statistics.median(r["peak_rss_mib"] for r in runs)
        traced = statistics.median(r["tracemalloc_peak_mib"] for r in runs)
        pages = runs[0]["pages"]
        print(f"rendered {pages} pages; findings: {runs[0]['findings']} (no claims etc.)")
        print(
            f"median of {args.runs}: convert {convert:.2f} s ({convert / pages * 1000:.0f} ms "
            f"per page), validate {check:.2f} s"
        )
        print(
            f"peak RSS {rss:.0f} MiB (imports alone: {baseline:.0f} MiB, conversion adds "
            f"{rss - baseline:.0f} MiB); tracemalloc peak {traced:.1f} MiB"
        )


if __name__ == "__main__":
    main()
