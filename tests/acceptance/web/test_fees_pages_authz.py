"""The fee pages of a case × every role: the case's domain only."""

from __future__ import annotations

from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit

CSRF = "fees-matrix-csrf-token-0123456789"


def test_case_fee_pages_for_every_role(client, app, world, tmp_path):
    handler = world.person("经办人")
    org = world.agency(handler)
    sub_person = world.person("子账户")
    sub = world.sub_account(org, sub_person)
    phone = ApiPhone(world, handler)
    token = phone.desktop_login(f"handler:{org['org_id']}")
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    out = submit(client, token, package).json()
    case = client.get(
        f"/api/v1/cases/by-number/{out['application_number']}", headers=auth(token)
    ).json()["id"]
    tokens = {
        "handler": token,
        "sub": world.sub_token(sub_person, sub["account_id"]),
        "main": world.main_token(org),
        "natural": world.token(world.person("路人")),
        "other_handler": world.agency(world.person("别家"))["handler_token"],
        "office": office_token(client, app),
    }
    client.cookies.set("pd_csrf", CSRF)

    def call(method, url, tok, **kw):
        headers = {"x-csrf-token": CSRF, **(auth(tok) if tok else {})}
        return client.request(method, url, headers=headers, follow_redirects=False, **kw)

    page = f"/cases/{case}/fees"
    pay = f"/cases/{case}/fees/pay"
    anon = call("GET", page, None)
    assert anon.status_code == 303 and anon.headers["location"] == "/login"
    failures = []
    for role, tok in tokens.items():
        r = call("GET", page, tok)
        if role in ("handler", "sub", "main"):
            ok = r.status_code == 200 and out["application_number"] in r.text
        else:
            ok = r.status_code in (403, 404) and out["application_number"] not in r.text
        if not ok:
            failures.append(("GET", role, r.status_code))
        if role not in ("handler", "sub", "main"):
            r = call("POST", pay, tok, data={"method": "online-banking"})
            if r.status_code not in (403, 404):
                failures.append(("POST", role, r.status_code))
    assert not failures, failures
    # Nobody outside the domain paid anything.
    fees = client.get(f"/api/v1/cases/{case}/fees", headers=auth(token)).json()
    assert fees["payments"] == []
