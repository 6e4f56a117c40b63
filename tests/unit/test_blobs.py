"""The blob store interface, on both backends: the local folder and a real S3 server."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patentdesk.blobs import (
    BlobStore,
    BlobStoreMisconfigured,
    BlobStoreUnavailable,
    LocalBlobStore,
    S3BlobStore,
    TooLarge,
    blobs_for,
)
from patentdesk.config import Settings
from patentdesk.errors import NotFound
from tests.conftest import BLOB_KINDS


@pytest.fixture(params=BLOB_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return blobs_for(Settings(data=tmp_path / "data"))
    server = request.getfixturevalue("s3_server")
    return blobs_for(Settings(data=tmp_path / "data", blobs=server.url()))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_read_exists_and_dedupe(store: BlobStore) -> None:
    sha, size = store.put_chunks([b"hello ", b"world"])
    assert (sha, size) == (_sha(b"hello world"), 11)
    assert store.exists(sha)
    assert store.read(sha) == b"hello world"
    assert store.put_bytes(b"hello world") == sha  # the same bytes are stored once
    assert [b.sha256 for b in store.list_blobs()] == [sha]


def test_missing_and_malformed_names_are_not_found(store: BlobStore) -> None:
    absent = _sha(b"never stored")
    assert not store.exists(absent)
    with pytest.raises(NotFound):
        store.open(absent)
    with pytest.raises(NotFound):
        store.read("../../etc/passwd")
    assert store.remove(absent) is False


def test_too_large_stores_nothing(store: BlobStore) -> None:
    with pytest.raises(TooLarge):
        store.put_chunks([b"x" * 600, b"y" * 600], max_bytes=1000)
    assert list(store.list_blobs()) == []


def test_writer_says_whether_the_bytes_were_there(store: BlobStore) -> None:
    with store.writer() as w:
        w.write(b"receipt ")
        w.write(b"bytes")
        first = w.keep()
    assert (first.sha256, first.size, first.existed) == (_sha(b"receipt bytes"), 13, False)
    with store.writer() as w:
        w.write(b"receipt bytes")
        again = w.keep()
    assert again == first.__class__(first.sha256, 13, True)
    assert store.read(first.sha256) == b"receipt bytes"
    assert [b.sha256 for b in store.list_blobs()] == [first.sha256]


def test_writer_left_without_keep_leaves_nothing(store: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), store.writer(max_bytes=10) as w:
        w.write(b"half")
        raise RuntimeError("the connection broke")
    with pytest.raises(TooLarge), store.writer(max_bytes=10) as w:
        w.write(b"0123456789abc")
    assert list(store.list_blobs()) == []
    # nor a scratch file in the local folder
    assert [p.name for p in (tmp_path / "data").rglob(".incoming-*")] == []


def test_remove_and_list(store: BlobStore) -> None:
    a = store.put_bytes(b"a")
    b, _ = store.put_file(io.BytesIO(b"bb"))
    listed = {info.sha256: info for info in store.list_blobs()}
    assert set(listed) == {a, b}
    assert listed[b].size == 2
    assert listed[b].modified.tzinfo is not None
    assert abs(listed[b].modified - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert store.remove(a) is True
    assert store.remove(a) is False
    assert not store.exists(a)
    assert [info.sha256 for info in store.list_blobs()] == [b]


def test_open_is_seekable_like_a_file(store: BlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    sha = store.put_bytes(data)
    with store.open(sha) as fh:
        assert fh.seekable()
        fh.seek(-10, io.SEEK_END)
        assert fh.read() == data[-10:]
        fh.seek(5)
        assert fh.read(2 * 1024 * 1024) == data[5 : 5 + 2 * 1024 * 1024]
        assert fh.tell() == 5 + 2 * 1024 * 1024
        fh.seek(100)
        assert fh.read(7) == data[100:107]
    assert b"".join(store.iter_chunks(sha)) == data


def _pattern(total: int) -> Iterator[bytes]:
    block = hashlib.sha256(b"seed").digest() * (1024 * 1024 // 32)
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def test_large_blobs_stream_in_and_out(store: BlobStore) -> None:
    """A 64 MiB package goes in and out without the process holding it in memory."""
    total = 64 * 1024 * 1024
    expected = hashlib.sha256()
    for piece in _pattern(total):
        expected.update(piece)
    tracemalloc.start()
    try:
        sha, size = store.put_chunks(_pattern(total))
        got = hashlib.sha256()
        with store.open(sha) as fh:
            for chunk in iter(lambda: fh.read(1024 * 1024), b""):
                got.update(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (sha, size) == (expected.hexdigest(), total)
    assert got.hexdigest() == sha
    assert peak < 32 * 1024 * 1024, f"peak {peak} bytes: the blob was held in memory"


def test_named_objects(store: BlobStore) -> None:
    assert store.get_object("fees/a.yaml") is None
    store.put_object("fees/a.yaml", b"one")
    store.put_object("fees/a.yaml", b"two")  # replaced
    store.put_object("fees/b.yaml", b"three")
    store.put_object("sms/x.json", b"{}")
    assert store.get_object("fees/a.yaml") == b"two"
    assert store.list_objects("fees/") == ["fees/a.yaml", "fees/b.yaml"]
    assert store.delete_object("fees/a.yaml") is True
    assert store.delete_object("fees/a.yaml") is False
    assert store.list_objects("fees/") == ["fees/b.yaml"]
    assert list(store.list_blobs()) == []  # named objects are not content-addressed blobs
    with pytest.raises(NotFound):
        store.put_object("../escape", b"x")


def test_local_default_reads_existing_data_folders(tmp_path: Path) -> None:
    """The embedded default keeps the layout every data folder already has."""
    data = tmp_path / "data"
    sha = _sha(b"an old receipt")
    old = data / "blobs" / sha[:2] / sha[2:4] / sha
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an old receipt")
    store = blobs_for(Settings(data=data))
    assert isinstance(store, LocalBlobStore)
    assert store.read(sha) == b"an old receipt"
    assert store.put_bytes(b"new") == _sha(b"new")
    assert (data / "blobs" / _sha(b"new")[:2] / _sha(b"new")[2:4] / _sha(b"new")).exists()


def test_setting_chooses_the_backend(tmp_path: Path) -> None:
    s3 = blobs_for(Settings(data=tmp_path, blobs="s3://bucket/some/prefix/"))
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix, s3.describe()) == (
        "bucket",
        "some/prefix",
        "s3://bucket/some/prefix",
    )
    for bad in ("/srv/blobs", "s3://", "http://bucket/x", "s3://bucket/x?y=1"):
        with pytest.raises(BlobStoreMisconfigured) as caught:
            blobs_for(Settings(data=tmp_path, blobs=bad))
        assert "PATENTDESK_BLOBS" in caught.value.message_en


def test_unreachable_store_is_a_clear_503() -> None:
    import boto3
    from botocore.config import Config

    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client: Any = boto3.session.Session().client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    store = S3BlobStore("bucket", "p", client=client)
    with pytest.raises(BlobStoreUnavailable) as caught:
        store.exists(_sha(b"x"))
    assert caught.value.status == 503
    with pytest.raises(BlobStoreUnavailable):
        store.put_bytes(b"x")


def test_create_object_keeps_the_first_value(store: BlobStore) -> None:
    assert store.create_object("payments/k", b"first") == b"first"
    assert store.create_object("payments/k", b"second") == b"first"
    assert store.get_object("payments/k") == b"first"
