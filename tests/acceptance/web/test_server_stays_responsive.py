"""A form posted while SQLite's write lock is taken waits for the lock without stopping
the server: other requests are answered meanwhile.

Before page handlers ran in the thread pool, the login form's handler waited for the lock
on the event loop, and the whole server stopped answering until the 30 s busy timeout.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import pytest

from tests.support.factories import PASSWORD


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_server_answers_while_a_login_waits_for_the_write_lock(live_server, world, db_url):
    person = world.person()
    web = httpx.Client(base_url=live_server.url, timeout=60)
    web.get("/login")  # the CSRF cookie
    csrf = web.cookies["pd_csrf"]

    holder = sqlite3.connect(db_url.split("///", 1)[1], timeout=30)
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    answers: dict[str, int] = {}

    def post_login() -> None:
        r = web.post(
            "/login",
            data={"csrf": csrf, "account": person.phone, "password": PASSWORD},
            follow_redirects=False,
        )
        answers["login"] = r.status_code

    login = threading.Thread(target=post_login)
    try:
        login.start()
        time.sleep(0.5)  # gives the login time to reach the lock (not a measurement)
        with httpx.Client(base_url=live_server.url, timeout=10) as other:
            assert other.get("/api/v1/health").status_code == 200
            assert other.get("/login").status_code == 200
        assert "login" not in answers  # the login still waits: the lock is still held
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    login.join(timeout=60)
    assert answers["login"] == 200  # the SMS step follows once the lock is free
    web.close()
