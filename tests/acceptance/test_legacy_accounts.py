"""Legacy accounts migrated with `patentdesk admin import-accounts`: imported as they are,
an incomplete one must complete its profile (补录) before it can log in (A1)."""

from __future__ import annotations

import csv
import stat

import pytest

from patentdesk.identity.passwords import hash_password
from tests.support.cli import cli_env, run_cli
from tests.support.factories import unique_phone, valid_id_number


def _run(settings, *args: str):
    env = cli_env(
        data=settings.data, database_url=settings.sqlalchemy_url, environment=settings.environment
    )
    return run_cli("admin", "import-accounts", *args, "--json", env=env)


def _login(client, account: str, password: str):
    return client.post(
        "/api/v1/auth/password-login", json={"account": account, "password": password}
    )


@pytest.mark.seed("A1")
def test_imported_legacy_accounts_must_complete_their_profile_before_logging_in(
    client, settings, tmp_path
):
    complete, without_id, by_name = unique_phone(), unique_phone(), f"legacy{unique_phone()}"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "\ufeffphone,login_name,name,id_number,password_hash\n"
        # An argon2 hash has commas: quoted, as any CSV writer does.
        f'{complete},,王老用户,{valid_id_number()},"{hash_password("Legacy2020pw")}"\n'
        f"{without_id},,李老用户,,\n"
        f",{by_name},赵老用户,12345,\n",
        "utf-8",
    )
    passwords = tmp_path / "passwords.csv"
    r = _run(settings, str(accounts))
    assert r.returncode != 0 and r.error["code"] == "PASSWORDS_OUT_REQUIRED"
    r = _run(settings, str(accounts), "--passwords-out", str(passwords))
    assert r.returncode == 0, r.stderr
    out = r.json
    assert (out["imported"], out["incomplete"], out["skipped"]) == (3, 2, 0)
    assert [a["missing"] for a in out["accounts"]] == [[], ["id_number"], ["phone", "id_number"]]
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    initial = {row["account"]: row for row in csv.DictReader(passwords.open(encoding="utf-8"))}
    assert set(initial) == {without_id, by_name}  # the complete one keeps its own password

    # The complete account logs in with its legacy password (the SMS code comes next).
    r = _login(client, complete, "Legacy2020pw")
    assert r.status_code == 200, r.text
    # The incomplete ones are told 需要补录, with the link, and complete it.
    r = _login(client, without_id, initial[without_id]["initial_password"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "PROFILE_INCOMPLETE"
    assert r.json()["error"]["details"]["missing"] == ["id_number"]
    r = _login(client, by_name, initial[by_name]["initial_password"])
    assert r.status_code == 403 and r.json()["error"]["details"]["missing"] == [
        "phone",
        "id_number",
    ]
    r = client.post(
        "/api/v1/identity/complete-profile",
        json={
            "account": without_id,
            "password": initial[without_id]["initial_password"],
            "id_number": valid_id_number(),
        },
    )
    assert r.status_code == 200 and r.json()["complete"] is True
    assert _login(client, without_id, initial[without_id]["initial_password"]).status_code == 200

    # Running the same file again imports nothing twice.
    again = _run(settings, str(accounts), "--passwords-out", str(tmp_path / "again.csv"))
    assert again.returncode == 0, again.stderr
    assert (again.json["imported"], again.json["skipped"]) == (0, 3)
    assert again.json["passwords_file"] is None


def test_one_bad_row_imports_nothing(client, settings, tmp_path):
    good = unique_phone()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "phone,name,password_hash\n"
        f"{good},甲,\n"
        "12345,乙,\n"  # not a mobile number
        f"{unique_phone()},丙,md5:abcdef\n",  # a hash this system cannot check
        "utf-8",
    )
    r = _run(settings, str(accounts), "--passwords-out", str(tmp_path / "p.csv"))
    assert r.returncode != 0
    error = r.error
    assert error["code"] == "ACCOUNT_FILE_INVALID"
    assert "2" in error["message"]
    assert "row 3 phone" in error["message"] and "row 4 password_hash" in error["message"]
    assert not (tmp_path / "p.csv").exists()
    assert _login(client, good, "whatever1").json()["error"]["code"] == "INVALID_CREDENTIALS"
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("phone,password\n13800138000,x\n", "utf-8")
    r = _run(settings, str(unknown), "--passwords-out", str(tmp_path / "p.csv"))
    assert r.returncode != 0 and r.error["code"] == "ACCOUNT_FILE_INVALID"
    assert "password" in r.error["message"]
