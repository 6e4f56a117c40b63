"""The SMS outbox (the trial gateway) with several servers: in the object store."""

from __future__ import annotations

from pathlib import Path

from patentdesk.config import Settings
from patentdesk.identity.sms import gateway_for, outbox_store, read_outbox


def test_servers_sharing_an_object_store_share_the_outbox(tmp_path: Path, s3_server) -> None:
    url = s3_server.url()
    a = Settings(data=tmp_path / "a", blobs=url)
    b = Settings(data=tmp_path / "b", blobs=url)
    gateway_for(a).send("13800000001", "验证码 123456", "123456")
    gateway_for(a).send("13800000002", "验证码 654321", "654321")
    gateway_for(a).send("13800000001", "验证码 111111", "111111")
    seen = read_outbox(b.data, "13800000001", outbox_store(b))
    assert [m["code"] for m in seen] == ["123456", "111111"]  # in the order sent
    assert not (tmp_path / "a" / "sms-outbox.jsonl").exists()


def test_the_local_default_keeps_its_file(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path)
    assert outbox_store(settings) is None
    gateway_for(settings).send("13800000001", "验证码 123456", "123456")
    assert (tmp_path / "sms-outbox.jsonl").exists()
    assert read_outbox(tmp_path, "13800000001")[0]["code"] == "123456"
