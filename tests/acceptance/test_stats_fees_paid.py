"""Statistics' fees paid (已缴费用) through the API: the confirmed payments of the caller's own
permission domain only, in JSON and CSV; office users get none (both databases)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.cases import add_case, agency_desk
from tests.support.factories import auth
from tests.support.fees import (
    deducted,
    fees_of,
    paid_month,
    paid_online,
    pay,
    verified_authorization,
)
from tests.support.fees import file_package as file
from tests.support.inproc import ApiPhone, build_invention, office_token

ACCOUNT = {"account_name": "张三", "account_number": "6222021234567890", "bank": "工商银行"}


def _fees_paid(client: Any, token: str) -> list[tuple[str, int, str]] | None:
    r = client.get("/api/v1/stats", headers=auth(token))
    assert r.status_code == 200, r.text
    paid = r.json()["fees_paid"]
    return None if paid is None else [(c["key"], c["count"], c["amount"]) for c in paid]


def _csv_fees(client: Any, token: str) -> list[str]:
    r = client.get("/api/v1/stats.csv", params={"lang": "en"}, headers=auth(token))
    assert r.status_code == 200, r.text
    return [x for x in r.content.decode("utf-8-sig").splitlines() if x.startswith("fees_paid,")]


def test_each_domain_sees_only_its_own_fees_paid(client, app, world, db):
    ours, theirs = agency_desk(world, "甲"), agency_desk(world, "乙")
    owed = {"items": [{"code": "application_invention", "amount": 20000}], "total": 20000}
    case = {
        "ours": add_case(db, ours.main_domain, ours.sub_person.user_id, fee_sheet=owed),
        "branch": add_case(db, ours.branch_domain, ours.branch_person.user_id, fee_sheet=owed),
        "theirs": add_case(db, theirs.main_domain, theirs.sub_person.user_id, fee_sheet=owed),
    }
    token = {
        "ours": ours.tokens["sub"],
        "branch": ours.tokens["branch_sub"],
        "theirs": theirs.tokens["sub"],
    }
    # Before any payment: a real zero, not "not available".
    assert _fees_paid(client, token["ours"]) == [("total", 0, "0.00")]

    first = paid_online(client, token["ours"], str(case["ours"].id), "1234.5")
    paid_online(client, token["ours"], str(case["ours"].id), "100")
    paid_online(client, token["ours"], str(case["ours"].id), "50", decision="fail")
    paid_online(client, token["ours"], str(case["ours"].id), "70", decision=None)  # pending
    paid_online(client, token["branch"], str(case["branch"].id), "300")
    paid_online(client, token["theirs"], str(case["theirs"].id), "9999")
    # Another domain cannot pay (nor see) our case's fees: a 404.
    r = pay(client, token["theirs"], str(case["ours"].id), method="online-banking", amount="1")
    assert r.status_code == 404

    month = paid_month(first)
    expected = {
        "ours": [
            ("total", 2, "1334.50"),
            ("method:online-banking", 2, "1334.50"),
            (f"month:{month}", 2, "1334.50"),
        ],
        "branch": [
            ("total", 1, "300.00"),
            ("method:online-banking", 1, "300.00"),
            (f"month:{month}", 1, "300.00"),
        ],
        "theirs": [
            ("total", 1, "9999.00"),
            ("method:online-banking", 1, "9999.00"),
            (f"month:{month}", 1, "9999.00"),
        ],
    }
    for who, figures in expected.items():
        assert _fees_paid(client, token[who]) == figures, who
        lines = _csv_fees(client, token[who])
        assert lines[0] == f"fees_paid,total,Total (confirmed),{figures[0][1]},{figures[0][2]}"
        assert len(lines) == len(figures), who
    # The handler works in the main domain: the same figures as its sub-account.
    assert _fees_paid(client, ours.tokens["handler"]) == expected["ours"]
    # Someone with no payments sees zero; the office does not see a domain's fees at all.
    assert _fees_paid(client, world.token(world.person("路人"))) == [("total", 0, "0.00")]
    office = office_token(client, app)
    assert _fees_paid(client, office) is None
    assert _csv_fees(client, office) == []


def test_fees_paid_by_method_after_a_deduction_and_online_banking(client, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    case_id = file(client, phone, token, build_invention(tmp_path / "case.zip"))["case_id"]
    fees = fees_of(client, token, case_id)
    online = paid_online(client, token, case_id, "12.34")
    verified_authorization(client, token, ACCOUNT)
    # The deduction takes what the sheet's charge still owes: the fees are never paid twice.
    deducted(client, token, case_id, fees["sheet"])
    due = f"{Decimal(str(fees['due'])) - Decimal('12.34'):.2f}"
    total = f"{Decimal(str(fees['due'])):.2f}"
    assert _fees_paid(client, token) == [
        ("total", 2, total),
        ("method:online-banking", 1, "12.34"),
        ("method:authorized-deduction", 1, due),
        (f"month:{paid_month(online)}", 2, total),
    ]
    lines = _csv_fees(client, token)
    assert f"fees_paid,method:authorized-deduction,Authorized deduction,1,{due}" in lines
