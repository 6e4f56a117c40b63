"""The audit chain anchored outside the database (issue 15, item 21): signed checkpoints of
its head, which ``patentdesk admin audit verify`` checks, so that a chain rewritten from an
edited row onward no longer verifies."""

from __future__ import annotations

import json

import sqlalchemy as sa

from patentdesk.audit import AuditEvent, AuditHead, _digest, _fields, verify_chain
from tests.support.cli import cli_env, run_cli

CHECKPOINTS = "audit-checkpoints.jsonl"


def _verify(settings):
    return run_cli(
        "admin",
        "audit",
        "verify",
        "--json",
        env=cli_env(data=settings.data, database_url=settings.database_url, environment="test"),
    )


def _drop_append_only(db) -> None:
    """What someone with the database's owner rights (not the server's files) can do."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")


def _rewrite_from(db, seq: int, **changes) -> None:
    """Edits one event and recomputes every hash after it and the head: the chain alone
    still verifies."""
    _drop_append_only(db)
    with db.unit_of_work() as s:
        events = list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
        prev = None
        for event in events:
            if event.seq == seq:
                for key, value in changes.items():
                    setattr(event, key, value)
            if prev is not None:
                event.prev_hash = prev
            if event.seq >= seq:
                event.hash = _digest(event.prev_hash, _fields(event))
            prev = event.hash
        head = s.get(AuditHead, 1)
        head.last_hash = prev
        s.flush()
        assert verify_chain(s).ok


def _activity(world) -> None:
    for name in ("周一", "周二", "周三"):
        world.web_login(world.person(name))


def test_the_head_is_checkpointed_and_verifies(world, settings, db):
    _activity(world)
    lines = (settings.data / CHECKPOINTS).read_text().splitlines()
    assert len(lines) >= 3
    with db.unit_of_work() as s:
        head = s.get(AuditHead, 1)
        last = json.loads(lines[-1])
    assert last["hash"] == head.last_hash and last["count"] == head.count
    assert last["signature"]  # signed by the office key
    r = _verify(settings)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.json["ok"] is True and r.json["checkpoints"] >= 3


def test_a_rewritten_chain_fails_against_its_checkpoints(world, settings, db):
    _activity(world)
    with db.unit_of_work() as s:
        victim = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "login.success").limit(1)
        ).one()
        seq = victim.seq
    _rewrite_from(db, seq, ip="203.0.113.9")
    r = _verify(settings)
    assert r.returncode == 1, r.stdout + r.stderr
    error = r.error
    assert error["code"] == "AUDIT_CHECKPOINT_MISMATCH"
    assert "rewritten" in error["message_en"] and "改写" in error["message"]
    assert error["details"]["first_bad_seq"] <= seq + 2


def test_a_truncated_chain_fails_against_its_checkpoints(world, settings, db):
    _activity(world)
    _drop_append_only(db)
    with db.unit_of_work() as s:
        events = list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
        keep = events[: len(events) - 2]
        for event in events[len(keep) :]:
            s.delete(event)
        head = s.get(AuditHead, 1)
        head.last_hash, head.count = keep[-1].hash, len(keep)
        s.flush()
        assert verify_chain(s).ok
    r = _verify(settings)
    assert r.returncode == 1 and r.error["code"] == "AUDIT_CHECKPOINT_MISMATCH", r.stderr


def test_a_forged_or_missing_checkpoint_file_fails(world, settings, db):
    _activity(world)
    path = settings.data / CHECKPOINTS
    lines = path.read_text().splitlines()
    forged = json.loads(lines[-1]) | {"hash": "0" * 64}
    path.write_text("\n".join([*lines[:-1], json.dumps(forged)]) + "\n")
    r = _verify(settings)
    assert r.returncode == 1 and r.error["code"] == "AUDIT_CHECKPOINT_INVALID", r.stderr
    path.unlink()
    r = _verify(settings)
    assert r.returncode == 1 and r.error["code"] == "AUDIT_NOT_ANCHORED", r.stderr


def test_a_log_from_before_checkpoints_is_anchored_on_request(world, settings, db):
    _activity(world)
    (settings.data / CHECKPOINTS).unlink()
    env = cli_env(data=settings.data, database_url=settings.database_url, environment="test")
    assert _verify(settings).error["code"] == "AUDIT_NOT_ANCHORED"
    r = run_cli("admin", "audit", "checkpoint", "--json", env=env)
    assert r.returncode == 0 and r.json["written"] is True, r.stderr
    r = _verify(settings)
    assert r.returncode == 0 and r.json["checkpoints"] == 1, r.stderr
