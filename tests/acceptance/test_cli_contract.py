"""The operator and organisation commands of SPEC §10, run as an agency's script would, and
the contract's error output for every failure under ``--json``."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.factories import PASSWORD, unique_phone, valid_uscc


@pytest.fixture
def admin_env(settings):
    return cli_env(data=settings.data, database_url=settings.sqlalchemy_url, environment="test")


def test_admin_office_user_sms_outbox_and_audit(admin_env, desktop, phone, live_server):
    office_phone = unique_phone()
    r = run_cli(
        "admin",
        "create-office-user",
        "--phone",
        office_phone,
        "--name",
        "审查员乙",
        "--password-stdin",
        "--json",
        env=admin_env,
        input=PASSWORD + "\n",
    )
    assert r.returncode == 0, r.stderr
    assert set(r.json) >= {"user_id"}
    again = run_cli(
        "admin",
        "create-office-user",
        "--phone",
        office_phone,
        "--name",
        "审查员丙",
        "--password-stdin",
        "--json",
        env=admin_env,
        input=PASSWORD + "\n",
    )
    assert again.returncode != 0 and again.error["code"] == "PHONE_TAKEN"
    login = desktop.run(
        "login", "--account", office_phone, "--password-stdin", "--json", input=PASSWORD + "\n"
    )
    assert login.returncode == 0, login.stderr
    assert login.json["user_id"] == r.json["user_id"] and login.json["role"] == "office"
    # The SMS outbox shows codes sent (here: a recovery code for a registered phone).
    phone.register()
    phone.run("recover-password", "--phone", phone.phone)
    box = run_cli("admin", "sms-outbox", "--phone", phone.phone, "--json", env=admin_env)
    assert box.returncode == 0, box.stderr
    assert box.json and set(box.json[-1]) >= {"phone", "code", "text", "sent_at"}
    audit = run_cli("admin", "audit", "verify", "--json", env=admin_env)
    assert audit.returncode == 0, audit.stderr
    assert audit.json["ok"] is True and audit.json["events"] > 0


def test_org_commands_as_a_script(desktop, phone, live_server, tmp_path):
    from tests.support.actors import Phone

    phone.register("王经办")
    desktop.login_with(phone)
    uscc = valid_uscc()
    org = desktop.run(
        "org",
        "register",
        "--kind",
        "agency",
        "--name",
        "北京测试专利代理事务所",
        "--uscc",
        uscc,
        "--agency-code",
        "31001",
        "--main-password-stdin",
        "--json",
        input=PASSWORD + "\n",
    )
    assert org.returncode == 0, org.stderr
    assert set(org.json) >= {"org_id"}
    desktop.login_with(phone, role=f"handler:{org.json['org_id']}")
    branch = desktop.run("org", "branch", "add", "--name", "上海分所", "--json")
    assert branch.returncode == 0, branch.stderr
    assert set(branch.json) >= {"branch_id"}
    colleague = Phone(tmp_path / "colleague", live_server.url)
    colleague.register("李代理")
    sub = desktop.run(
        "org",
        "subaccount",
        "add",
        "--phone",
        colleague.phone,
        "--name",
        "李代理",
        "--branch",
        "上海分所",
        "--json",
    )
    assert sub.returncode == 0, sub.stderr
    assert set(sub.json) >= {"account_id", "domain"}
    assert sub.json["domain"] == branch.json["branch_id"]
    bad = desktop.run("org", "subaccount", "add", "--phone", "123", "--name", "某人", "--json")
    assert bad.returncode != 0 and bad.error["code"] == "INVALID_PHONE"
    # The main account logs in with its password and sees the organisation, not sign rights.
    main = desktop.run(
        "login", "--account", uscc, "--password-stdin", "--json", input=PASSWORD + "\n"
    )
    assert main.returncode == 0, main.stderr
    assert main.json["role"] == "main" and main.json["domain"]
    # A natural person cannot log in with a password on the desktop client: QR only.
    refused = desktop.run(
        "login", "--account", phone.phone, "--password-stdin", "--json", input=PASSWORD + "\n"
    )
    assert refused.returncode != 0
    assert refused.error["code"] == "PASSWORD_LOGIN_NOT_ALLOWED"


def _only_error(result) -> dict:
    """The one ``{"error": {...}}`` document on stderr, and nothing on stdout (SPEC §10)."""
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return dict(json.loads(lines[0])["error"])


@pytest.mark.parametrize(
    ("args", "param"),
    [
        (("submit", "missing.zip"), "file"),
        (("fees", "pay", "2026100000001", "--method", "bogus"), "--method"),
        (("query", "--limit", "0"), "--limit"),
        (("office", "refuse", "some-id"), "--reason"),
        (("query", "--no-such-option"), "--no-such-option"),
    ],
)
def test_usage_errors_under_json_are_json(args, param, tmp_path):
    env = cli_env(home=tmp_path / "home")
    r = run_cli(*args, "--json", env=env)
    assert r.returncode == 2  # as Click exits on a usage error
    error = _only_error(r)
    assert error["code"] == "USAGE"
    assert error["details"]["param"] == param and param in error["message"]
    # People still get Click's own usage text.
    human = run_cli(*args, env=env)
    assert human.returncode == 2 and "Usage:" in human.stderr
    assert param in human.stderr and not human.stderr.lstrip().startswith("{")


def test_os_errors_are_reported_not_tracebacks(tmp_path):
    env = cli_env(home=tmp_path / "home")
    case = tmp_path / "case.zip"
    assert (
        run_cli("package", "new", "--type", "invention", "--out", str(case), env=env).returncode
        == 0
    )
    blocker = tmp_path / "blocker"  # a file where a folder should be: unwritable, even as root
    blocker.write_text("")
    export = ("package", "export", str(case), "--out", str(blocker / "out.zip"))
    r = run_cli(*export, "--json", env=env)
    assert r.returncode == 1
    error = _only_error(r)
    assert error["code"] == "IO_ERROR" and error["details"]["errno"] == "ENOTDIR"
    assert str(blocker) in error["message"] and "Not a directory" in error["message_en"]
    human = run_cli(*export, env=env)
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert "IO_ERROR" in human.stderr and str(blocker) in human.stderr
    # doctor, whose state folder cannot be made.
    broken_home = cli_env(home=blocker / "home")
    doctor = run_cli("doctor", "--json", env=broken_home)
    assert doctor.returncode == 1
    assert _only_error(doctor) == {
        **_only_error(doctor),
        "code": "IO_ERROR",
        "details": {"errno": "ENOTDIR", "path": str(blocker / "home")},
    }
    human = run_cli("doctor", env=broken_home)
    assert human.returncode == 1 and "Traceback" not in human.stderr


def test_unwritable_output_file_of_a_networked_command(desktop, phone, tmp_path):
    phone.register()
    desktop.login_with(phone)
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    ics = blocker / "deadlines.ics"
    r = desktop.run("notices", "deadlines", "--ics", str(ics), "--json")
    assert r.returncode == 1
    error = _only_error(r)
    assert error["code"] == "IO_ERROR" and error["details"]["path"] == str(ics)
    human = desktop.run("notices", "deadlines", "--ics", str(ics))
    assert human.returncode == 1 and "Traceback" not in human.stderr and str(ics) in human.stderr
