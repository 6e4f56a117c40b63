"""A QR login writes nothing that must survive a power cut (losing it means scanning
again): its commits do not wait for the disk, and a pending poll takes no write lock."""

from __future__ import annotations

from sqlalchemy import event

from patentdesk.db import READ_ONLY, RELAXED
from tests.support.inproc import ApiPhone


def test_a_qr_login_makes_no_durable_commit(client, app, world):
    phone = ApiPhone(world, world.person("张三"))
    commits: list[str] = []
    statements: list[str] = []

    def on_commit(conn) -> None:
        options = conn.get_execution_options()
        commits.append(
            "relaxed" if options.get(RELAXED) else "reader" if options.get(READ_ONLY) else "durable"
        )

    def on_statement(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = app.state.db.engine
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        r = client.post("/api/v1/auth/qr", json={"client_kind": "desktop"})
        start = r.json()
        pending = client.post(
            f"/api/v1/auth/qr/{start['request_id']}/poll", json={"secret": start["secret"]}
        )
        assert pending.json()["status"] == "pending"
        assert phone.approve_login(start["payload"]).status_code == 200
        r = client.post(
            f"/api/v1/auth/qr/{start['request_id']}/poll", json={"secret": start["secret"]}
        )
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_statement)
    # the code, the pending poll (a reader), the approval, then the collecting poll: a reader
    # that finds the code approved and the writer that collects (a reader that wrote would
    # pass the writers' queue, or on SQLite fail at the lock and do its work twice)
    assert commits == ["relaxed", "reader", "relaxed", "reader", "relaxed"], commits
    assert "durable" not in commits
    # (30 before: the approval read the request back after its conditional UPDATE and
    # touched the device every time)
    work = [s for s in statements if not s.startswith(("BEGIN", "PRAGMA", "SET"))]
    print(len(work), "statements")
    assert len(work) <= 27


def test_relaxed_commits_anchor_the_audit_chain_too(client, app, world, settings):
    """The login's audit events are committed by relaxed writers and a reader that wrote:
    each of those commits writes its signed checkpoint as a durable writer's does."""
    import json

    from patentdesk.audit import AuditHead
    from patentdesk.audit_anchor import checkpoint_path

    phone = ApiPhone(world, world.person("张三"))
    phone.desktop_login()
    with app.state.db.unit_of_work(write=False) as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        count = head.count
    lines = checkpoint_path(settings).read_text().splitlines()
    assert json.loads(lines[-1])["count"] == count
