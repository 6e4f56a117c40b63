"""Housekeeping: deletes what has expired and serves no one any more.

QR codes (login and signing), SMS codes and password-login challenges go a grace period
after they expired; failed-login records go once they no longer count toward the throttle;
uploads nobody has added to for ``upload_ttl_hours`` go with their parts on disk; the
no-scan signing keys of web logins that ended or expired go at once; blobs no row refers to
(crash leftovers, refused submissions, abandoned uploads) go after
``orphan_blob_grace_hours``, never one that a row names. What
users see as history stays: sessions, no-scan windows, certificates, signature records,
messages and the audit log.

The server runs it every ``housekeeping_interval_seconds`` (0: never) and once when it
starts; operators run it on demand with ``patentdesk admin purge``. On a cluster only one
server runs a pass at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from patentdesk import audit
from patentdesk.blobs import LocalBlobStore, blobs_for
from patentdesk.cluster import cluster_lock
from patentdesk.config import Settings
from patentdesk.db import Database
from patentdesk.drafts import websign
from patentdesk.filing.uploads import uploads_for
from patentdesk.identity import service as identity
from patentdesk.pki import qr
from patentdesk.timeutil import now

log = logging.getLogger(__name__)


def purge(db: Database, settings: Settings, at: dt.datetime | None = None) -> dict[str, int]:
    """One pass; returns how many of each kind went.

    One server of a cluster runs it at a time (a PostgreSQL advisory lock; on SQLite a
    file lock): a server that finds another one at it skips the pass (``{"skipped": 1}``)
    rather than wait and then redo the same work.
    """
    with cluster_lock(settings.sqlalchemy_url, "housekeeping", wait=False) as got:
        if not got:
            log.info("housekeeping: another server is running it; skipped")
            return {"skipped": 1}
        return _purge(db, settings, at)


def _purge(db: Database, settings: Settings, at: dt.datetime | None) -> dict[str, int]:
    at = at or now()
    cutoff = at - dt.timedelta(hours=settings.expired_grace_hours)
    with db.unit_of_work() as s:
        counts = identity.purge_expired(s, settings, cutoff)
        counts["qr_requests"] = qr.purge_expired(s, cutoff)
        # Keys of web logins that ended or expired (no grace: an ended login never signs).
        counts["web_session_keys"] = websign.purge_ended(s, settings, at)
        if any(counts.values()):
            audit.record(s, "housekeeping.purge", environment=settings.environment, purged=counts)
    counts["orphan_blobs"] = purge_orphan_blobs(
        db, settings, at - dt.timedelta(hours=settings.orphan_blob_grace_hours)
    )
    stale = at - dt.timedelta(hours=settings.upload_ttl_hours)
    counts["uploads"] = uploads_for(settings).purge_stale(stale.timestamp())
    return counts


def referenced_blobs(db: Database) -> set[str]:
    """Every blob a row names: each ``*sha256`` column of every table. A new column that
    names a blob must keep that suffix, or housekeeping would take its blob for an orphan
    (tests/acceptance/test_housekeeping.py checks the columns it finds)."""
    from patentdesk.db import Base
    from patentdesk.models import load_all_models

    load_all_models()
    found: set[str] = set()
    with db.unit_of_work(write=False) as s:
        for column in blob_columns(Base.metadata):
            found.update(v for v in s.scalars(select(column).where(column.isnot(None))) if v)
    return found


def blob_columns(metadata: Any) -> list[Any]:
    return [c for t in metadata.sorted_tables for c in t.columns if c.name.endswith("sha256")]


def purge_orphan_blobs(db: Database, settings: Settings, cutoff: dt.datetime) -> int:
    """Removes blobs older than ``cutoff`` that no row refers to, from whichever store holds
    them (the data folder or the object store), and partial writes a crash left behind in
    the data folder (``.incoming-*``). The grace period covers a blob stored just before the
    row that will name it commits; storing the same bytes again renews a blob's time, and in
    the data folder its time is read again right before it goes."""
    store = blobs_for(settings)
    referenced = referenced_blobs(db)
    limit = cutoff.timestamp()
    removed = 0
    for blob in store.list_blobs():
        if blob.sha256 in referenced or blob.modified.timestamp() >= limit:
            continue
        if isinstance(store, LocalBlobStore):
            try:
                if store.path(blob.sha256).stat().st_mtime >= limit:
                    continue
            except FileNotFoundError:
                continue
        if store.remove(blob.sha256):
            removed += 1
    root = settings.blob_dir
    if root.is_dir():
        for path in root.rglob(".incoming-*"):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
    return removed


async def run_periodically(db: Database, settings: Settings) -> None:
    """The server's background loop. A failed pass is logged and tried again next time:
    housekeeping must never take the server down."""
    while True:
        await asyncio.sleep(settings.housekeeping_interval_seconds)
        try:
            counts = await run_in_threadpool(purge, db, settings)
        except Exception:
            log.exception("housekeeping failed")
        else:
            log.info("housekeeping: %s", counts)
