"""Text of a PDF through poppler's pdftotext, as a reader (or a screen reader) gets it."""

import shutil
import subprocess

import pytest


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def page_count(data: bytes) -> int:
    return data.count(b"/Type /Page\n")
