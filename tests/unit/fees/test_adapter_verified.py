"""The submission's fee sheet comes from the package it already read and verified: the same
input as reading the archive again, without reading the attachments into memory."""

from __future__ import annotations

import io
import os
import tracemalloc

from patentdesk.fees.adapter import fee_input_from_package, fee_input_from_verified
from patentdesk.packages import read_package
from patentdesk.packages.editing import add_attachment
from tests.support.inproc import build_invention


def _png(size: int) -> bytes:
    from PIL import Image

    side = int((size / 3) ** 0.5)
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


def test_the_same_fee_input_as_from_the_archive(tmp_path):
    path = build_invention(tmp_path / "case.zip", extra=("fee_reduction=true",))
    add_attachment(path, "drawings", _png(30_000), filename="fig1.png")
    add_attachment(path, "drawings", _png(30_000), filename="fig2.png")
    with read_package(path) as package:
        assert fee_input_from_verified(package) == fee_input_from_package(path)


def test_a_large_drawing_is_not_read_into_memory(tmp_path):
    path = build_invention(tmp_path / "case.zip")
    drawing = _png(24_000_000)
    add_attachment(path, "drawings", drawing, filename="fig1.png")
    del drawing
    with read_package(path) as package:
        tracemalloc.start()
        try:
            fee_input_from_verified(package)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8_000_000, peak  # the archive path read all 24 MB (and more) at once


def test_many_claims_are_counted_from_the_text_source(tmp_path):
    path = build_invention(tmp_path / "case.zip")
    claims = "".join(
        f"{i}. 根据权利要求{i - 1}所述的电动自行车，其特征在于，还包括部件{i}。\n"
        for i in range(1, 13)
    )
    add_attachment(path, "claims", claims.encode(), filename="claims.txt", replace=True)
    with read_package(path) as package:
        verified = fee_input_from_verified(package)
    assert verified == fee_input_from_package(path)
    assert verified.claims == 12
