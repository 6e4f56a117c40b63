"""Every request authenticates, so what that costs the database is paid on every request:
one statement finds the session with its user, organisation, sub-account and domain (it was
one statement for each; a handler's session also reads its handler row) — and a moved or
disabled sub-account still loses its access at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from patentdesk.identity.service import authenticate
from tests.support.factories import auth


def _authenticate(app: Any, token: str) -> tuple[Any, list[str]]:
    """The actor behind ``token`` and the statements it took to find it."""
    seen: list[str] = []

    def on_statement(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if not statement.startswith(("BEGIN", "PRAGMA", "SET")):
            seen.append(statement)

    engine = app.state.db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        with app.state.db.unit_of_work(write=False) as s:
            actor = authenticate(s, token)
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
    return actor, seen


@pytest.mark.seed("A6")
def test_authentication_is_one_statement_in_every_role(client, app, world):
    person, member = world.person("孙一"), world.person("孙二")
    org = world.agency(person)
    account = world.sub_account(org, member)
    tokens = {
        "natural": world.token(person),
        "main": world.main_token(org),
        "sub": world.sub_token(member, account["account_id"]),
        "handler": org["handler_token"],
    }
    for role, token in tokens.items():
        actor, statements = _authenticate(app, token)
        assert actor is not None and actor.role == role, role
        assert len(statements) == (2 if role == "handler" else 1), (role, statements)

    # still checked on every request: a disabled sub-account is out at once
    r = client.patch(
        f"/api/v1/org/subaccounts/{account['account_id']}",
        json={"disabled": True},
        headers=auth(org["handler_token"]),
    )
    assert r.status_code == 200, r.text
    actor, _ = _authenticate(app, tokens["sub"])
    assert actor is None
