"""The object store's record of issued numbers (``numbers/<series>/<number>``), which a
restore of an older database reads to continue above them."""

from __future__ import annotations

from pathlib import Path

import pytest

from patentdesk.blobs import BlobStoreUnavailable, LocalBlobStore
from patentdesk.filing.floors import keep_markers, mark_issued, marker_name, stored_numbers


def test_application_and_pct_numbers_round_trip(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    assert marker_name("202610012345.1") == "numbers/2026-1/202610012345.1"
    assert marker_name("PCT/CN2026/000123") == "numbers/PCT-CN-2026/PCT_CN2026_000123"
    for number in ("202610012345.1", "PCT/CN2026/000123", "202620000007.1"):
        mark_issued(store, number)
    assert stored_numbers(store) == ["202610012345.1", "202620000007.1", "PCT/CN2026/000123"]


def test_foreign_or_mismatched_objects_are_ignored(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_object("numbers/2026-1/not-a-number", b"")
    store.put_object("numbers/2026-2/202610012345.1", b"")  # filed under the wrong series
    store.put_object("numbers/readme", b"")
    store.put_object("uploads/x/meta.json", b"")
    assert stored_numbers(store) == []


def test_a_store_failure_never_fails_the_filing(tmp_path: Path, monkeypatch) -> None:
    store = LocalBlobStore(tmp_path / "blobs")

    def down(name: str, data: bytes, *, durable: bool = True) -> None:
        raise BlobStoreUnavailable()

    monkeypatch.setattr(store, "put_object", down)
    mark_issued(store, "202610012345.1")  # logged, not raised: the filing is committed


def test_markers_of_a_replaced_folder_are_written_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    mark_issued(store, "202610000001.9")
    assert keep_markers(store, ["202610000002.3"]) == ["202610000001.9", "202610000002.3"]
    assert stored_numbers(store) == ["202610000001.9", "202610000002.3"]


@pytest.mark.parametrize("number", ["not a number", "02112345.4", "200410012345.X"])
def test_only_new_format_numbers_get_markers(number: str) -> None:
    from patentdesk.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        marker_name(number)
