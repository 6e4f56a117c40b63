"""``patentdesk fees …`` and ``patentdesk admin fees …`` as a script runs them (subprocess)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli

NEW_SCHEDULE = """\
id: pct-cnipa-ro-2026-01-01
kind: pct
effective_from: 2026-01-01
currency: CNY
source: Operator test file with made-up amounts.
items:
  - code: pct_international_filing
    name: {zh: 国际申请费, en: International filing fee}
    amount: 12345
    business: [pct]
"""


def fee_input(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


@pytest.mark.seed("E1")
def test_quote_and_compare_across_the_2023_change(tmp_path: Path) -> None:
    source = fee_input(tmp_path, business_type="pct", sheets=40)
    old = run_cli("fees", "quote", "--input", str(source), "--date", "2022-12-31", "--json")
    new = run_cli("fees", "quote", "--input", str(source), "--date", "2023-01-05", "--json")
    assert old.returncode == 0 and new.returncode == 0, old.stderr + new.stderr
    assert old.json["schedule"]["id"] == "pct-cnipa-ro-2021-12-01"
    assert new.json["schedule"]["id"] == "pct-cnipa-ro-2023-01-01"
    assert {"code", "name", "count", "amount"} <= set(new.json["items"][0])
    assert (old.json["total"], new.json["total"]) == (11470, 11870)

    stale = tmp_path / "sheet-2022.json"
    stale.write_text(old.stdout, encoding="utf-8")
    refused = run_cli(
        "fees", "compare", str(stale), "--input", str(source), "--date", "2023-01-05", "--json"
    )
    assert refused.returncode != 0
    assert refused.error["code"] == "FEE_SHEET_MISMATCH"
    assert "9,620" in refused.error["message"] and "11,870" in refused.error["message"]

    fresh = tmp_path / "sheet-2023.json"
    fresh.write_text(new.stdout, encoding="utf-8")
    ok = run_cli(
        "fees", "compare", str(fresh), "--input", str(source), "--date", "2023-01-05", "--json"
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.json == {"ok": True, "schedule": "pct-cnipa-ro-2023-01-01", "total": 11870}


def test_quote_a_package(tmp_path: Path) -> None:
    path = tmp_path / "case.zip"
    request = {"business_type": "utility", "claims_count": 13, "priorities": [{}]}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("forms/request.json", json.dumps(request))
    result = run_cli("fees", "quote", str(path), "--date", "2024-05-06", "--json")
    assert result.returncode == 0, result.stderr
    assert result.json["total"] == 500 + 3 * 150 + 80
    human = run_cli("fees", "quote", str(path), "--date", "2024-05-06")
    assert human.returncode == 0 and "合计" in human.stdout and "1,030" in human.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--date", "2024-13-01"], "INVALID_DATE"),
        (["--date", "2019-01-01"], "FEE_SCHEDULE_NOT_FOUND"),
        ([], "USAGE"),
    ],
)
def test_quote_errors_are_json(tmp_path: Path, args: list[str], code: str) -> None:
    extra = (
        [] if code == "USAGE" else ["--input", str(fee_input(tmp_path, business_type="invention"))]
    )
    result = run_cli("fees", "quote", *extra, *args, "--json")
    assert result.returncode != 0
    assert result.error["code"] == code
    assert result.stdout == ""


def test_quote_bad_input_file_names_the_field(tmp_path: Path) -> None:
    source = fee_input(tmp_path, business_type="invention", claims="many")
    result = run_cli("fees", "quote", "--input", str(source), "--json")
    assert result.error["code"] == "FEE_INPUT_INVALID"
    assert "claims" in result.error["message"]


def test_admin_fees_add_and_list(tmp_path: Path) -> None:
    env = cli_env(data=tmp_path / "data")
    good = tmp_path / "s.yaml"
    good.write_text(NEW_SCHEDULE, encoding="utf-8")
    added = run_cli("admin", "fees", "add", str(good), "--json", env=env)
    assert added.returncode == 0, added.stderr
    assert added.json == {
        "id": "pct-cnipa-ro-2026-01-01",
        "kind": "pct",
        "effective_from": "2026-01-01",
        "items": 1,
        "replaced": False,
    }
    listed = run_cli("admin", "fees", "list", "--kind", "pct", "--json", env=env)
    origins = {row["id"]: row["origin"] for row in listed.json}
    assert origins["pct-cnipa-ro-2026-01-01"] == "database"  # shared by every server
    assert not (tmp_path / "data" / "fees").exists()
    assert origins["pct-cnipa-ro-2023-01-01"] == "bundled"
    # a server-side quote sees the operator's schedule
    source = fee_input(tmp_path, business_type="pct")
    quoted = run_cli(
        "fees", "quote", "--input", str(source), "--date", "2026-02-01", "--json", env=env
    )
    assert quoted.json["total"] == 12345

    again = run_cli("admin", "fees", "add", str(good), "--json", env=env)
    assert again.error["code"] == "FEE_SCHEDULE_CONFLICT"
    bad = tmp_path / "bad.yaml"
    bad.write_text(NEW_SCHEDULE.replace("amount: 12345", "amount: lots"), encoding="utf-8")
    refused = run_cli("admin", "fees", "add", str(bad), "--json", env=env)
    assert refused.error["code"] == "FEE_SCHEDULE_INVALID"
    assert "items.0.amount" in refused.error["message"]
    missing = run_cli("admin", "fees", "add", str(tmp_path / "nope.yaml"), "--json", env=env)
    assert missing.error["code"] == "FILE_NOT_FOUND"


def test_quote_uses_the_inputs_filing_date_without_date_option(tmp_path: Path) -> None:
    source = fee_input(tmp_path, business_type="pct", filing_date="2022-12-31")
    result = run_cli("fees", "quote", "--input", str(source), "--json")
    assert result.json["schedule"]["id"] == "pct-cnipa-ro-2021-12-01"
    assert result.json["filing_date"] == "2022-12-31"
    forced = run_cli("fees", "quote", "--input", str(source), "--date", "2023-01-01", "--json")
    assert forced.json["schedule"]["id"] == "pct-cnipa-ro-2023-01-01"
