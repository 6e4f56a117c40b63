"""Parallel guesses get no more answers than sequential ones (issue 15, item 18).

Each guess runs in its own thread with its own database session, released together by a
barrier. On PostgreSQL the old check-then-insert let every one of them pass the check, and
``attempts += 1`` lost updates; SQLite's BEGIN IMMEDIATE serialised them all along."""

from __future__ import annotations

import threading
from collections.abc import Callable

from patentdesk.db import Database
from patentdesk.errors import PatentDeskError
from patentdesk.identity.errors import InvalidCredentials, SmsCodeInvalid
from patentdesk.identity.service import (
    MAX_SMS_ATTEMPTS,
    Context,
    password_login,
    register_natural_person,
    reset_password,
    send_sms_code,
)

GUESSES = 16
PERSON = {"phone": "13812345678", "name": "张三", "id_number": "11010519491231002X"}


def _in_parallel(db: Database, attempt: Callable[..., object]) -> list[BaseException | None]:
    barrier = threading.Barrier(GUESSES)
    outcomes: list[BaseException | None] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        outcome: BaseException | None = None
        # As a request does (deps._unit_of_work): the record of a failure is kept.
        s = db.sessionmaker()
        try:
            attempt(s)
            s.commit()
        except PatentDeskError as exc:
            outcome = exc
            s.commit() if exc.commit_anyway else s.rollback()
        except BaseException as exc:
            outcome = exc
            s.rollback()
        finally:
            s.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(GUESSES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def _register(db: Database, ctx: Context) -> None:
    with db.unit_of_work() as s:
        register_natural_person(s, ctx, password="Secret2026pw", **PERSON)


def test_parallel_wrong_passwords_get_no_more_answers_than_the_limit(db: Database, settings):
    ctx = Context(settings=settings, ip="198.51.100.5")
    _register(db, ctx)

    def guess(s: object) -> None:
        password_login(s, ctx, account=PERSON["phone"], password="Wrong12345", client_kind="web")  # type: ignore[arg-type]

    outcomes = _in_parallel(db, guess)
    answered = [o for o in outcomes if isinstance(o, InvalidCredentials)]
    refused = [o for o in outcomes if isinstance(o, PatentDeskError) and o.code == "RATE_LIMITED"]
    assert len(answered) == settings.login_max_failures, outcomes
    assert len(refused) == GUESSES - settings.login_max_failures, outcomes


def test_parallel_wrong_sms_codes_get_no_more_answers_than_the_limit(db: Database, settings):
    ctx = Context(settings=settings, ip="198.51.100.6")
    _register(db, ctx)
    with db.unit_of_work() as s:
        assert send_sms_code(s, ctx, PERSON["phone"], "recover") is not None

    def guess(s: object) -> None:
        reset_password(s, ctx, phone=PERSON["phone"], code="1234567", new_password="New2026pass")  # type: ignore[arg-type]

    outcomes = _in_parallel(db, guess)
    assert all(isinstance(o, SmsCodeInvalid) for o in outcomes), outcomes
    # A guess that was compared with the code says how many tries are left; one refused
    # because the code is used up does not.
    compared = [
        o for o in outcomes if isinstance(o, SmsCodeInvalid) and "attempts_left" in o.details
    ]
    assert len(compared) == MAX_SMS_ATTEMPTS, outcomes
    assert sorted(o.details["attempts_left"] for o in compared) == list(range(MAX_SMS_ATTEMPTS))
