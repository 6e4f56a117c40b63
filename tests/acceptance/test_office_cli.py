"""The office console through the CLI, as subprocesses (SPEC §10): `office worklist`,
`office accept`, `office refuse` and `office notice issue`, run by an office user against a
live server, and what the applicant then sees."""

from __future__ import annotations

from pathlib import Path

from tests.support.actors import Desktop
from tests.support.factories import PASSWORD, unique_phone
from tests.support.filing import sign, submit
from tests.support.inproc import build_invention

WORK_FIELDS = {"id", "application_number", "business_type", "status"}


def _office_desktop(app, server: str, folder: Path) -> Desktop:
    """A desktop client logged in with the password of a new office user."""
    from patentdesk.identity.service import Context, create_office_user

    account = unique_phone()
    with app.state.db.unit_of_work() as s:
        create_office_user(
            s, Context(app.state.settings), phone=account, name="审查员", password=PASSWORD
        )
    office = Desktop(folder, server)
    login = office.run(
        "login", "--account", account, "--password-stdin", "--json", input=PASSWORD + "\n"
    )
    assert login.returncode == 0, login.stderr
    assert login.json["role"] == "office"
    return office


def _file(desktop, phone, path: Path, title: str) -> str:
    package = build_invention(path, title=title)
    sign(desktop, phone, package)
    filed = submit(desktop, package)
    assert filed.returncode == 0, filed.stderr
    return str(filed.json["application_number"])


def _worklist(office: Desktop, *args: str) -> dict[str, dict]:
    r = office.run("office", "worklist", *args, "--json")
    assert r.returncode == 0, r.stderr
    assert all(row.keys() >= WORK_FIELDS for row in r.json)
    return {row["application_number"]: row for row in r.json}


def test_office_worklist_accept_refuse_and_issue_a_notice(
    app, phone, desktop, live_server, tmp_path
):
    phone.register("张三")
    desktop.login_with(phone)
    accepted_no = _file(desktop, phone, tmp_path / "a.zip", "一种折叠式电动自行车")
    refused_no = _file(desktop, phone, tmp_path / "b.zip", "一种可折叠的电动滑板车")
    office = _office_desktop(app, live_server.url, tmp_path / "office")

    # The worklist shows both incoming submissions, not yet decided.
    incoming = _worklist(office)
    assert {accepted_no, refused_no} <= incoming.keys()
    assert incoming[accepted_no]["business_type"] == "invention"
    assert incoming[accepted_no]["status"] == "received"

    # 受理: the row comes back with its new status, and leaves the incoming list.
    accepted = office.run("office", "accept", incoming[accepted_no]["id"], "--json")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.json.keys() >= WORK_FIELDS
    assert accepted.json == {
        **accepted.json,
        "id": incoming[accepted_no]["id"],
        "application_number": accepted_no,
        "business_type": "invention",
        "status": "accepted",
    }
    assert accepted_no not in _worklist(office)
    assert _worklist(office, "--status", "accepted")[accepted_no]["status"] == "accepted"
    again = office.run("office", "accept", incoming[accepted_no]["id"], "--json")
    assert again.returncode != 0 and again.error["code"] == "ALREADY_DECIDED"

    # 不受理, with the reason the applicant will read.
    refused = office.run(
        "office", "refuse", incoming[refused_no]["id"], "--reason", "文件格式不符合规定", "--json"
    )
    assert refused.returncode == 0, refused.stderr
    assert refused.json.keys() >= WORK_FIELDS
    assert (refused.json["application_number"], refused.json["status"]) == (
        refused_no,
        "refused",
    )
    assert _worklist(office, "--status", "all")[refused_no]["status"] == "refused"

    # A rejection decision on the accepted case.
    issued = office.run(
        "office",
        "notice",
        "issue",
        "--application-number",
        accepted_no,
        "--code",
        "210407",
        "--text",
        "权利要求1不具备创造性。",
        "--json",
    )
    assert issued.returncode == 0, issued.stderr
    assert issued.json.keys() >= {"notice_id", "serial"} and issued.json["serial"]

    # The applicant sees what the office decided: acceptance, refusal and the rejection.
    notices = desktop.run("notices", "list", "--json")
    assert notices.returncode == 0, notices.stderr
    mine = {(n["application_number"], n["code"]): n for n in notices.json}
    assert (accepted_no, "200101") in mine and (refused_no, "200102") in mine
    rejection = mine[(accepted_no, "210407")]
    assert (rejection["id"], rejection["serial"]) == (
        issued.json["notice_id"],
        issued.json["serial"],
    )

    # An application the office does not know is a clear error, not a notice.
    unknown = office.run(
        "office",
        "notice",
        "issue",
        "--application-number",
        "2026100000001",
        "--code",
        "210407",
        "--json",
    )
    assert unknown.returncode != 0 and unknown.error["code"] == "NOT_FOUND"

    # The human table prints too.
    table = office.run("office", "worklist", "--status", "all")
    assert table.returncode == 0, table.stderr
    assert accepted_no in table.stdout and refused_no in table.stdout


def test_office_commands_need_an_office_user(phone, desktop, live_server):
    phone.register("张三")
    desktop.login_with(phone)
    for args in (
        ("worklist",),
        ("notice", "issue", "--application-number", "2026100000001", "--code", "210407"),
    ):
        r = desktop.run("office", *args, "--json")
        assert r.returncode != 0 and r.error["code"] == "PERMISSION_DENIED"
