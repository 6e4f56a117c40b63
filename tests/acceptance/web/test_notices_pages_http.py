"""The office, notice and case pages over plain HTTP (no browser): login, CSRF, domains."""

from __future__ import annotations

import pytest

from tests.support.factories import auth
from tests.unit.notices.legacy_samples import sample_notices, write_archive

PAGES = ["/office", "/notices", "/notices/cloud", "/notices/deadlines", "/cases"]


def _import(app, settings, tmp_path, org, notices, name: str) -> None:
    from patentdesk.blobs import BlobStore
    from patentdesk.identity.service import Context
    from patentdesk.notices.legacy_import import import_archive

    archive = write_archive(tmp_path / name, notices)
    with app.state.db.unit_of_work() as s:
        import_archive(s, Context(settings), archive, org["uscc"], BlobStore(settings.blob_dir))


def _browse_as(client, token: str) -> str:
    """Uses the session cookie as the browser would; returns the page's CSRF token."""
    client.cookies.set("pd_session", token)
    r = client.get("/notices")
    assert r.status_code == 200, r.text
    return str(client.cookies.get("pd_csrf"))


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
