"""Notices through the CLI, as subprocesses: legacy migration into the main institution
(A11) and the user's `notices list|confirm|download|deadlines` (SPEC §10)."""

from __future__ import annotations

import uuid
import zipfile

import pytest

from tests.support.actors import Desktop, Phone
from tests.support.cli import cli_env, run_cli
from tests.support.factories import PASSWORD, auth
from tests.support.filing import sign, submit
from tests.support.inproc import build_invention, office_token
from tests.unit.notices.legacy_samples import sample_notices, write_archive

LIST_FIELDS = {"id", "code", "serial", "application_number", "dispatched_at", "deadline"}


def _import(settings, archive, org_ref: str):
    """`patentdesk admin import-legacy`, on the live server's data folder and database."""
    env = cli_env(
        data=settings.data,
        database_url=settings.sqlalchemy_url,
        environment=settings.environment,
    )
    return run_cli("admin", "import-legacy", str(archive), "--org", org_ref, "--json", env=env)


def _desktop_for(person, role: str, server: str, folder) -> Desktop:
    """A desktop client logged in by QR in ``role``, with the person's phone bound to it."""
    phone = Phone(folder / "phone", server)
    bound = phone.run("login", "--phone", person.phone, "--password-stdin", input=PASSWORD + "\n")
    assert bound.returncode == 0, bound.stderr
    desktop = Desktop(folder / "desktop", server)
    assert desktop.login_with(phone, role=role)["role"] == role.split(":")[0]
    return desktop


@pytest.mark.seed("A11")
def test_legacy_archive_is_received_by_the_main_institution_only(
    world, live_server, settings, tmp_path
):
    handler = world.person("王经办")
    org = world.agency(handler, kind="legal")
    branch = world.branch(org, "上海分公司")
    colleague = world.person("赵分部")
    sub = world.sub_account(org, colleague, branch=branch)
    legacy = sample_notices(3)
    archive = write_archive(tmp_path / "legacy.zip", legacy, manifest="xml")

    r = _import(settings, archive, org["uscc"])
    assert r.returncode == 0, r.stderr
    assert (r.json["imported"], r.json["skipped"]) == (3, 0)

    # The main institution's handler receives them …
    main = _desktop_for(handler, f"handler:{org['org_id']}", live_server.url, tmp_path / "h")
    listed = main.run("notices", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = listed.json
    assert sorted(n["serial"] for n in rows) == sorted(n.serial for n in legacy)
    assert all(n.keys() >= LIST_FIELDS and n["source"] == "legacy" for n in rows)
    by_serial = {n["serial"]: n for n in rows}
    assert {by_serial[n.serial]["application_number"] for n in legacy} == {
        n.application_number for n in legacy
    }
    # … and can download any of them again from the cloud, byte for byte.
    out = tmp_path / "again.pdf"
    got = main.run(
        "notices", "download", by_serial[legacy[1].serial]["id"], "--out", str(out), "--json"
    )
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == legacy[1].pdf

    # A branch's sub-account does not see them, nor download them by id.
    branch_desk = _desktop_for(
        colleague, f"sub:{sub['account_id']}", live_server.url, tmp_path / "b"
    )
    assert branch_desk.run("notices", "list", "--json").json == []
    hidden = branch_desk.run(
        "notices", "download", rows[0]["id"], "--out", str(tmp_path / "no.pdf"), "--json"
    )
    assert hidden.returncode != 0 and hidden.error["code"] == "NOTICE_NOT_FOUND"
    assert not (tmp_path / "no.pdf").exists()

    # Running the import again imports nothing twice.
    again = _import(settings, archive, org["uscc"])
    assert again.returncode == 0, again.stderr
    assert (again.json["imported"], again.json["skipped"]) == (0, 3)
    assert len(main.run("notices", "list", "--json").json) == 3

    # An unknown organisation is named in a clear error.
    unknown = _import(settings, archive, "91330106NOSUCHORG1")
    assert unknown.returncode != 0
    assert "91330106NOSUCHORG1" in unknown.error["message"]


def test_notices_confirm_download_and_deadlines(phone, desktop, client, app, live_server, tmp_path):
    phone.register("张三")
    desktop.login_with(phone)
    package = build_invention(tmp_path / "case.zip")
    sign(desktop, phone, package)
    filed = submit(desktop, package)
    assert filed.returncode == 0, filed.stderr
    number = filed.json["application_number"]
    # The office accepts it and rejects it (in-process: the office side is not under test).
    office = office_token(client, app)
    work = client.get("/api/v1/office/worklist", headers=auth(office)).json()
    sub_id = next(w["id"] for w in work if w["application_number"] == number)
    assert client.post(
        f"/api/v1/office/submissions/{sub_id}/accept", headers=auth(office)
    ).is_success
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": number, "code": "210407", "text": "不具备创造性。"},
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    rejection_serial = r.json()["serial"]

    listed = desktop.run("notices", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    by_code = {n["code"]: n for n in listed.json}
    assert {"200101", "210407"} <= by_code.keys()
    assert all(n.keys() >= LIST_FIELDS for n in listed.json)
    rejection = by_code["210407"]
    assert rejection["serial"] == rejection_serial and rejection["deadline"]
    only = desktop.run("notices", "list", "--code", "210407", "--json").json
    assert [n["serial"] for n in only] == [rejection_serial]

    # 接收确认: once confirmed, it leaves the unconfirmed list.
    confirmed = desktop.run("notices", "confirm", rejection["id"], "--json")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.json["confirmed_at"]
    unconfirmed = desktop.run("notices", "list", "--unconfirmed", "--json").json
    assert rejection["id"] not in {n["id"] for n in unconfirmed}
    assert by_code["200101"]["id"] in {n["id"] for n in unconfirmed}

    # One PDF; several as a ZIP.
    pdf = tmp_path / "x.pdf"
    one = desktop.run("notices", "download", rejection["id"], "--out", str(pdf), "--json")
    assert one.returncode == 0, one.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and one.json["count"] == 1
    bundle = tmp_path / "x.zip"
    ids = [rejection["id"], by_code["200101"]["id"]]
    many = desktop.run("notices", "download", *ids, "--out", str(bundle), "--json")
    assert many.returncode == 0, many.stderr
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert sorted(n.split("-")[1] for n in names) == ["200101", "210407"]
        assert all(z.read(n).startswith(b"%PDF") for n in names)

    # Deadlines as JSON and as an iCalendar file.
    ics = tmp_path / "deadlines.ics"
    due = desktop.run("notices", "deadlines", "--ics", str(ics), "--alarm-days", "3", "--json")
    assert due.returncode == 0, due.stderr
    # The rejection's reexamination window, beside the fee notice's payment period.
    notice_rows = [d for d in due.json if d.get("kind", "notice") == "notice"]
    assert (rejection_serial, rejection["deadline"]) in [
        (d["serial"], d["deadline"]) for d in notice_rows
    ]
    assert {d["code"] for d in notice_rows} <= {"210407", "200701"}
    calendar = ics.read_text("utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert number in calendar and rejection["deadline"].replace("-", "") in calendar
    assert "TRIGGER:-P3D" in calendar  # the reminder the user asked for

    # Unknown notices are a clear error, not a file.
    missing = desktop.run("notices", "confirm", str(uuid.uuid4()), "--json")
    assert missing.returncode != 0 and missing.error["code"] == "NOTICE_NOT_FOUND"
