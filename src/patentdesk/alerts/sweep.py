"""The alerts sweep: queues the deadline alerts due today, then sends what is queued.

The server runs it every ``alerts_interval_seconds``; operators run it
with ``patentdesk admin alerts send``. Sending happens here, never in the request that
caused an alert. An alert whose sending fails stays queued and is tried again later
(1, 2, 4 … minutes apart, at most an hour), for up to :data:`MAX_ATTEMPTS` tries; when the
SMTP server cannot be reached nothing is lost, the whole batch waits for the next sweep.

Several servers may sweep at once: each takes an alert by a compare-and-set on its
``claimed_until`` before sending it, so every alert is sent by one of them only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update

from patentdesk.alerts import service
from patentdesk.alerts.mailer import Mailer, parse_smtp_url
from patentdesk.alerts.models import Alert
from patentdesk.config import Settings
from patentdesk.db import Database, rowcount
from patentdesk.errors import PatentDeskError
from patentdesk.identity.service import Context
from patentdesk.identity.sms import gateway_for
from patentdesk.timeutil import beijing_date, now

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 40
CLAIM = dt.timedelta(minutes=5)
BATCH = 500


@dataclass
class SweepReport:
    queued_deadline_alerts: int = 0
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    waiting_for_smtp: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def _due(db: Database, at: dt.datetime, force: bool) -> list[tuple[uuid.UUID, str]]:
    with db.unit_of_work(write=False) as s:
        stmt = select(Alert.id, Alert.channel).where(
            Alert.status == "pending",
            or_(Alert.claimed_until.is_(None), Alert.claimed_until < at),
        )
        if not force:
            stmt = stmt.where(Alert.next_attempt_at <= at)
        rows = s.execute(stmt.order_by(Alert.created_at).limit(BATCH)).all()
        return [(row[0], row[1]) for row in rows]


def _claim(db: Database, alert_id: uuid.UUID, at: dt.datetime) -> Alert | None:
    """Takes the alert for this sender, or None when another sender has it (or sent it)."""
    with db.unit_of_work() as s:
        taken = s.execute(
            update(Alert)
            .where(
                Alert.id == alert_id,
                Alert.status == "pending",
                or_(Alert.claimed_until.is_(None), Alert.claimed_until < at),
            )
            .values(claimed_until=at + CLAIM)
        )
        if rowcount(taken) != 1:
            return None
        alert = s.get(Alert, alert_id)
        if alert is not None:
            s.expunge(alert)
        return alert


def _finish(db: Database, alert_id: uuid.UUID, error: str | None, permanent: bool) -> str:
    with db.unit_of_work() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        alert.attempts += 1
        alert.claimed_until = None
        if error is None:
            alert.status = "sent"
            alert.sent_at = now()
            alert.last_error = None
        else:
            alert.last_error = error[:500]
            if permanent or alert.attempts >= MAX_ATTEMPTS:
                alert.status = "failed"
            else:
                alert.next_attempt_at = now() + backoff(alert.attempts)
        return alert.status


def _release(db: Database, alert_id: uuid.UUID, error: str) -> None:
    """Gives the alert back untried (the server was unreachable): it keeps its attempts."""
    with db.unit_of_work() as s:
        alert = s.get(Alert, alert_id)
        if alert is not None:
            alert.claimed_until = None
            alert.last_error = error[:500]
            alert.next_attempt_at = now() + backoff(alert.attempts + 1)


def _count(report: SweepReport, status: str) -> None:
    if status == "sent":
        report.sent += 1
    elif status == "failed":
        report.failed += 1
    else:
        report.retry_later += 1


def send_queued(db: Database, settings: Settings, *, force: bool = False) -> SweepReport:
    """Sends what is due (``force``: also what waits for its next try)."""
    report = SweepReport()
    at = now()
    due = _due(db, at, force)
    emails = [alert_id for alert_id, channel in due if channel == "email"]
    for alert_id in (a for a, channel in due if channel == "sms"):
        alert = _claim(db, alert_id, at)
        if alert is None:
            continue
        try:
            gateway_for(settings).send(alert.recipient, alert.body)
        except Exception as exc:  # a gateway's failure must not stop the sweep
            log.warning("SMS alert %s not sent: %s", alert_id, exc)
            _count(report, _finish(db, alert_id, f"{type(exc).__name__}: {exc}", False))
        else:
            _count(report, _finish(db, alert_id, None, False))
    if not emails:
        return report
    if not settings.smtp_url:
        report.waiting_for_smtp = len(emails)
        return report
    target = parse_smtp_url(settings.smtp_url)
    mailer = Mailer(target, settings.smtp_from)
    try:
        mailer.__enter__()
    except (OSError, smtplib.SMTPException) as exc:
        problem = f"{target.describe()}: {type(exc).__name__}: {exc}"
        log.warning("SMTP server unreachable, %d e-mail alerts wait: %s", len(emails), problem)
        report.retry_later = len(emails)
        report.errors.append(problem)
        return report
    try:
        for index, alert_id in enumerate(emails):
            alert = _claim(db, alert_id, at)
            if alert is None:
                continue
            try:
                mailer.send(alert.recipient, alert.subject, alert.body, alert.language)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _said in exc.recipients.values()]
                permanent = all(500 <= code < 600 for code in codes)
                _count(report, _finish(db, alert_id, f"recipient refused: {exc}", permanent))
            except smtplib.SMTPResponseException as exc:
                # The server answered this message: 5xx for good, 4xx "try later".
                permanent = 500 <= exc.smtp_code < 600
                said = exc.smtp_error
                reply = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
                _count(report, _finish(db, alert_id, f"{exc.smtp_code} {reply}", permanent))
            except OSError as exc:  # also SMTPServerDisconnected (SMTPException is an OSError)
                # The connection broke: this one and the rest wait for the next sweep.
                _release(db, alert_id, f"{type(exc).__name__}: {exc}")
                report.retry_later += len(emails) - index
                report.errors.append(f"{type(exc).__name__}: {exc}")
                break
            else:
                _count(report, _finish(db, alert_id, None, False))
    finally:
        mailer.__exit__(None, None, None)
    return report


def queue_deadlines(db: Database, settings: Settings, today: dt.date | None = None) -> int:
    with db.unit_of_work() as s:
        return service.queue_deadline_alerts(s, Context(settings), today or beijing_date())


def sweep(db: Database, settings: Settings, *, force: bool = False) -> SweepReport:
    """One pass: deadline alerts due today are queued, then the queue is sent."""
    queued = queue_deadlines(db, settings)
    report = send_queued(db, settings, force=force)
    report.queued_deadline_alerts = queued
    return report


async def run_periodically(db: Database, settings: Settings) -> None:
    """The server's alerts loop; a failed pass is logged and tried again next time."""
    from starlette.concurrency import run_in_threadpool

    while True:
        await asyncio.sleep(settings.alerts_interval_seconds)
        try:
            report = await run_in_threadpool(sweep, db, settings)
        except PatentDeskError as exc:  # e.g. SMTP_URL_INVALID: the operator must fix it
            log.warning("alerts sweep: %s", exc)
        except Exception:
            log.exception("alerts sweep failed")
        else:
            if report.sent or report.failed or report.errors:
                log.info("alerts: %s", report)
