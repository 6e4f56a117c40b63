"""Housekeeping: deletes what has expired and serves no one any more.

QR codes (login and signing), SMS codes and password-login challenges go a grace period
after they expired; failed-login records go once they no longer count toward the throttle;
uploads nobody has added to for ``upload_ttl_hours`` go with their parts on disk; the
no-scan signing keys of web logins that ended or expired go at once. What
users see as history stays: sessions, no-scan windows, certificates, signature records,
messages and the audit log.

The server runs it every ``housekeeping_interval_seconds`` (0: never) and once when it
starts; operators run it on demand with ``patentdesk admin purge``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from starlette.concurrency import run_in_threadpool

from patentdesk import audit
from patentdesk.config import Settings
from patentdesk.db import Database
from patentdesk.drafts import websign
from patentdesk.filing.uploads import uploads_for
from patentdesk.identity import service as identity
from patentdesk.pki import qr
from patentdesk.timeutil import now

log = logging.getLogger(__name__)


def purge(db: Database, settings: Settings, at: dt.datetime | None = None) -> dict[str, int]:
    """One pass; returns how many of each kind went."""
    at = at or now()
    cutoff = at - dt.timedelta(hours=settings.expired_grace_hours)
    with db.unit_of_work() as s:
        counts = identity.purge_expired(s, settings, cutoff)
        counts["qr_requests"] = qr.purge_expired(s, cutoff)
        # Keys of web logins that ended or expired (no grace: an ended login never signs).
        counts["web_session_keys"] = websign.purge_ended(s, settings.data, at)
        if any(counts.values()):
            audit.record(s, "housekeeping.purge", environment=settings.environment, purged=counts)
    stale = at - dt.timedelta(hours=settings.upload_ttl_hours)
    counts["uploads"] = uploads_for(settings).purge_stale(stale.timestamp())
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
