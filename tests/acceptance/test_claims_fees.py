"""The real claim count reaches the fee sheet and the payment notice at submission (issue 16,
SPEC §6): a filed application with 12 claims is charged the excess-claims fee for two."""

from __future__ import annotations

import json

import pytest

from patentdesk.packages.editing import add_attachment, remove_entry
from tests.support.factories import auth
from tests.support.fees import fees_of
from tests.support.fees import file_package as file
from tests.support.inproc import ApiPhone, build_invention, office_token

# Twelve claims, one of them numbered out of sequence: the office charges for every claim
# filed, so the count is 12 (counting «1, 2, 3 … while in sequence» charged 4).
TWELVE = "".join(
    f"{n}. 根据权利要求1所述的电动自行车，其特征在于，所述车架为第{i}种。\n"
    for i, n in enumerate([2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13], start=2)
)
CLAIMS = "1. 一种折叠式电动自行车，包括车架。\n" + TWELVE


@pytest.mark.seed("E1")
def test_twelve_claims_charge_the_excess_in_the_sheet_and_the_notice(client, app, world, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip")
    remove_entry(package, "claims")
    # Twelve consecutive claims: a complete, valid application.
    good = "1. 一种折叠式电动自行车，包括车架。\n" + "".join(
        f"{n}. 根据权利要求1所述的电动自行车，其特征在于，所述车架为第{n}种。\n"
        for n in range(2, 13)
    )
    add_attachment(package, "claims", good.encode(), filename="claims.txt")
    filed = file(client, phone, token, package)
    items = {i["code"]: i for i in fees_of(client, token, filed["case_id"])["sheet"]["items"]}
    assert items["excess_claims"]["count"] == 2
    assert float(items["excess_claims"]["amount"]) == 300
    r = client.post(
        f"/api/v1/office/submissions/{filed['submission_id']}/accept",
        headers=auth(office_token(client, app)),
    )
    assert r.status_code == 200, r.text
    notice = client.get(
        "/api/v1/notices",
        params={"code": "200701", "application_number": filed["application_number"]},
        headers=auth(token),
    ).json()[0]
    text = json.dumps(
        client.get(f"/api/v1/notices/{notice['id']}", headers=auth(token)).json(),
        ensure_ascii=False,
    )
    assert "权利要求附加费" in text


def test_fee_count_includes_claims_numbered_out_of_sequence(tmp_path):
    from patentdesk.fees import fee_input_from_package

    package = build_invention(tmp_path / "case.zip")
    remove_entry(package, "claims")
    add_attachment(package, "claims", CLAIMS.encode(), filename="claims.txt")
    assert fee_input_from_package(package).claims == 12
