"""``patentdesk fees pay`` and friends as a script runs them (SPEC §10), against a live server."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.factories import auth, write_session
from tests.support.fees import bank_confirms, file_package
from tests.support.inproc import ApiPhone, build_invention, office_token


# The commands are thin over the API, which test_fees_api.py runs on both databases.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_fees_pay_by_the_three_methods(live_server, client, app, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    filed = file_package(client, phone, token, package)
    number = filed["application_number"]
    accepted = client.post(
        f"/api/v1/office/submissions/{filed['submission_id']}/accept",
        headers=auth(office_token(client, app)),
    ).json()
    serial = next(n["serial"] for n in accepted["notices"] if n["code"] == "200701")
    home = tmp_path / "desktop"
    write_session(home, live_server.url, {"token": token, "role": "natural"})
    env = cli_env(home=home, server=live_server.url)

    def fees(*args: str):  # type: ignore[no-untyped-def]
        return run_cli("fees", *args, "--json", env=env)

    # Money in the one bounded format (issue 15): refused clearly, nothing sent or created.
    for bad in ("1E+400000", "1e-1000030", "0", "12.345"):
        r = fees("pay", number, "--method", "online-banking", "--amount", bad)
        assert r.returncode != 0 and r.error["code"] == "FEE_PAYMENT_AMOUNT_INVALID", bad
        assert "两位小数" in r.error["message"]
    r = fees("pay", number, "--method", "online-banking", "--amount", "100")
    assert r.returncode == 0, r.stderr
    assert r.json["status"] == "pending" and r.json["amount"] == 100 and r.json["payment_id"]
    assert r.json["pay_url"].startswith(live_server.url + "/sim-bank/pay/")
    online = r.json

    # Issue 17: the unfinished payment blocks a second one, is shown, and can be cancelled.
    r = fees("pay", number, "--method", "payment-notice", "--notice", serial)
    assert r.returncode != 0 and r.error["code"] == "FEE_PAYMENT_PENDING"
    assert online["payment_id"] in r.error["message"]
    text = run_cli("fees", "show", number, env=env)
    assert text.returncode == 0 and online["payment_id"] in text.stdout
    assert online["pay_url"] in text.stdout and "patentdesk fees cancel" in text.stdout
    r = fees("cancel", number)
    assert r.returncode == 0 and r.json["status"] == "cancelled", r.stderr
    r = fees("cancel", number)
    assert r.returncode != 0 and r.error["code"] == "FEE_PAYMENT_NOT_FOUND"

    r = fees("pay", number, "--method", "payment-notice", "--notice", "2099010100000009")
    assert r.returncode != 0 and r.error["code"] == "PAYMENT_NOTICE_UNKNOWN"
    r = fees("pay", number, "--method", "payment-notice", "--notice", serial)
    assert r.returncode == 0 and r.json["status"] == "pending", r.stderr
    # Cancelled by a prefix of the id `fees show` printed, to pay by deduction instead.
    r = fees("cancel", number, "--payment", r.json["payment_id"][:8])
    assert r.returncode == 0 and r.json["status"] == "cancelled", r.stderr

    # Authorized deduction: the sheet as `fees quote` prints it for the filing date.
    quoted = fees("quote", str(package), "--date", filed["filing_date"])
    assert quoted.returncode == 0, quoted.stderr
    sheet = tmp_path / "sheet.json"
    sheet.write_text(quoted.stdout, "utf-8")
    r = fees("pay", number, "--method", "authorized-deduction", "--sheet", str(sheet))
    assert r.returncode != 0 and r.error["code"] == "FEE_DEDUCTION_NOT_AUTHORIZED"
    r = fees(
        "authorization",
        "add",
        "--account-name",
        "张三",
        "--account-number",
        "6222021234567890",
        "--bank",
        "工商银行",
    )
    assert r.returncode == 0 and r.json["account_number"] == "****7890", r.stderr
    assert r.json["status"] == "pending" and r.json["verify_url"].startswith(live_server.url)
    # Nothing is deducted from an account the bank has not verified (issue 15).
    r2 = fees("pay", number, "--method", "authorized-deduction", "--sheet", str(sheet))
    assert r2.returncode != 0 and r2.error["code"] == "FEE_DEDUCTION_NOT_AUTHORIZED"
    assert bank_confirms(client, r.json["verify_url"], "verify").json()["status"] == "verified"
    wrong = json.loads(quoted.stdout)
    wrong["items"][0]["amount"] += 100
    wrong["total"] += 100
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(wrong), "utf-8")
    r = fees("pay", number, "--method", "authorized-deduction", "--sheet", str(stale))
    assert r.returncode != 0 and r.error["code"] == "FEE_SHEET_MISMATCH"
    assert f"{json.loads(quoted.stdout)['total']:,}" in r.error["message"]
    r = fees(
        "pay", number, "--method", "authorized-deduction", "--sheet", str(tmp_path / "no.json")
    )
    assert r.returncode != 0 and r.error["code"] == "FEE_SHEET_INVALID"
    r = fees("pay", number, "--method", "authorized-deduction", "--sheet", str(sheet))
    assert r.returncode == 0, r.stderr
    assert r.json["status"] == "pending" and r.json["amount"] == json.loads(quoted.stdout)["total"]
    assert bank_confirms(client, r.json["pay_url"]).json()["status"] == "confirmed"

    shown = fees("show", number)
    assert shown.returncode == 0, shown.stderr
    assert shown.json["state"] == "paid" and shown.json["pending"] == 0
    assert [(p["method"], p["status"]) for p in shown.json["payments"]] == [
        ("authorized-deduction", "confirmed"),
        ("payment-notice", "cancelled"),
        ("online-banking", "cancelled"),
    ]
    r = fees("pay", number, "--method", "online-banking")
    assert r.returncode != 0 and r.error["code"] == "FEES_NOTHING_DUE"
    listed = fees("authorization", "list")
    assert listed.returncode == 0 and listed.json[0]["active"] is True
