"""Every id the CLI prints is accepted back (issue 17): `notices list` shows eight characters
of an id, which `notices confirm` and `notices download` take; `office worklist` shows whole
ids at 80 columns; `office accept` and `office refuse` take a unique id prefix or the
application number. Run as subprocesses against a live server (SPEC §10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patentdesk.cli import ids
from patentdesk.errors import NotFound
from tests.support.cases import add_case, agency_desk
from tests.support.cli import cli_env, run_cli
from tests.support.factories import write_session
from tests.support.inproc import office_token


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: these judge the command line, which both databases serve alike."""
    import shutil

    path = tmp_path / "patentdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _env(home: Path, server: str, session: dict[str, Any]) -> dict[str, str]:
    write_session(home, server, session)
    env = cli_env(home=home, server=server)
    env["COLUMNS"] = "80"  # a plain terminal
    return env


def test_office_takes_numbers_and_prefixes_and_notices_take_short_ids(
    live_server, world, db, client, app, tmp_path
):
    desk = agency_desk(world)
    a, b = (
        add_case(
            db,
            desk.main_domain,
            desk.sub_person.user_id,
            title=title,
            business_type="invention",
            sub_account=desk.sub["account_id"],
        )
        for title in ("一种折叠式电动自行车", "一种可折叠的电动滑板车")
    )
    office = _env(
        tmp_path / "office", live_server.url, {"token": office_token(client, app), "role": "office"}
    )

    # The worklist table prints whole ids, even 80 columns wide.
    listed = run_cli("office", "worklist", "--json", env=office)
    rows = {r["application_number"]: r for r in listed.json}
    table = run_cli("office", "worklist", env=office)
    assert table.returncode == 0, table.stderr
    for number in (a.application_number, b.application_number):
        assert rows[number]["id"] in table.stdout, table.stdout

    # 受理 by application number; 不受理 by the first eight characters of the id.
    accepted = run_cli("office", "accept", a.application_number, "--json", env=office)
    assert accepted.returncode == 0, accepted.stderr
    assert (accepted.json["id"], accepted.json["status"]) == (
        rows[a.application_number]["id"],
        "accepted",
    )
    short = rows[b.application_number]["id"][: ids.SHORT]
    refused = run_cli(
        "office", "refuse", short, "--reason", "文件格式不符合规定", "--json", env=office
    )
    assert refused.returncode == 0, refused.stderr
    assert (refused.json["application_number"], refused.json["status"]) == (
        b.application_number,
        "refused",
    )
    # What matches nothing is a clear error naming what was typed.
    for text, code in (("2026199999999", "NOT_FOUND"), ("zz", "NOT_FOUND")):
        wrong = run_cli("office", "accept", text, "--json", env=office)
        assert wrong.returncode != 0 and wrong.error["code"] == code, wrong.stderr
        assert text in wrong.error["message"]

    # The applicant's notices: the table's eight characters are accepted back.
    applicant = _env(
        tmp_path / "applicant",
        live_server.url,
        world.web_login(desk.sub_person, role=f"sub:{desk.sub['account_id']}"),
    )
    notices = run_cli("notices", "list", "--json", env=applicant).json
    receipt = next(n for n in notices if n["application_number"] == a.application_number)
    short = receipt["id"][: ids.SHORT]
    table = run_cli("notices", "list", env=applicant)
    assert short in table.stdout
    confirmed = run_cli("notices", "confirm", short, "--json", env=applicant)
    assert confirmed.returncode == 0, confirmed.stderr
    assert (confirmed.json["id"], bool(confirmed.json["confirmed_at"])) == (receipt["id"], True)
    pdf = tmp_path / "receipt.pdf"
    got = run_cli("notices", "download", short, "--out", str(pdf), "--json", env=applicant)
    assert got.returncode == 0, got.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    missing = run_cli("notices", "confirm", "0000ffff", "--json", env=applicant)
    assert missing.returncode != 0 and missing.error["code"] == "NOT_FOUND"
    bad = run_cli("notices", "download", "x!", "--out", str(pdf), "--json", env=applicant)
    assert bad.returncode != 0 and bad.error["code"] == "ID_INVALID"


def test_a_prefix_must_name_one_object():
    rows = [{"id": "0a1b2c3d-0000-4000-8000-000000000001"}, {"id": "0a1b9999-0000-4000-8000-1"}]
    assert ids.pick("0a1b2c", rows, what=("通知书", "notice")) is rows[0]
    assert ids.pick("0A1B-2C3D", rows, what=("通知书", "notice")) is rows[0]
    with pytest.raises(ids.AmbiguousId) as ambiguous:
        ids.pick("0a1b", rows, what=("通知书", "notice"))
    assert ambiguous.value.details["candidates"] == sorted(r["id"] for r in rows)
    with pytest.raises(NotFound):
        ids.pick("ffff", rows, what=("通知书", "notice"))
    with pytest.raises(ids.IdPrefixInvalid):
        ids.pick("0a1", rows, what=("通知书", "notice"))  # too short to be read as a prefix
