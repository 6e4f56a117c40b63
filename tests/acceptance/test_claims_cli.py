"""Claims and description checked like a formalities officer, through the offline client
(issue 16): ``package validate`` names each claim and paragraph, ``package claims`` prints
the claim tree, ``package set abstract_figure=N`` designates the abstract figure and
``fees quote`` charges the excess claims the package really has."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli
from tests.unit.packages.helpers import VALID_USCC, has_cjk_font, png_bytes

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")

CLAIMS = (
    "1. 一种折叠式电动自行车，包括车架(1)和车轮(2)。\n"
    "2. 根据权利要求1所述的电动自行车，其特征在于，所述车架可折叠。\n"
    "3. 根据权利要求1或2所述的电动自行车，其特征在于，所述车轮为实心轮。\n"
    "4. 根据权利要求1和2所述的电动自行车，其特征在于，还包括电池3。\n"
    "5. 根据权利要求3或4所述的电动自行车，其特征在于，所述座椅可调。\n"
    "6. 一种折叠电动自行车的方法，包括：展开车架。\n"
)
DESCRIPTION = (
    "一种折叠式电动自行车\n"
    "技术领域\n[0001] 本发明涉及电动自行车。\n"
    "发明内容\n[0002] 本发明提供一种可折叠的电动自行车。\n"
    "背景技术\n[0003] 现有电动自行车不便携带。\n"
    "附图说明\n[0004] 图1是侧视图；图3是俯视图。\n"
    "具体实施方式\n[0006] 如图1所示，车架中部设有折叠机构。\n"
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, env=cli_env(home=home))


def new_case(home: Path, tmp_path: Path, claims: str, description: str) -> str:
    case = str(tmp_path / "case.zip")
    assert cli(home, "package", "new", "--type", "invention", "--out", case).returncode == 0
    r = cli(
        home,
        "package",
        "set",
        case,
        "title=一种折叠式电动自行车",
        "applicants.0.name=杭州某某科技有限公司",
        f"applicants.0.uscc={VALID_USCC}",
        "applicants.0.address=浙江省杭州市西湖区文三路1号",
        "applicants.0.postal_code=310012",
        "inventors.0.name=张三",
    )
    assert r.returncode == 0, r.stderr
    parts = {"claims": claims, "description": description, "abstract": "一种折叠式电动自行车。\n"}
    for role, text in parts.items():
        (tmp_path / f"{role}.txt").write_text(text, "utf-8")
        r = cli(home, "package", "add", case, "--role", role, str(tmp_path / f"{role}.txt"))
        assert r.returncode == 0, r.stderr
    return case


def by_rule(report: dict, rule: str) -> list[dict]:
    return [f for f in report["errors"] + report["warnings"] if f["rule"] == rule]


@pytest.mark.seed("C3")
def test_validate_names_each_claim_and_paragraph(home: Path, tmp_path: Path) -> None:
    case = new_case(home, tmp_path, CLAIMS, DESCRIPTION)
    (tmp_path / "fig1.png").write_bytes(png_bytes())
    (tmp_path / "fig2.png").write_bytes(png_bytes())
    for name in ("fig1.png", "fig2.png"):
        r = cli(home, "package", "add", case, "--role", "drawings", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
    r = cli(home, "package", "validate", case, "--json")
    assert r.returncode == 1
    report = r.json
    # r. 25: «1和2» is cumulative; claim 5 (on 3 or 4) rests on multiple dependent claims.
    (cumulative,) = by_rule(report, "claims.multiple_alternative")
    assert cumulative["field"] == "attachments/claims#4"
    assert "权利要求 4" in cumulative["message"] and "Claim 4" in cumulative["message_en"]
    (basis,) = by_rule(report, "claims.multiple_basis")
    assert basis["field"] == "attachments/claims#5" and "r. 25" in basis["message_en"]
    (sign,) = by_rule(report, "claims.reference_sign")
    assert sign["field"] == "attachments/claims#4" and sign["severity"] == "warning"
    (said,) = by_rule(report, "claims.antecedent")
    assert said["field"] == "attachments/claims#5" and "所述座椅" in said["message"]
    # The description: order of sections, a missing number, figures both ways.
    (order,) = by_rule(report, "description.section_order")
    assert "背景技术" in order["message"] and "Background art" in order["message_en"]
    (numbers,) = by_rule(report, "description.paragraph_numbers")
    assert numbers["field"] == "attachments/description#0006"
    (missing,) = by_rule(report, "description.figure_missing")
    assert missing["field"] == "attachments/description#0004" and "图3" in missing["message"]
    (unmentioned,) = by_rule(report, "description.figure_unmentioned")
    assert "图2" in unmentioned["message"] and "Figure 2" in unmentioned["message_en"]
    (figure,) = by_rule(report, "abstract.figure")
    assert figure["severity"] == "warning"

    # The plain-text report names the claim too.
    text = cli(home, "package", "validate", case)
    assert "attachments/claims#4" in text.stdout and "r. 25" in text.stdout

    # The abstract figure is designated by number; a figure no drawing carries is an error.
    assert cli(home, "package", "set", case, "abstract_figure=7").returncode == 0
    report = cli(home, "package", "validate", case, "--json").json
    (wrong,) = by_rule(report, "abstract.figure_number")
    assert wrong["field"] == "abstract_figure" and "图7" in wrong["message"]
    assert by_rule(report, "abstract.figure") == []
    assert cli(home, "package", "set", case, "abstract_figure=1").returncode == 0
    report = cli(home, "package", "validate", case, "--json").json
    assert by_rule(report, "abstract.figure_number") == []
    assert by_rule(report, "abstract.figure") == []
    shown = cli(home, "package", "show", case, "--json").json
    assert shown["form"]["abstract_figure"] == 1


def test_claims_command_prints_the_tree(home: Path, tmp_path: Path) -> None:
    case = new_case(home, tmp_path, CLAIMS, DESCRIPTION)
    r = cli(home, "package", "claims", case, "--json")
    assert r.returncode == 0, r.stderr
    data = r.json
    assert data["count"] == 6
    assert data["categories"] == {"product": [1], "method": [6]}
    tree = {n["number"]: n for n in data["tree"]}
    assert sorted(tree) == [1, 6]
    assert [d["number"] for d in tree[1]["dependents"]] == [2, 3, 4]
    three = tree[1]["dependents"][1]
    assert three["refers_to"] == [1, 2] and [d["number"] for d in three["dependents"]] == [5]
    text = cli(home, "package", "claims", case)
    assert text.returncode == 0 and "方法 method: 6" in text.stdout

    empty = str(tmp_path / "empty.zip")
    assert cli(home, "package", "new", "--type", "invention", "--out", empty).returncode == 0
    r = cli(home, "package", "claims", empty, "--json")
    assert r.returncode != 0 and r.error["code"] == "VALIDATION_FAILED"
    assert "package add --role claims" in r.error["message"]


@pytest.mark.seed("E1")
def test_fee_quote_charges_the_claims_beyond_ten(home: Path, tmp_path: Path) -> None:
    twelve = "1. 一种车，包括车架。\n" + "".join(
        f"{i}. 根据权利要求1所述的车，其特征在于，所述车架为第{i}种。\n" for i in range(2, 13)
    )
    case = new_case(home, tmp_path, twelve, DESCRIPTION)
    r = cli(home, "fees", "quote", case, "--date", "2026-03-01", "--json")
    assert r.returncode == 0, r.stderr
    items = {i["code"]: i for i in r.json["items"]}
    assert items["excess_claims"]["count"] == 2, r.json
    assert float(items["excess_claims"]["amount"]) == 300
    # Ten claims: no excess.
    ten = "".join(twelve.splitlines(keepends=True)[:10])
    (tmp_path / "ten").mkdir()
    case = new_case(home, tmp_path / "ten", ten, DESCRIPTION)
    r = cli(home, "fees", "quote", case, "--date", "2026-03-01", "--json")
    assert "excess_claims" not in {i["code"] for i in r.json["items"]}
