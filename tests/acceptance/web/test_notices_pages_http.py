"""The office, notice and case pages over plain HTTP (no browser): login, CSRF, domains."""

from __future__ import annotations

import pytest

from tests.support.factories import auth, page_csrf
from tests.unit.notices.legacy_samples import sample_notices, write_archive

PAGES = ["/office", "/notices", "/notices/cloud", "/notices/deadlines", "/cases"]


def _import(app, settings, tmp_path, org, notices, name: str) -> None:
    from patentdesk.blobs import blobs_for
    from patentdesk.identity.service import Context
    from patentdesk.notices.legacy_import import import_archive

    archive = write_archive(tmp_path / name, notices)
    with app.state.db.unit_of_work() as s:
        import_archive(s, Context(settings), archive, org["uscc"], blobs_for(settings))


def _browse_as(client, token: str) -> str:
    """Uses the session cookie as the browser would; returns the page's CSRF token."""
    client.cookies.set("pd_session", token)
    r = client.get("/notices")
    assert r.status_code == 200, r.text
    return page_csrf(r.text)


# A fixed id: parameter ids must be the same in every xdist worker.
@pytest.mark.parametrize("path", [*PAGES, "/cases/3f0c5a52-9d0e-4c1e-8a4e-2b8f3c6d7e10"])
def test_pages_send_anonymous_visitors_to_login(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


@pytest.fixture
def two_agencies(client, app, world, settings, tmp_path):
    ours, theirs = world.agency(world.person("甲经办")), world.agency(world.person("乙经办"))
    mine = sample_notices(2, year=2023)
    other = sample_notices(1, year=2021)
    _import(app, settings, tmp_path, ours, mine, "ours.zip")
    _import(app, settings, tmp_path, theirs, other, "theirs.zip")
    by_serial = {
        n["serial"]: n
        for org in (ours, theirs)
        for n in client.get("/api/v1/notices", headers=auth(org["handler_token"])).json()
    }
    return ours, theirs, [by_serial[n.serial] for n in mine], by_serial[other[0].serial]


def test_pages_show_only_the_domains_notices(client, two_agencies):
    ours, _theirs, mine, other = two_agencies
    _browse_as(client, ours["handler_token"])
    for path in ("/notices", "/notices/cloud", "/notices/cloud?source=legacy"):
        html = client.get(path).text
        assert all(n["serial"] in html for n in mine)
        assert other["serial"] not in html
    r = client.get(f"/notices/{other['id']}/pdf")
    assert r.status_code == 404 and "通知书不存在" in r.text
    assert client.get(f"/notices/{mine[0]['id']}/pdf").content.startswith(b"%PDF")


def test_forms_without_the_csrf_token_are_refused(client, two_agencies):
    ours, _theirs, mine, _other = two_agencies
    _browse_as(client, ours["handler_token"])
    r = client.post("/notices/confirm", data={"ids": [mine[0]["id"]]})
    assert r.status_code == 403
    r = client.post("/notices/confirm", data={"ids": [mine[0]["id"]], "csrf": "forged"})
    assert r.status_code == 403
    got = client.get(f"/api/v1/notices/{mine[0]['id']}", headers=auth(ours["handler_token"]))
    assert got.json()["confirmed_at"] is None


def test_confirming_a_selection_is_all_or_nothing(client, two_agencies):
    ours, _theirs, mine, other = two_agencies
    csrf = _browse_as(client, ours["handler_token"])
    h = auth(ours["handler_token"])
    # Another domain's notice in the selection: nothing is confirmed, the page says why.
    r = client.post("/notices/confirm", data={"csrf": csrf, "ids": [mine[0]["id"], other["id"]]})
    assert r.status_code == 404 and "通知书不存在" in r.text
    assert client.get(f"/api/v1/notices/{mine[0]['id']}", headers=h).json()["confirmed_at"] is None
    # The selection of our own: both confirmed, back to the page we came from.
    r = client.post(
        "/notices/confirm",
        data={"csrf": csrf, "ids": [n["id"] for n in mine], "back": "/notices?unconfirmed=1"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/notices?unconfirmed=1"
    assert all(
        client.get(f"/api/v1/notices/{n['id']}", headers=h).json()["confirmed_at"] for n in mine
    )
    # "back" never leads off the site.
    r = client.post(
        f"/notices/{mine[0]['id']}/confirm",
        data={"csrf": csrf, "back": "https://evil.example/notices"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/notices"


def test_bulk_download_needs_a_selection(client, two_agencies):
    ours, _theirs, mine, _other = two_agencies
    csrf = _browse_as(client, ours["handler_token"])
    r = client.post("/notices/download", data={"csrf": csrf})
    assert r.status_code == 422 and "请先勾选通知书" in r.text
    r = client.post("/notices/download", data={"csrf": csrf, "ids": [n["id"] for n in mine]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"


def test_office_console_needs_the_office_role(client, two_agencies):
    ours, _theirs, _mine, _other = two_agencies
    _browse_as(client, ours["handler_token"])
    r = client.get("/office")
    assert r.status_code == 403 and 'id="worklist"' not in r.text
    assert "审查员" in r.text


def test_cases_page_lists_and_filters_the_domains_cases(client, world, tmp_path):
    from tests.support.inproc import ApiPhone, build_invention, submit

    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    numbers = {}
    for title, internal in (("一种折叠式电动自行车", "AG-1"), ("一种电池_快换结构", "BX-2")):
        package = build_invention(
            tmp_path / f"{internal}.zip", title=title, internal_number=internal
        )
        phone.sign(token, package)
        numbers[internal] = submit(client, token, package).json()["application_number"]
    client.cookies.set("pd_session", token)

    def listed(query: str = "") -> set[str]:
        r = client.get("/cases" + query)
        assert r.status_code == 200
        return {n for n in numbers.values() if f'data-application="{n}"' in r.text}

    assert listed() == set(numbers.values())
    assert listed("?q=AG-") == {numbers["AG-1"]}
    assert listed("?q=折叠") == {numbers["AG-1"]}
    assert listed("?q=" + numbers["BX-2"][:12]) >= {numbers["BX-2"]}
    assert listed("?q=_") == {numbers["BX-2"]}  # a literal underscore, not a wildcard
    assert listed("?q=%25") == set()
    assert listed("?status=submitted") == set(numbers.values())
    assert listed("?status=granted") == set()
    # Somebody else sees none of them.
    client.cookies.set("pd_session", world.token(world.person("李四")))
    assert listed() == set()


# ---------------------------------------------------------------- every page × every role

ROLES = ["natural", "handler", "sub", "main", "office", "other_handler"]
OWNERS = {"handler", "sub", "main"}  # the organisation's main institution domain
MATRIX_CSRF = "pages-matrix-csrf"


def _page_routes(routes, prefix: str = ""):
    """(method, path) of every route, also inside included routers (FastAPI 0.165 lists an
    included router as one entry of ``app.routes``)."""
    from fastapi.routing import APIRoute

    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _page_routes(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            for method in route.methods - {"HEAD"}:
                yield method, prefix + route.path


@pytest.fixture
def pages_world(client, app, world, settings, tmp_path):
    from tests.support.inproc import ApiPhone, build_invention, office_token, submit

    handler = world.person("经办人")
    org = world.agency(handler)
    sub_person = world.person("子账户")
    sub = world.sub_account(org, sub_person)
    phone = ApiPhone(world, handler)
    filer = phone.desktop_login(f"handler:{org['org_id']}")
    package = build_invention(tmp_path / "case.zip")
    phone.sign(filer, package)
    filed = submit(client, filer, package).json()
    case = client.get(
        f"/api/v1/cases/by-number/{filed['application_number']}", headers=auth(filer)
    ).json()
    _import(app, settings, tmp_path, org, sample_notices(2, year=2020), "legacy.zip")
    notices = client.get("/api/v1/notices", headers=auth(org["handler_token"])).json()
    tokens = {
        "natural": world.token(world.person("路人")),
        "handler": org["handler_token"],
        "sub": world.sub_token(sub_person, sub["account_id"]),
        "main": world.main_token(org),
        "office": office_token(client, app),
        "other_handler": world.agency(world.person("别家"))["handler_token"],
    }
    return {"tokens": tokens, "notices": [n["id"] for n in notices], "case": case["id"]}


def _expected(row: str, role: str) -> int | None:
    """The status each role gets; None: any success (2xx or a redirect back)."""
    office_page = row.startswith(("GET /office", "POST /office"))
    if office_page:
        # Office users get the page (a POST with an unknown object shows its 404 there).
        return (200 if row.startswith("GET") else 404) if role == "office" else 403
    if row.startswith(("GET /notices ", "GET /notices/cloud", "GET /notices/deadlines")):
        return None
    if row.startswith("GET /cases "):
        return None
    if row.startswith("GET /cases/"):
        return None if role in OWNERS | {"office"} else 404  # the office sees every case
    # Acting on a notice: its domain only; the office may not confirm or download.
    return None if role in OWNERS else (403 if role == "office" else 404)


def test_every_page_route_for_every_role(client, pages_world):
    tokens, case = pages_world["tokens"], pages_world["case"]
    notice, other_notice = pages_world["notices"]  # two: each confirmation route gets its own
    unknown = "3f0c5a52-9d0e-4c1e-8a4e-2b8f3c6d7e10"
    rows = [
        ("GET", "/office", {}),
        ("POST", f"/office/submissions/{unknown}/accept", {}),
        ("POST", f"/office/submissions/{unknown}/refuse", {"data": {"reason": "缺少签章"}}),
        (
            "POST",
            "/office/notices",
            {"data": {"application_number": "2026100000000", "code": "210407"}},
        ),
        ("GET", "/notices", {}),
        ("GET", "/notices/cloud", {}),
        ("GET", "/notices/deadlines", {}),
        ("GET", f"/notices/{notice}/pdf", {}),
        ("POST", "/notices/download", {"data": {"ids": [notice]}}),
        ("POST", "/notices/confirm", {"data": {"ids": [notice]}}),
        ("POST", f"/notices/{other_notice}/confirm", {}),
        ("GET", "/cases", {}),
        ("GET", f"/cases/{case}", {}),
    ]
    templates = {
        (
            m,
            p.replace(notice, "{notice_id}")
            .replace(other_notice, "{notice_id}")
            .replace(case, "{case_id}")
            .replace(unknown, "{submission_id}"),
        )
        for m, p, _ in rows
    }
    routes = {
        (m, p)
        for m, p in _page_routes(client.app.routes)
        # Fee pages under /cases/{id}/fees: tests/acceptance/web/test_fees_pages_authz.py
        if p.startswith(("/office", "/notices", "/cases")) and "/fees" not in p
    }
    assert routes == templates, f"pages without authorization tests: {routes ^ templates}"

    client.cookies.set("pd_csrf", MATRIX_CSRF)
    failures = []

    def call(method, url, token, **kw):
        headers = {"x-csrf-token": MATRIX_CSRF, **(auth(token) if token else {})}
        return client.request(method, url, headers=headers, follow_redirects=False, **kw)

    def confirmed(url: str) -> bool:
        target = other_notice if other_notice in url else notice
        r = client.get(f"/api/v1/notices/{target}", headers=auth(tokens["handler"]))
        return r.json()["confirmed_at"] is not None

    # Owners last: nobody else's attempt may change anything before they act.
    order = [r for r in ROLES if r not in OWNERS] + sorted(OWNERS)
    for method, url, kw in rows:
        anon = call(method, url, None, **kw)
        if anon.status_code != 303 or anon.headers["location"] != "/login":
            failures.append((method, url, "anonymous", anon.status_code))
        row = f"{method} {url} "
        for role in order:
            if role == order[-len(OWNERS)] and url.endswith("confirm") and confirmed(url):
                failures.append((method, url, "confirmed by a non-owner", 0))
            r = call(method, url, tokens[role], **kw)
            want = _expected(row, role)
            ok = r.status_code < 400 if want is None else r.status_code == want
            if not ok:
                failures.append((method, url, role, r.status_code))
        if url.endswith("confirm") and not confirmed(url):
            failures.append((method, url, "owners could not confirm", 0))
    assert not failures, failures
