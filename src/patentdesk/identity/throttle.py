"""Attempt throttles (限流): failed logins, lookups of people by phone and SMS codes sent.

Failures are rows of :class:`LoginFailure` (a key and a time), counted in a sliding window.
Checking and recording must be one step: on PostgreSQL parallel guesses each read the count
before any of them wrote, so all of them passed. :func:`take_turns` makes the transactions
that touch the same keys queue (a transaction-scoped advisory lock, released at commit or
rollback); on SQLite every writing transaction already queues (``BEGIN IMMEDIATE``).

Logins are counted per address *and* account, so that a stranger who knows an account (a
main account logs in with its public USCC) locks out only themself: the owner, from an
address that has not failed on the account, still gets in. A larger ceiling per account
stops guessing spread over many addresses: past it, every address that has failed on the
account is refused, while one that has not keeps its chance. An address failing across many
accounts (password spraying) has its own limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.config import Settings
from patentdesk.identity.errors import AttemptsRateLimited
from patentdesk.identity.models import LoginFailure
from patentdesk.timeutil import as_utc, now


def take_turns(db: Db, keys: list[str]) -> None:
    """Makes concurrent transactions that touch any of ``keys`` run one after the other
    from here until they end; keys are taken in one order so two never wait on each other."""
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already serialises writers (see db.py)
    for key in sorted(set(keys)):
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        db.execute(
            select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True)))
        )


@dataclass(frozen=True)
class Count:
    failures: int
    retry_after: int  # seconds until the oldest failure in the window no longer counts


def count(db: Db, key: str, window_seconds: int) -> Count:
    since = now() - dt.timedelta(seconds=window_seconds)
    failures, oldest = db.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at >= since
        )
    ).one()
    retry = window_seconds
    if oldest is not None:
        retry = max(1, int(window_seconds - (now() - as_utc(oldest)).total_seconds()))
    return Count(int(failures or 0), retry)


def record(db: Db, keys: list[str]) -> None:
    for key in dict.fromkeys(keys):
        db.add(LoginFailure(key=key))
    db.flush()


# ---------------------------------------------------------------- logins


@dataclass(frozen=True)
class LoginKeys:
    account: str  # user:<id>, or account:<as typed> when no account matches
    source: str | None  # ip:<address>
    pair: str  # the address against the account

    @property
    def all(self) -> list[str]:
        return [k for k in (self.account, self.source, self.pair) if k]


def login_keys(account_key: str, ip: str | None) -> LoginKeys:
    pair = hashlib.sha256(f"{ip or '-'}|{account_key}".encode()).hexdigest()[:40]
    return LoginKeys(account_key, f"ip:{ip}" if ip else None, f"pair:{pair}")


def login_refusal(db: Db, settings: Settings, keys: LoginKeys) -> tuple[str, int] | None:
    """Why a password attempt is refused without being tried — (``source+account``,
    ``source`` or ``account``, seconds to wait) — or None when it may be tried."""
    window = settings.login_failure_window_seconds
    pair = count(db, keys.pair, window)
    if pair.failures >= settings.login_max_failures:
        return "source+account", pair.retry_after
    if keys.source:
        source = count(db, keys.source, window)
        if source.failures >= settings.login_source_max_failures:
            return "source", source.retry_after
    if pair.failures:
        account = count(db, keys.account, window)
        if account.failures >= settings.login_account_max_failures:
            return "account", account.retry_after
    return None


# ---------------------------------------------------------------- lookups


def lookup_keys(ip: str | None, user_id: uuid.UUID | None = None) -> list[str]:
    """Buckets for answers that tell whether a phone is registered or whose it is."""
    keys = [f"lookup:ip:{ip}"] if ip else []
    if user_id is not None:
        keys.append(f"lookup:user:{user_id}")
    return keys


def refuse_if_probing(
    db: Db, settings: Settings, ip: str | None, keys: list[str], action: str
) -> None:
    """429 once ``keys`` have had their share of revealing answers in the window; the
    refusal is audited. The caller records each revealing answer with :func:`record`."""
    take_turns(db, keys)
    for key in keys:
        seen = count(db, key, settings.lookup_window_seconds)
        if seen.failures >= settings.lookup_max_failures:
            audit.record(
                db,
                "lookup.rate_limited",
                environment=settings.environment,
                ip=ip,
                target=action,
                bucket=key.split(":", 2)[1],
            )
            raise AttemptsRateLimited(details={"retry_after": seen.retry_after})
