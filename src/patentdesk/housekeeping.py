"""Housekeeping: deletes what has expired and serves no one any more.

QR codes (login and signing), SMS codes and password-login challenges go a grace period
after they expired; failed-login records go once they no longer count toward the throttle;
uploads nobody has added to for ``upload_ttl_hours`` go with their parts on disk. What
users see as history stays: sessions, no-scan windows, certificates, signature records,
messages and the audit log.

The server runs it every ``housekeeping_interval_seconds`` (0: never) and once when it
starts; operators run it on demand with ``patentdesk admin purge``. On a cluster only one
server runs a pass at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from starlette.concurrency import run_in_threadpool

from patentdesk import audit
from patentdesk.cluster import cluster_lock
from patentdesk.config import Settings
from patentdesk.db import Database
from patentdesk.filing.uploads import Uploads
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
        if any(counts.values()):
            audit.record(s, "housekeeping.purge", environment=settings.environment, purged=counts)
    stale = at - dt.timedelta(hours=settings.upload_ttl_hours)
    counts["uploads"] = Uploads(settings.data, settings.max_upload_bytes).purge_stale(
        stale.timestamp()
    )
    return counts


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
