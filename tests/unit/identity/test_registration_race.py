"""Two registrations of one phone at once: the loser gets «该手机号已注册», never a 500."""

from __future__ import annotations

import threading
import time

import pytest

from patentdesk.db import Database
from patentdesk.identity.errors import PhoneTaken
from patentdesk.identity.service import Context, register_natural_person

PERSON = {"phone": "13812345678", "name": "张三", "id_number": "11010519491231002X"}


def test_the_second_of_two_concurrent_registrations_gets_phone_taken(db: Database, settings):
    ctx = Context(settings=settings)
    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            with db.unit_of_work() as s:
                register_natural_person(s, ctx, password="Another2026pw", **PERSON)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with db.unit_of_work() as s:
        register_natural_person(s, ctx, password="Secret2026pw", **PERSON)
        # The first has inserted but not committed: on PostgreSQL the second's check sees
        # nothing and its insert waits on ours; on SQLite it waits for the write lock.
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)
    racer.join(timeout=30)
    assert not racer.is_alive()
    (error,) = outcome
    with pytest.raises(PhoneTaken):
        raise error if error is not None else AssertionError("registered twice")
