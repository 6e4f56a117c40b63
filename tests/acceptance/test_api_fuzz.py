"""The API as its users' tools see it (issue 15, item 22).

Schemathesis reads nothing but the published ``/openapi.json`` and sends the requests it
derives from it to the app in-process (ASGI, no network), once as a main account and once as
an office user. Every operation is exercised through three phases: the schema's examples,
the coverage phase (boundary and just-outside values of every parameter) and random fuzzing.

What must hold for every generated request:

- no server error (``not_a_server_error``);
- answers, error answers included, match their published schema
  (``response_schema_conformance``, ``content_type_conformance``);
- a request the schema calls valid is not refused as malformed (400/422), unless the
  refusal is one of the business rules listed in ``BUSINESS_RULES`` that JSON Schema cannot
  say (a check character, a signature that must verify, a code that must match the SMS).

Runtime is bounded: a few examples per operation and phase, derandomized so a failure
reproduces. ``PATENTDESK_FUZZ_EXAMPLES`` raises the number of random examples for a deeper
run (the default keeps the module near a minute on SQLite).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
)

from tests.support.factories import World, auth
from tests.support.inproc import office_token

EXAMPLES = int(os.environ.get("PATENTDESK_FUZZ_EXAMPLES", "6"))
SEED = 20261205

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "mode": "all"},
        "phases": {"stateful": {"enabled": False}},
    }
)

# Refusals of schema-valid requests that are business rules, not shape: (operation, error
# code, field named in ``details.field`` or None) → why JSON Schema cannot say it. Anything
# else the published schema accepts must not be answered 400 or 422.
BUSINESS_RULES: dict[tuple[str, str, str | None], str] = {
    ("POST /api/v1/identity/register", "INVALID_ID_NUMBER", "id_number"): "check character",
    ("POST /api/v1/identity/register", "SMS_CODE_INVALID", None): "the code sent",
    ("POST /api/v1/auth/password-login", "SMS_CODE_INVALID", None): "the code sent",
    # A name must fit a certificate (64 bytes of UTF-8, 21 Chinese characters) and hold no
    # control, format, private-use or unassigned character (packages/text.py): JSON Schema
    # counts characters, not bytes, and has no Unicode categories.
    ("POST /api/v1/identity/register", "INVALID_NAME", "name"): "fits a certificate",
    ("POST /api/v1/identity/complete-profile", "INVALID_NAME", "name"): "fits a certificate",
    ("POST /api/v1/org/subaccounts", "INVALID_NAME", "name"): "fits a certificate",
    ("POST /api/v1/org/handlers", "INVALID_NAME", "name"): "fits a certificate",
    ("PATCH /api/v1/org/subaccounts/{account_id}", "INVALID_NAME", "display_name"): "a name",
    ("POST /api/v1/orgs", "INVALID_CHARACTER", "name"): "Unicode categories",
    ("POST /api/v1/org/branches", "INVALID_CHARACTER", "name"): "Unicode categories",
    ("PATCH /api/v1/org/branches/{branch_id}", "INVALID_CHARACTER", "name"): "Unicode categories",
    ("POST /api/v1/identity/complete-profile", "INVALID_ID_NUMBER", "id_number"): "check character",
    ("POST /api/v1/identity/password-reset", "SMS_CODE_INVALID", None): "the code sent",
    ("POST /api/v1/auth/password-login/verify", "LOGIN_CHALLENGE_INVALID", None): "a live login",
    ("GET /api/v1/cases", "QUERY_INVALID", "application_number"): "check character",
    ("GET /api/v1/cases", "QUERY_INVALID", "cursor"): "a next_cursor the server issued",
    # The pattern admits 2023-02-30; a calendar is beyond JSON Schema.
    ("GET /api/v1/deadlines", "VALIDATION_FAILED", "after"): "a real calendar day",
    ("PUT /api/v1/me/alerts", "ALERT_SMS_NEEDS_PHONE", "by_sms"): "an account with a phone",
    # email-validator's rules (RFC 5322 syntax, a domain name that can exist) are more than
    # the schema's pattern says.
    ("PUT /api/v1/me/alerts", "ALERT_EMAIL_INVALID", "email"): "an address that can exist",
    ("POST /api/v1/me/alerts/verification", "ALERT_EMAIL_NOT_SET", "email"): "an address set",
    ("GET /api/v1/cases", "QUERY_INVALID", "filed_to"): "not before filed_from",
    ("GET /api/v1/cases", "QUERY_INVALID", "dispatched_to"): "not before dispatched_from",
    ("GET /api/v1/cases", "QUERY_INVALID", "deadline_to"): "not before deadline_from",
    ("POST /api/v1/queries", "QUERY_INVALID", None): "the query string's own grammar",
    ("POST /api/v1/me/client-key", "KEY_INVALID", None): "an ECDSA P-256 public key",
    ("POST /api/v1/signatures/verify", "SIGNATURE_MALFORMED", None): "a CMS structure",
    ("POST /api/v1/org/subaccounts", "NAME_MISMATCH", "name"): "the real name of that phone",
    ("POST /api/v1/org/handlers", "NAME_MISMATCH", "name"): "the real name of that phone",
}


def _refusal(response: Any) -> tuple[str, str | None]:
    try:
        error = response.json()["error"]
        return str(error["code"]), (error.get("details") or {}).get("field")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "", None


@schemathesis.check
def schema_valid_is_accepted(ctx: Any, response: Any, case: Case) -> bool | None:
    """``positive_data_acceptance``, minus the listed business rules."""
    if response.status_code in (400, 422):
        code, field = _refusal(response)
        label = case.operation.label
        if (label, code, field) in BUSINESS_RULES or (label, code, None) in BUSINESS_RULES:
            return None
    positive_data_acceptance(ctx, response, case)
    return None


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    schema_valid_is_accepted,
]


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the fuzzer judges the HTTP contract, which both databases share."""
    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


class Actor:
    """A logged-in caller whose token is renewed when a generated request logs it out."""

    def __init__(self, role: str, world: World, app: Any) -> None:
        self.role = role
        self.world = world
        self.app = app
        if role == "main":
            self.org = world.agency(world.person(), kind="legal")
        self.token = self.login()
        self.requests = 0

    def login(self) -> str:
        if self.role == "main":
            return self.world.main_token(self.org)
        return office_token(self.world.client, self.app)

    def headers(self) -> dict[str, str]:
        return auth(self.token)

    def after(self, case: Case, response: Any) -> None:
        self.requests += 1
        if case.operation.path == "/api/v1/auth/logout" and response.status_code < 300:
            self.token = self.login()


@pytest.fixture
def main_account(world: World, app: Any) -> Actor:
    return Actor("main", world, app)


@pytest.fixture
def office_user(world: World, app: Any) -> Actor:
    return Actor("office", world, app)


def fuzz(app: Any, actor: Actor) -> list[str]:
    """Runs every operation's generated tests; returns one line per failing operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)

    def one_request(case: Case) -> None:
        response = case.call(headers=actor.headers())
        actor.after(case, response)
        case.validate_response(response, checks=CHECKS)

    failures: list[str] = []
    operations = 0
    for result in get_all_tests(
        schema=schema, test_func=one_request, settings=None, given_kwargs=None
    ):
        operation, test = result.ok()
        operations += 1
        try:
            test()
        except BaseException as exc:  # a FailureGroup is a BaseExceptionGroup
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label} ({actor.role}): {exc}")
    # The whole API, not a filtered part of it, and more than a token number of requests.
    assert operations >= 80, operations
    assert actor.requests >= 20 * operations, actor.requests
    return failures


@pytest.mark.slow
def test_fuzz_as_main_account(app: Any, main_account: Actor) -> None:
    failures = fuzz(app, main_account)
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_fuzz_as_office_user(app: Any, office_user: Actor) -> None:
    failures = fuzz(app, office_user)
    assert not failures, "\n\n".join(failures)


# -- what the fuzzer found, pinned as plain regression tests ---------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deadlines?days=463604658589631",
        "/api/v1/deadlines?days=-1",
        "/api/v1/notices?limit=99999999999999999999",
        "/api/v1/office/worklist?limit=0",
        "/api/v1/me/certificates/99999999999999999999999",
    ],
)
def test_out_of_range_numbers_are_refused_not_a_server_error(
    client: Any, main_account: Actor, path: str
) -> None:
    r = client.get(path, headers=main_account.headers())
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "VALIDATION_FAILED"


def test_the_servers_own_refusals_carry_the_error_envelope(client: Any) -> None:
    for r, code in (
        (client.get("/api/v1/no-such-thing"), "NOT_FOUND"),
        (client.delete("/api/v1/health"), "METHOD_NOT_ALLOWED"),
    ):
        assert r.json()["error"]["code"] == code, r.text
        assert r.json()["error"]["message_en"]
        assert "detail" in r.json()  # what scripts read before


def test_the_description_publishes_bounds_and_the_error_envelope(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    days = next(
        p for p in spec["paths"]["/api/v1/deadlines"]["get"]["parameters"] if p["name"] == "days"
    )
    number = next(s for s in days["schema"]["anyOf"] if s["type"] == "integer")
    assert (number["minimum"], number["maximum"]) == (0, 3660)
    register = spec["components"]["schemas"]["RegisterIn"]["properties"]
    assert register["phone"]["pattern"] == "^1[3-9][0-9]{9}$"
    refusal = spec["paths"]["/api/v1/identity/register"]["post"]["responses"]["422"]
    assert refusal["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
