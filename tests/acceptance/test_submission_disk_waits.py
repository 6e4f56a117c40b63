"""A submission waits for the disk twice (issue 13): once for its package, once for the
commit of its filing. Every other write it makes is either part of that commit or may be
lost in a power cut without losing anything (the number marker repeats the database)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import event

from patentdesk.db import READ_ONLY, RELAXED
from tests.support.inproc import ApiPhone, build_invention, submit


def test_a_submission_makes_one_durable_write_and_one_durable_commit(
    client, app, world, tmp_path, monkeypatch
):
    phone = ApiPhone(world, world.person("张三"))
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)

    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    durable: list[str] = []

    def on_commit(conn) -> None:
        options = conn.get_execution_options()
        if not (options.get(RELAXED) or options.get(READ_ONLY)):
            durable.append("commit")

    engine = app.state.db.engine
    monkeypatch.setattr(os, "fsync", fsync)
    event.listen(engine, "commit", on_commit)
    try:
        r = submit(client, token, package)
    finally:
        event.remove(engine, "commit", on_commit)
    assert r.status_code == 201, r.text
    sha = hashlib.sha256(package.read_bytes()).hexdigest()
    # the package, under its content name: its folder needs no fsync of its own
    assert [Path(p).name for p in synced] == [sha], synced
    assert durable == ["commit"], durable
