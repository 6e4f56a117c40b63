"""Fees and payments through the HTTP API: who may see and pay, the payment rules, fees due
in the deadline list, PCT records (both databases)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.support.factories import auth, valid_uscc
from tests.support.fees import (
    bank_confirms,
    beijing,
    beijing_clock,
    build_pct,
    deducted,
    fees_of,
    pay,
    verified_authorization,
)
from tests.support.fees import file_package as file
from tests.support.inproc import ApiPhone, build_invention, office_token

ACCOUNT = {"account_name": "某代理机构", "account_number": "6222021234567890", "bank": "工商银行"}


@pytest.fixture
def org_case(client, app, world, tmp_path):
    """An agency whose sub-account filed an invention; tokens of every role."""
    handler = world.person("经办人")
    org = world.agency(handler)
    filer = world.person("子账户")
    sub = world.sub_account(org, filer)
    phone = ApiPhone(world, filer)
    desktop = phone.desktop_login(f"sub:{sub['account_id']}")
    case = file(client, phone, desktop, build_invention(tmp_path / "case.zip"))
    tokens = {
        "handler": org["handler_token"],
        "sub": desktop,
        "main": world.main_token(org),
        "natural": world.token(world.person("路人")),
        "other_handler": world.agency(world.person("别家经办人"))["handler_token"],
        "office": office_token(client, app),
    }
    return {"case": case, "tokens": tokens, "phone": phone}


SAME_DOMAIN = {"handler", "sub", "main"}


@pytest.fixture
def filed(client, world, tmp_path):
    """A natural person (their own domain) who filed an invention."""
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    case = file(client, phone, token, build_invention(tmp_path / "case.zip"))
    return {"case": case, "token": token, "phone": phone}


def test_only_the_cases_domain_sees_and_pays_its_fees(client, org_case):
    case_id, tokens = org_case["case"]["case_id"], org_case["tokens"]
    assert client.get(f"/api/v1/cases/{case_id}/fees").status_code == 401
    for role, token in tokens.items():
        r = client.get(f"/api/v1/cases/{case_id}/fees", headers=auth(token))
        expected = 200 if role in SAME_DOMAIN else (403 if role == "office" else 404)
        assert r.status_code == expected, (role, r.text)
        r = pay(client, token, case_id, method="online-banking", amount="1")
        expected = 201 if role in SAME_DOMAIN else (403 if role == "office" else 404)
        assert r.status_code == expected, (role, r.text)
        if r.status_code == 201:  # one pending payment per case: cancelled, by the same user
            cancel = f"/api/v1/cases/{case_id}/payments/{r.json()['payment_id']}/cancel"
            assert client.post(cancel).status_code == 401
            for other in ("natural", "other_handler", "office"):
                refused = client.post(cancel, headers=auth(tokens[other])).status_code
                assert refused == (403 if other == "office" else 404), other
            r = client.post(cancel, headers=auth(token))
            assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    # Authorised-deduction accounts: every domain user manages its own domain's, nobody else's.
    own = client.post("/api/v1/fees/authorizations", json=ACCOUNT, headers=auth(tokens["sub"]))
    assert own.status_code == 201, own.text
    for role, token in tokens.items():
        listed = client.get("/api/v1/fees/authorizations", headers=auth(token))
        if role == "office":
            assert listed.status_code == 403
            continue
        ids = [a["id"] for a in listed.json()]
        assert (own.json()["id"] in ids) == (role in SAME_DOMAIN), role
        assert all(a["account_number"].startswith("****") for a in listed.json())
    for role in ("natural", "other_handler", "office"):
        r = client.delete(
            f"/api/v1/fees/authorizations/{own.json()['id']}", headers=auth(tokens[role])
        )
        assert r.status_code == (403 if role == "office" else 404), role
    r = client.delete(
        f"/api/v1/fees/authorizations/{own.json()['id']}", headers=auth(tokens["main"])
    )
    assert r.status_code == 200 and r.json()["active"] is False


def test_over_and_under_payment_are_shown_and_fees_due_listed_until_paid(client, app, filed):
    case_id, token = filed["case"]["case_id"], filed["token"]
    fees = fees_of(client, token, case_id)
    due = fees["due"]
    assert due > 0 and fees["state"] == "unpaid" and fees["schedule"]["kind"] == "domestic"
    assert fees["pending_payment"] is None and fees["refund"] is None
    listed = client.get("/api/v1/deadlines", headers=auth(token)).json()
    row = next(r for r in listed if r["kind"] == "fee")
    assert row["case_id"] == case_id and row["outstanding"] == due and not row["overdue"]
    # Under-payment: the bank confirms 100 yuan.
    r = pay(client, token, case_id, method="online-banking", amount="100")
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    assert fees_of(client, token, case_id)["pending"] == 100
    assert bank_confirms(client, r.json()["pay_url"]).json()["status"] == "confirmed"
    fees = fees_of(client, token, case_id)
    assert (fees["state"], fees["paid"], fees["balance"]) == ("underpaid", 100, 100 - due)
    assert fees["outstanding"] == due - 100
    row = next(
        r for r in client.get("/api/v1/deadlines", headers=auth(token)).json() if r["kind"] == "fee"
    )
    assert row["outstanding"] == due - 100
    # Without an amount, online banking pays what is outstanding; a bank that fails pays nothing.
    r = pay(client, token, case_id, method="online-banking")
    assert r.json()["amount"] == due - 100
    assert bank_confirms(client, r.json()["pay_url"], "fail").json()["status"] == "failed"
    assert fees_of(client, token, case_id)["outstanding"] == due - 100
    # More than is owed is refused: the payer is told what is owed.
    r = pay(client, token, case_id, method="online-banking", amount=str(due))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "FEE_PAYMENT_EXCEEDS_OUTSTANDING"
    assert f"尚欠的 {due - 100} 元" in r.json()["error"]["message"]
    for bad in ("0", "-5", "1.234", "abc", "99999999999"):
        r = pay(client, token, case_id, method="online-banking", amount=bad)
        assert r.status_code == 422 and r.json()["error"]["code"] == "FEE_PAYMENT_AMOUNT_INVALID"
    # A retried request with the same idempotency key is the same payment.
    once = pay(client, token, case_id, method="online-banking", amount="5", idempotency_key="K1")
    again = pay(client, token, case_id, method="online-banking", amount="5", idempotency_key="K1")
    assert (once.status_code, again.status_code) == (201, 200)
    assert once.json()["payment_id"] == again.json()["payment_id"]
    r = pay(client, token, case_id, method="cash")
    assert r.status_code == 422 and "online-banking" in r.json()["error"]["message"]

    # Issue 17: a bank payment left unfinished is shown and blocks a second one …
    left = once.json()
    r = pay(client, token, case_id, method="online-banking")
    assert r.status_code == 409 and r.json()["error"]["code"] == "FEE_PAYMENT_PENDING", r.text
    err = r.json()["error"]
    assert left["payment_id"] in err["message"] and left["payment_id"] in err["message_en"]
    assert err["details"]["pending"]["pay_url"] == left["pay_url"]
    assert fees_of(client, token, case_id)["pending_payment"]["payment_id"] == left["payment_id"]
    # … until it is cancelled; then the rest is paid another way.
    cancel = f"/api/v1/cases/{case_id}/payments/{left['payment_id']}/cancel"
    assert client.post(cancel, headers=auth(token)).json()["status"] == "cancelled"
    assert client.post(cancel, headers=auth(token)).status_code == 409
    r = pay(client, token, case_id, method="online-banking")
    assert r.status_code == 201 and r.json()["amount"] == due - 100, r.text
    bank_confirms(client, r.json()["pay_url"])
    fees = fees_of(client, token, case_id)
    assert fees["state"] == "paid" and fees["refund"] is None
    # The cancelled order cannot be paid at the bank any more …
    r = bank_confirms(client, left["pay_url"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "FEE_PAYMENT_NOT_PAYABLE"
    assert fees_of(client, token, case_id)["paid"] == due
    # … and nothing is owed: no payment is taken, with or without an amount.
    for amount in (None, "1"):
        body = {"method": "online-banking", **({"amount": amount} if amount else {})}
        r = pay(client, token, case_id, **body)
        assert r.status_code == 409 and r.json()["error"]["code"] == "FEES_NOTHING_DUE"
    assert not [
        r for r in client.get("/api/v1/deadlines", headers=auth(token)).json() if r["kind"] == "fee"
    ]
    # A bank that reports the withdrawn order paid anyway (the money moved): it counts, and
    # the over-payment is flagged with the refund route.
    from patentdesk.fees.gateway import SimulatedBank

    body, headers = SimulatedBank(app.state.settings).callback(
        left["pay_url"].rsplit("/", 1)[1], 500
    )
    r = client.post("/api/v1/payments/callbacks/simulated", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    fees = fees_of(client, token, case_id)
    assert (fees["state"], fees["overpaid"], fees["balance"]) == ("overpaid", 5, 5)
    refund = fees["refund"]
    assert refund["amount"] == 5 and "退款" in refund["zh"] and "refund" in refund["en"]
    assert "意见陈述书（关于费用）" in refund["zh"] and refund["request_by"] in refund["zh"]
    assert int(refund["request_by"][:4]) == int(refund["paid_on"][:4]) + 3
    statuses = [p["status"] for p in fees["payments"]]
    assert statuses == ["confirmed", "confirmed", "failed", "confirmed"]


def test_a_payment_notice_pays_only_its_own_case(client, app, filed, tmp_path):
    token, phone = filed["token"], filed["phone"]
    first = filed["case"]
    second = file(client, phone, token, build_invention(tmp_path / "2.zip", title="另一种自行车"))
    office = office_token(client, app)
    serials = {}
    for filed in (first, second):
        r = client.post(
            f"/api/v1/office/submissions/{filed['submission_id']}/accept", headers=auth(office)
        )
        serials[filed["case_id"]] = next(
            n["serial"] for n in r.json()["notices"] if n["code"] == "200701"
        )
    for serial in (serials[second["case_id"]], "2099010100000001", ""):
        r = pay(client, token, first["case_id"], method="payment-notice", notice_serial=serial)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "PAYMENT_NOTICE_UNKNOWN"
        assert first["application_number"] in err["message"]
    # A notice that is not a payment notice does not do either.
    acceptance = client.get(
        "/api/v1/notices",
        params={"code": "200101", "application_number": first["application_number"]},
        headers=auth(token),
    ).json()[0]
    r = pay(
        client,
        token,
        first["case_id"],
        method="payment-notice",
        notice_serial=acceptance["serial"],
    )
    assert r.status_code == 422
    r = pay(
        client,
        token,
        first["case_id"],
        method="payment-notice",
        notice_serial=serials[first["case_id"]],
    )
    assert r.status_code == 201, r.text
    due = fees_of(client, token, first["case_id"])["due"]
    assert r.json()["amount"] == due and r.json()["notice_serial"] == serials[first["case_id"]]
    bank_confirms(client, r.json()["pay_url"])
    assert fees_of(client, token, first["case_id"])["state"] == "paid"
    assert fees_of(client, token, second["case_id"])["state"] == "unpaid"
    # An idempotency key belongs to one payment: not to be reused for another case.
    r = pay(
        client, token, second["case_id"], method="online-banking", amount=1, idempotency_key="K"
    )
    assert r.status_code == 201, r.text
    r = pay(client, token, first["case_id"], method="online-banking", amount=1, idempotency_key="K")
    assert r.status_code == 409 and r.json()["error"]["code"] == "FEE_IDEMPOTENCY_KEY_REUSED"
    # The office's own payment notice states the case's fees unless it gives a sheet; a
    # malformed sheet is refused.
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": second["application_number"], "code": "200701"},
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    due = fees_of(client, token, second["case_id"])["due"]
    assert f"合计：{due} 元" in r.json()["text"]
    r = client.post(
        "/api/v1/office/notices",
        json={
            "application_number": second["application_number"],
            "code": "200701",
            "data": {"fee_sheet": {"items": []}},
        },
        headers=auth(office),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "FEE_SHEET_INVALID"


def test_authorized_deduction_needs_an_active_authorisation(client, filed):
    case_id, token = filed["case"]["case_id"], filed["token"]
    sheet = fees_of(client, token, case_id)["sheet"]
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 409 and r.json()["error"]["code"] == "FEE_DEDUCTION_NOT_AUTHORIZED"
    bad = client.post(
        "/api/v1/fees/authorizations",
        json={**ACCOUNT, "account_number": "12-34"},
        headers=auth(token),
    )
    assert bad.status_code == 422 and "account_number" in bad.json()["error"]["message"]
    created = verified_authorization(client, token, ACCOUNT)
    client.delete(f"/api/v1/fees/authorizations/{created['id']}", headers=auth(token))
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 409, "a revoked authorisation deducts nothing"
    verified_authorization(client, token, ACCOUNT)
    r = pay(client, token, case_id, method="authorized-deduction")
    assert r.status_code == 422 and r.json()["error"]["code"] == "FEE_SHEET_INVALID"
    assert deducted(client, token, case_id, sheet)["status"] == "confirmed"
    assert fees_of(client, token, case_id)["state"] == "paid"
    r = pay(client, token, case_id, method="authorized-deduction", sheet=sheet)
    assert r.status_code == 409 and r.json()["error"]["code"] == "FEES_NOTHING_DUE"


def test_a_callback_with_a_bad_signature_changes_nothing(client, app, filed):
    import time_machine

    from patentdesk.fees.gateway import SIGNATURE_HEADER, SimulatedBank

    case_id, token = filed["case"]["case_id"], filed["token"]
    started = pay(client, token, case_id, method="online-banking").json()
    reference = started["pay_url"].rsplit("/", 1)[1]
    bank = SimulatedBank(app.state.settings)
    body, headers = bank.callback(reference, 1)
    url = "/api/v1/payments/callbacks/simulated"
    # A captured message cannot be replayed an hour later.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)):
        r = client.post(url, content=body, headers=headers)
    assert r.status_code == 400 and "too old" in r.json()["error"]["message_en"]
    forged = body.replace(b'"amount_fen":1', b'"amount_fen":999999')
    wrong_key = {SIGNATURE_HEADER: headers[SIGNATURE_HEADER][:-4] + "0000"}
    for sent_body, sent_headers in ((forged, headers), (body, wrong_key), (body, {})):
        r = client.post(url, content=sent_body, headers=sent_headers)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "PAYMENT_CALLBACK_INVALID"
    fees = fees_of(client, token, case_id)
    assert fees["paid"] == 0 and fees["payments"][0]["status"] == "pending"
    # A well-signed callback settles it; the bank's retry of the same message is harmless.
    assert client.post(url, content=body, headers=headers).json()["status"] == "confirmed"
    assert client.post(url, content=body, headers=headers).status_code == 200
    assert fees_of(client, token, case_id)["paid"] == 0.01
    # Another gateway's name, or an unknown order, is not found.
    assert (
        client.post("/api/v1/payments/callbacks/other", content=body, headers=headers).status_code
        == 404
    )
    body2, headers2 = bank.callback("no-such-order", 1)
    assert client.post(url, content=body2, headers=headers2).status_code == 404


@pytest.fixture
def clock():
    with beijing_clock(beijing(2024, 3, 1, 9, 0)) as coordinates:
        yield coordinates


def test_an_unpaid_fee_stays_in_the_deadline_list_after_its_deadline(
    clock, client, world, tmp_path
):
    person = world.person()
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    filed = file(client, phone, token, build_pct(tmp_path / "pct.zip"))
    row = next(
        r for r in client.get("/api/v1/deadlines", headers=auth(token)).json() if r["kind"] == "fee"
    )
    # PCT Rules 14.1(c), 15.3, 16.1(f): one month from receipt of the international application.
    assert row["deadline"] == "2024-04-01" and not row["overdue"]
    clock.move_to(beijing(2024, 5, 6, 9, 0))
    token = ApiPhone(world, person).desktop_login()
    rows = client.get("/api/v1/deadlines", headers=auth(token)).json()
    assert [(r["application_number"], r["overdue"]) for r in rows if r["kind"] == "fee"] == [
        (filed["application_number"], True)
    ]
    assert fees_of(client, token, filed["case_id"])["overdue"] is True
    # The CLI-shaped fields are there for every row.
    assert {"id", "code", "serial", "application_number", "dispatched_at", "deadline"} <= set(
        rows[0]
    )


def test_pct_records_designations_and_national_phase_links(client, world, tmp_path):
    person = world.person()
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    international = file(client, phone, token, build_pct(tmp_path / "pct.zip"))
    case = client.get(f"/api/v1/cases/{international['case_id']}", headers=auth(token)).json()
    assert case["designations"] == ["ALL"] and case["bibliographic"]["all_states_designated"]
    assert case["international_application_number"] == international["application_number"]
    assert case["international_filing_date"] == international["filing_date"]
    from patentdesk.packages.editing import add_attachment, new_package, set_fields
    from tests.support.filing import ABSTRACT, CLAIMS, DESCRIPTION

    entry = tmp_path / "entry.zip"
    new_package("pct-national", entry)
    number = international["application_number"].replace("PCT/CN", "pct/cn/")
    set_fields(
        entry,
        [
            "title=一种折叠式电动自行车",
            f"international_application_number={number}",
            "entry_kind=utility",
            "applicants.0.name=杭州某某科技有限公司",
            f"applicants.0.uscc={valid_uscc()}",
            "applicants.0.address=浙江省杭州市西湖区文三路1号",
            "applicants.0.postal_code=310012",
            "inventors.0.name=张三",
        ],
    )
    for role, text in (("claims", CLAIMS), ("description", DESCRIPTION), ("abstract", ABSTRACT)):
        add_attachment(entry, role, text.encode("utf-8"), filename=f"{role}.txt")
    national = file(client, phone, token, entry)
    assert national["application_number"][4] == "9"  # a PCT utility model entry
    case = client.get(f"/api/v1/cases/{national['case_id']}", headers=auth(token)).json()
    assert case["international_application_number"] == international["application_number"]
    assert case["international_case_id"] == international["case_id"]
    assert case["international_filing_date"] == international["filing_date"]
    fees = fees_of(client, token, national["case_id"])
    assert fees["schedule"]["kind"] == "domestic"
    assert json.dumps(fees["sheet"]["business_type"]) == '"pct-national"'


def test_fee_notices_list_only_fees_actually_due(client, app, world, tmp_path):
    """Issue 17: the payment notice charged the substantive-examination fee although
    examination was not requested; it is due only with the request (实质审查请求书)."""
    from patentdesk.packages.editing import add_related

    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    office = office_token(client, app)
    plain = build_invention(tmp_path / "plain.zip")
    asked = build_invention(tmp_path / "asked.zip", title="一种可折叠的电动滑板车")
    add_related(asked, "substantive_examination")
    codes, texts = {}, {}
    for name, package in (("plain", plain), ("asked", asked)):
        filed = file(client, phone, token, package)
        codes[name] = {
            i["code"] for i in fees_of(client, token, filed["case_id"])["sheet"]["items"]
        }
        r = client.post(
            f"/api/v1/office/submissions/{filed['submission_id']}/accept", headers=auth(office)
        )
        assert r.status_code == 200, r.text
        serial = next(n["serial"] for n in r.json()["notices"] if n["code"] == "200701")
        notice = client.get(
            "/api/v1/notices",
            params={"code": "200701", "application_number": filed["application_number"]},
            headers=auth(token),
        ).json()[0]
        assert notice["serial"] == serial
        texts[name] = client.get(f"/api/v1/notices/{notice['id']}", headers=auth(token)).json()
    assert "examination_invention" not in codes["plain"]
    assert "examination_invention" in codes["asked"]
    assert "实质审查费" not in json.dumps(texts["plain"], ensure_ascii=False)
    assert "实质审查费" in json.dumps(texts["asked"], ensure_ascii=False)
