"""Fee tests: PCT packages, filing them in-process, frozen Beijing clocks, paying."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from patentdesk.packages.editing import add_attachment, new_package, set_fields
from patentdesk.timeutil import BEIJING
from tests.support.factories import auth, valid_uscc
from tests.support.filing import ABSTRACT, CLAIMS, DESCRIPTION
from tests.support.inproc import submit


def build_pct(
    path: Path, *, title: str = "一种折叠式电动自行车", extra: tuple[str, ...] = ()
) -> Path:
    """A PCT international application (RO/CN) as the client builds it."""
    new_package("pct", path)
    set_fields(
        path,
        [
            f"title={title}",
            "applicants.0.name=杭州某某科技有限公司",
            f"applicants.0.uscc={valid_uscc()}",
            "applicants.0.address=浙江省杭州市西湖区文三路1号",
            "applicants.0.postal_code=310012",
            "inventors.0.name=张三",
            *extra,
        ],
    )
    for role, text in (("claims", CLAIMS), ("description", DESCRIPTION), ("abstract", ABSTRACT)):
        add_attachment(path, role, text.encode("utf-8"), filename=f"{role}.txt")
    return path


def file_package(client: Any, phone: Any, token: str, package: Path) -> dict[str, Any]:
    """Signs and submits; returns the submission result plus the case's id."""
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    out = dict(r.json())
    case = client.get(f"/api/v1/cases/by-number/{out['application_number']}", headers=auth(token))
    assert case.status_code == 200, case.text
    out["case_id"] = case.json()["id"]
    return out


def beijing(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)  # type: ignore[misc]


@contextmanager
def beijing_clock(start: dt.datetime) -> Iterator[Any]:
    """The whole test's clock (the server's included) from ``start``, ticking.

    Enter it before the app fixture is made (request it as the first fixture) so that the
    CA and every certificate are valid at those dates; ``move_to`` jumps forward (sessions
    expire after a jump of days: log in again).
    """
    import time_machine

    traveller = time_machine.travel(start, tick=True)
    coordinates = traveller.start()
    try:
        yield coordinates
    finally:
        traveller.stop()


def pay(client: Any, token: str, case_id: str, **body: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/payments", json=body, headers=auth(token))


def bank_confirms(client: Any, pay_url: str, decision: str = "pay") -> Any:
    """The payer confirms at the simulated bank, which calls the server back (signed)."""
    path = pay_url.split("://", 1)[-1].split("/", 1)[1]
    return client.post(
        f"/{path}", data={"decision": decision}, headers={"Accept": "application/json"}
    )


def fees_of(client: Any, token: str, case_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/cases/{case_id}/fees", headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def paid_online(
    client: Any, token: str, case_id: str, amount: str, decision: str | None = "pay"
) -> dict[str, Any]:
    """An online-banking payment of ``amount`` yuan, paid (or failed, ``decision="fail"``) at
    the simulated bank, or left pending (``decision=None``); returns the payment."""
    r = pay(client, token, case_id, method="online-banking", amount=amount)
    assert r.status_code == 201, r.text
    if decision is None:
        return dict(r.json())
    settled = bank_confirms(client, r.json()["pay_url"], decision)
    assert settled.status_code == 200, settled.text
    return dict(settled.json())


def paid_month(payment: dict[str, Any]) -> str:
    """The Beijing month a confirmed payment counts in (the statistics' ``month:`` key)."""
    confirmed = dt.datetime.fromisoformat(payment["confirmed_at"])
    return f"{confirmed.astimezone(BEIJING):%Y-%m}"


ACCOUNT = {"account_name": "某代理机构", "account_number": "6222021234567890", "bank": "工商银行"}


def verified_authorization(
    client: Any, token: str, account: dict[str, str] | None = None
) -> dict[str, Any]:
    """An authorised-deduction account the simulated bank verified (its signed callback)."""
    r = client.post("/api/v1/fees/authorizations", json=account or ACCOUNT, headers=auth(token))
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    verified = bank_confirms(client, r.json()["verify_url"], "verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified", verified.text
    return {**r.json(), "status": "verified", "active": True, "verify_url": None}


def deducted(client: Any, token: str, case_id: str, sheet: Any) -> dict[str, Any]:
    """An authorized deduction by ``sheet``, which the simulated bank then makes."""
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    done = bank_confirms(client, r.json()["pay_url"])
    assert done.status_code == 200 and done.json()["status"] == "confirmed", done.text
    return {**r.json(), **done.json()}
