"""The offline client's ``patentdesk package`` commands, driven as a script would (SPEC §10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli
from tests.unit.packages.helpers import VALID_USCC, has_cjk_font, legacy_package

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")

AGENCY_SESSION = {
    "server": "http://127.0.0.1:9",
    "token": "t",
    "session_id": "s",
    "user_id": "user-7",
    "role": "sub",
    "domain": "d-1",
    "domain_name": "某某专利代理事务所",
    "org_id": "org-1",
    "org_kind": "agency",
    "org_name": "某某专利代理事务所",
    "account_id": "acct-42",
    "environment": "trial",
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def login_as(home: Path, **session: str) -> None:
    (home / "session.json").write_text(json.dumps({**AGENCY_SESSION, **session}), "utf-8")


def cli(home: Path, *args: str, check: bool = False):
    env = cli_env(home=home)
    return run_cli(*args, env=env, check=check)


def write_texts(folder: Path) -> None:
    (folder / "claims.pdf").write_text(
        "1. 一种折叠式电动自行车，包括车架。\n2. 根据权利要求1所述的电动自行车，其特征在于车架可折叠。\n",
        "utf-8",
    )
    # A description as the office asks for it (its five parts in order, paragraphs numbered):
    # anything less is a warning of the examiner-style checks (issue 16).
    (folder / "desc.pdf").write_text(
        "技术领域\n[0001] 本发明涉及一种折叠式电动自行车。\n"
        "背景技术\n[0002] 现有电动自行车不便携带。\n"
        "发明内容\n[0003] 本发明提供一种可折叠的电动自行车。\n"
        "具体实施方式\n[0004] 车架中部设有折叠机构。\n",
        "utf-8",
    )
    (folder / "abstract.pdf").write_text("一种折叠式电动自行车，便于携带。\n", "utf-8")


@pytest.mark.seed("C3")
def test_minimal_invention_recipe_works_without_login(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    write_texts(tmp_path)
    assert cli(home, "package", "new", "--type", "invention", "--out", case, "--json").json == {
        "path": case
    }
    result = cli(
        home,
        "package",
        "set",
        case,
        "title=一种折叠式电动自行车",
        "internal_number=AG-2026-0001",
        "applicants.0.name=杭州某某科技有限公司",
        f"applicants.0.uscc={VALID_USCC}",
        "applicants.0.address=浙江省杭州市西湖区文三路1号",
        "applicants.0.postal_code=310012",
        "inventors.0.name=张三",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert result.json == {"path": case}
    for role, name in (
        ("claims", "claims.pdf"),
        ("description", "desc.pdf"),
        ("abstract", "abstract.pdf"),
    ):
        added = cli(home, "package", "add", case, "--role", role, str(tmp_path / name), "--json")
        assert added.returncode == 0, added.stderr
        assert added.json["path"] == case
    validated = cli(home, "package", "validate", case, "--json")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.json == {"ok": True, "errors": [], "warnings": []}
    assert cli(home, "package", "validate", case).returncode == 0
    shown = cli(home, "package", "show", case, "--json").json
    assert shown["business_type"] == "invention"
    assert shown["form"]["applicants"][0]["uscc"] == VALID_USCC
    roles = {f["path"]: f["media_type"] for f in shown["files"]}
    assert roles["attachments/claims/claims.pdf"] == "application/pdf"
    assert roles["attachments/claims/claims.txt"] == "text/plain"


@pytest.mark.seed("C1")
def test_without_login_a_complete_package_can_be_exported_but_not_agency_data(
    home: Path, tmp_path: Path
) -> None:
    case = str(tmp_path / "case.zip")
    cli(home, "package", "new", "--type", "utility", "--out", case)
    refused = cli(home, "package", "set", case, "agency.name=某某专利代理事务所", "--json")
    assert refused.returncode != 0
    assert refused.error["code"] == "AGENCY_LOGIN_REQUIRED"
    assert "代理机构" in refused.error["message"]
    assert "Traceback" not in refused.stderr
    exported = cli(home, "package", "export", case, "--out", str(tmp_path / "out.zip"), "--json")
    assert exported.returncode == 0, exported.stderr
    assert exported.json["path"] == str(tmp_path / "out.zip")
    listed = cli(home, "package", "list", "--json").json
    assert {e["origin"] for e in listed} == {"new", "export"}


@pytest.mark.seed("C8")
def test_agency_user_can_enter_agency_data(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    cli(home, "package", "new", "--type", "invention", "--out", case)
    login_as(home, role="handler", org_kind="legal")
    assert (
        cli(home, "package", "set", case, "agency.name=X", "--json").error["code"]
        == "AGENCY_LOGIN_REQUIRED"
    )
    login_as(home)  # agency sub-account
    done = cli(
        home,
        "package",
        "set",
        case,
        "agency.name=某某专利代理事务所",
        "agency.code=11001",
        "agency.agents.0.name=李四",
        "agency.agents.0.licence=1100123456",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    form = cli(home, "package", "show", case, "--json").json["form"]
    assert form["agency"]["agents"] == [{"name": "李四", "licence": "1100123456"}]


@pytest.mark.seed("C4")
def test_change_prefills_efiling_user_with_the_login_and_lets_it_be_edited(
    home: Path, tmp_path: Path
) -> None:
    case = str(tmp_path / "change.zip")
    login_as(home, name="王五")
    cli(home, "package", "new", "--type", "change", "--out", case)
    form = cli(home, "package", "show", case, "--json").json["form"]
    assert form["efiling_user_after"] == {"user_id": "acct-42", "name": "王五"}
    edited = cli(
        home,
        "package",
        "set",
        case,
        "application_number=201710601862.3",
        "changes.0.item=inventor",
        "changes.0.before=张三",
        "changes.0.after=张三、李四",
        "efiling_user_after.user_id=original-user",
        "efiling_user_after.name=杭州某某科技有限公司",
        "--json",
    )
    assert edited.returncode == 0, edited.stderr
    form = cli(home, "package", "show", case, "--json").json["form"]
    assert form["changes"] == [{"item": "inventor", "before": "张三", "after": "张三、李四"}]
    assert form["efiling_user_after"] == {
        "user_id": "original-user",
        "name": "杭州某某科技有限公司",
    }
    assert cli(home, "package", "validate", case, "--json").json["ok"] is True


@pytest.mark.seed("C5")
def test_ic_layout_package_is_refused(home: Path, tmp_path: Path) -> None:
    result = cli(
        home, "package", "new", "--type", "ic-layout", "--out", str(tmp_path / "ic.zip"), "--json"
    )
    assert result.returncode != 0
    assert result.error["code"] == "IC_LAYOUT_NOT_SUPPORTED"
    assert "集成电路布图设计电子申请平台" in result.error["message"]
    assert not (tmp_path / "ic.zip").exists()


@pytest.mark.seed("C7")
def test_general_power_of_attorney_any_filing_method(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    cli(home, "package", "new", "--type", "design", "--out", case)
    cli(
        home,
        "package",
        "set",
        case,
        "applicants.0.name=甲公司",
        "applicants.0.general_poa_number=ZW2023-001234",
    )
    report = cli(home, "package", "validate", case, "--json")
    assert report.returncode == 1
    assert "poa.method" in {e["rule"] for e in report.json["errors"]}
    for method in ("纸件请求", "在线请求", "流程服务请求"):
        cli(home, "package", "set", case, f"applicants.0.general_poa_method={method}", check=False)
        rules = {e["rule"] for e in cli(home, "package", "validate", case, "--json").json["errors"]}
        assert not {"poa.method", "poa.number"} & rules


@pytest.mark.seed("C9")
def test_imported_case_is_listed_and_a_defective_file_can_be_deleted(
    home: Path, tmp_path: Path
) -> None:
    legacy = legacy_package(tmp_path / "legacy.zip")
    imported = cli(home, "package", "import", str(legacy), "--json")
    assert imported.returncode == 0, imported.stderr
    case = imported.json["path"]
    assert Path(case).parent == home / "cases"
    listed = cli(home, "package", "list", "--json").json
    assert [(e["path"], e["title"], e["internal_number"]) for e in listed] == [
        (case, "一种折叠式电动自行车", "AG-2026-0002")
    ]
    report = cli(home, "package", "validate", case, "--json").json
    assert "attachments/power_of_attorney/100007.pdf" in {e["field"] for e in report["errors"]}
    again = cli(home, "package", "import", str(legacy), "--json")
    assert again.error["code"] == "PACKAGE_ALREADY_IMPORTED"
    assert cli(home, "package", "remove", case, "100007.pdf", "--json").json["entries"] == [
        "attachments/power_of_attorney/100007.pdf"
    ]
    assert cli(home, "package", "remove", case, "substantive_examination", "--json").returncode == 0
    report = cli(home, "package", "validate", case, "--json").json
    assert "attachments/power_of_attorney/100007.pdf" not in {e["field"] for e in report["errors"]}
    assert cli(home, "package", "show", case, "--json").json["related"] == []


def test_export_then_import_lists_the_case(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    cli(home, "package", "new", "--type", "fee", "--out", case)
    exported = tmp_path / "exported.zip"
    cli(home, "package", "export", case, "--out", str(exported))
    other_home = tmp_path / "other"
    other_home.mkdir()
    imported = cli(other_home, "package", "import", str(exported), "--json")
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.json["path"]).read_bytes() == exported.read_bytes()
    assert [e["path"] for e in cli(other_home, "package", "list", "--json").json] == [
        imported.json["path"]
    ]


def test_hostile_archive_gives_a_json_error_not_a_traceback(home: Path, tmp_path: Path) -> None:
    import zipfile

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("mimetype", "application/vnd.patentdesk.case+zip")
        zf.writestr("../../etc/evil", "x")
    result = cli(home, "package", "validate", str(evil), "--json")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.error["code"] == "PACKAGE_PATH_TRAVERSAL"
    assert result.json["ok"] is False
    assert result.json["errors"][0]["rule"] == "PACKAGE_PATH_TRAVERSAL"
    for command in (("show", str(evil)), ("import", str(evil)), ("set", str(evil), "title=x")):
        other = cli(home, "package", *command, "--json")
        assert other.returncode != 0 and "Traceback" not in other.stderr
        assert other.error["code"] == "PACKAGE_PATH_TRAVERSAL"


def test_bad_field_and_role_errors_name_the_problem(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    cli(home, "package", "new", "--type", "reexam", "--out", case)
    assert (
        cli(home, "package", "set", case, "rejection_serial=1", "--json").error["code"]
        == "PACKAGE_UNKNOWN_FIELD"
    )
    (tmp_path / "x.bin").write_bytes(b"\x00\x01binary")
    bad = cli(
        home, "package", "add", case, "--role", "statement", str(tmp_path / "x.bin"), "--json"
    )
    assert bad.error["code"] == "PACKAGE_ATTACHMENT_REJECTED"
    role = cli(
        home, "package", "add", case, "--role", "design_views", str(tmp_path / "x.bin"), "--json"
    )
    assert role.error["code"] == "PACKAGE_UNKNOWN_ROLE"
    report = cli(home, "package", "validate", case, "--json")
    assert report.returncode == 1
    assert "reexam.rejection_notice_serial" in {e["rule"] for e in report.json["errors"]}


def test_a_missing_package_file_is_named_as_missing(home: Path, tmp_path: Path) -> None:
    """A typo in the path says "no such file", not that the file is not a ZIP."""
    missing = str(tmp_path / "no-such-case.zip")
    for command in (("validate", missing), ("show", missing), ("set", missing, "title=x")):
        result = cli(home, "package", *command, "--json")
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.error["code"] == "PACKAGE_FILE_NOT_FOUND"
        assert "no-such-case.zip" in result.error["message"]
    assert not (tmp_path / "no-such-case.zip").exists()  # nothing created by mistake
