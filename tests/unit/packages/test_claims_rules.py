"""The examiner-style checks on the claims, the description and the abstract figure (issue 16):
each rule positive and negative, through a real package and ``validate``."""

from __future__ import annotations

from pathlib import Path

from patentdesk.fees.adapter import _count_claims
from patentdesk.packages import editing, read_package
from patentdesk.packages.claims import analyse
from patentdesk.packages.description import analyse as analyse_description
from patentdesk.packages.description import figures_supplied
from patentdesk.packages.validation import Finding
from tests.unit.packages.helpers import pdf_bytes, png_bytes
from tests.unit.packages.test_rules import run

GOOD_CLAIMS = (
    "1. 一种折叠式电动自行车，包括车架(1)和车轮(2)。\n"
    "2. 根据权利要求1所述的电动自行车，其特征在于，所述车架可折叠。\n"
    "3. 根据权利要求1或2所述的电动自行车，其特征在于，所述车轮为实心轮。\n"
    "4. 一种折叠电动自行车的方法，包括：展开车架。\n"
)
GOOD_DESCRIPTION = (
    "一种折叠式电动自行车\n"
    "技术领域\n[0001] 本发明涉及电动自行车。\n"
    "背景技术\n[0002] 现有电动自行车不便携带。\n"
    "发明内容\n[0003] 本发明提供一种可折叠的电动自行车。\n"
    "附图说明\n[0004] 图1是电动自行车的侧视图；图2是折叠后的示意图。\n"
    "具体实施方式\n[0005] 如图1和图2所示，车架中部设有折叠机构。\n"
)


def set_claims(path: Path, text: str) -> None:
    editing.remove_entry(path, "claims")
    editing.add_attachment(path, "claims", text.encode(), filename="claims.txt")


def set_description(path: Path, text: str) -> None:
    editing.remove_entry(path, "description")
    editing.add_attachment(path, "description", text.encode(), filename="description.txt")


def findings(path: Path, rule: str) -> list[Finding]:
    report = run(path)
    return [f for f in report.errors + report.warnings if f.rule == rule]


# --------------------------------------------------------------------------- claims


def test_well_formed_claims_raise_nothing(invention: Path) -> None:
    set_claims(invention, GOOD_CLAIMS)
    report = run(invention)
    assert report.ok and report.warnings == [], report.to_dict()


def test_numbering_names_the_claim(invention: Path) -> None:
    set_claims(invention, "1. 一种车。\n2. 根据权利要求1所述的车。\n4. 根据权利要求1所述的车。\n")
    (f,) = findings(invention, "claims.numbering")
    assert f.severity == "error" and f.field == "attachments/claims#4"
    assert "第 3 项编号为 4，应为 3" in f.message_zh and "expected 3" in f.message_en


def test_reference_to_a_later_claim_names_the_claim(invention: Path) -> None:
    set_claims(invention, "1. 一种车。\n2. 根据权利要求3所述的车。\n3. 根据权利要求1所述的车。\n")
    (f,) = findings(invention, "claims.reference")
    assert f.field == "attachments/claims#2"
    assert "权利要求 2" in f.message_zh and "Claim 2 refers to claim 3" in f.message_en


def test_multiple_dependent_claim_must_be_in_the_alternative(invention: Path) -> None:
    set_claims(
        invention, "1. 一种车。\n2. 根据权利要求1所述的车。\n3. 根据权利要求1和2所述的车。\n"
    )
    (f,) = findings(invention, "claims.multiple_alternative")
    assert f.severity == "error" and f.field == "attachments/claims#3"
    assert "第二十五条" in f.message_zh and "r. 25" in f.message_en
    assert "1、2" in f.message_zh
    for alternative in ("1或2", "1或者2", "1-2中任一项", "1至2中任意一项"):
        set_claims(
            invention,
            f"1. 一种车。\n2. 根据权利要求1所述的车。\n3. 根据权利要求{alternative}所述的车。\n",
        )
        assert findings(invention, "claims.multiple_alternative") == [], alternative


def test_multiple_reference_without_stated_alternative_is_a_warning(invention: Path) -> None:
    set_claims(
        invention, "1. 一种车。\n2. 根据权利要求1所述的车。\n3. 根据权利要求1、2所述的车。\n"
    )
    (f,) = findings(invention, "claims.multiple_alternative")
    assert f.severity == "warning" and f.field == "attachments/claims#3"
    assert "择一" in f.message_zh and "alternatives" in f.message_en


def test_multiple_dependent_claim_on_a_multiple_dependent_claim(invention: Path) -> None:
    claims = (
        "1. 一种车。\n2. 根据权利要求1所述的车。\n"
        "3. 根据权利要求1或2所述的车。\n"
        "4. 根据权利要求2或3所述的车。\n"
        "5. 根据权利要求3所述的车。\n"
    )
    set_claims(invention, claims)
    (f,) = findings(invention, "claims.multiple_basis")
    assert f.severity == "error" and f.field == "attachments/claims#4"
    assert "多项从属权利要求 4" in f.message_zh and "claim 3" in f.message_en
    # A single dependent claim on a multiple dependent one is allowed (claim 5).
    set_claims(invention, claims.replace("4. 根据权利要求2或3", "4. 根据权利要求2"))
    assert findings(invention, "claims.multiple_basis") == []


def test_reference_signs_outside_parentheses(invention: Path) -> None:
    set_claims(invention, "1. 一种车，包括车架1和车轮2，车长2.5米，有3个座位。\n")
    found = findings(invention, "claims.reference_sign")
    assert [f.severity for f in found] == ["warning", "warning"]
    assert {f.field for f in found} == {"attachments/claims#1"}
    assert "“车架(1)”" in found[0].message_zh and "«车轮(2)»" in found[1].message_en
    set_claims(invention, "1. 一种车，包括车架（1）和车轮(2)，车长2.5米，有3个座位。\n")
    assert findings(invention, "claims.reference_sign") == []


def test_said_feature_without_antecedent_is_a_warning(invention: Path) -> None:
    set_claims(
        invention,
        "1. 一种车，包括车架。\n2. 根据权利要求1所述的车，其特征在于，所述电池位于所述车架下方。\n",
    )
    (f,) = findings(invention, "claims.antecedent")
    assert f.severity == "warning" and f.field == "attachments/claims#2"
    assert "“所述电池”" in f.message_zh and "no antecedent basis" in f.message_en
    # The feature introduced in the claim the dependent claim refers to is its antecedent …
    set_claims(
        invention,
        "1. 一种车，包括车架和电池。\n2. 根据权利要求1所述的车，其特征在于，所述电池位于所述车架下方。\n",
    )
    assert findings(invention, "claims.antecedent") == []
    # … but not a feature of a claim outside its chain.
    set_claims(
        invention,
        "1. 一种车，包括车架。\n2. 根据权利要求1所述的车，还包括电池。\n"
        "3. 根据权利要求1所述的车，其特征在于，所述电池可拆卸。\n",
    )
    (f,) = findings(invention, "claims.antecedent")
    assert f.field == "attachments/claims#3"


def test_independent_claims_by_category_and_tree() -> None:
    a = analyse(
        "1. 一种车，包括车架。\n2. 根据权利要求1所述的车，其特征在于车架可折叠。\n"
        "3. 一种制造权利要求1所述车的方法，包括焊接。\n4. 根据权利要求3所述的方法，还包括喷漆。\n"
        "5. 权利要求1所述的车在运输中的应用。\n6. 根据权利要求1或2所述的车，还包括灯。\n"
    )
    assert a.count == 6
    assert a.categories() == {"product": [1], "method": [3], "use": [5]}
    tree = {n.claim.number: [c.claim.number for c in n.children] for n in a.tree()}
    assert tree == {1: [2, 6], 3: [4], 5: []}
    assert a.to_dict()["independent"] == [1, 3, 5]


def test_claim_count_for_fees_counts_every_claim() -> None:
    # The fee is charged for every claim filed, numbered correctly or not.
    assert (
        _count_claims("1. 一种车。\n2. 根据权利要求1所述的车。\n4. 根据权利要求1所述的车。\n") == 3
    )
    twelve = "\n".join(f"{i}. 根据权利要求1所述的车。" for i in range(1, 13))
    assert _count_claims("1. 一种车。\n" + twelve.split("\n", 1)[1]) == 12


# --------------------------------------------------------------------------- description


def test_well_formed_description_with_drawings_raises_nothing(invention: Path) -> None:
    set_description(invention, GOOD_DESCRIPTION)
    editing.add_attachment(invention, "drawings", png_bytes(), filename="fig1.png")
    editing.add_attachment(invention, "drawings", png_bytes(), filename="fig2.png")
    editing.set_fields(invention, ["abstract_figure=1"])
    report = run(invention)
    assert report.ok and report.warnings == [], report.to_dict()


def test_missing_and_misordered_sections(invention: Path) -> None:
    text = GOOD_DESCRIPTION.replace("背景技术\n", "").replace("附图说明\n", "")
    text = text.replace("技术领域\n[0001] 本发明涉及电动自行车。\n", "")
    text += "技术领域\n[0006] 本发明涉及电动自行车。\n"
    set_description(invention, text)
    missing = findings(invention, "description.sections")
    assert {f.message_zh for f in missing} == {
        "说明书缺少“背景技术”部分（专利法实施细则第二十条）",
    }  # 附图说明 is not asked for without drawings
    (order,) = findings(invention, "description.section_order")
    assert order.field == "attachments/description#p8"
    assert "“技术领域”部分（第 8 段）应当在“发明内容”" in order.message_zh
    assert "«Technical field» section (paragraph 8) belongs before its «Summary»" in (
        order.message_en
    )
    editing.add_attachment(invention, "drawings", png_bytes(), filename="fig1.png")
    names = {f.message_en for f in findings(invention, "description.sections")}
    assert any("Description of drawings" in n for n in names)


def test_paragraph_numbers(invention: Path) -> None:
    set_description(invention, GOOD_DESCRIPTION.replace("[0005]", "[0007]"))
    (f,) = findings(invention, "description.paragraph_numbers")
    assert f.field == "attachments/description#0007" and "[0007] 应为 [0005]" in f.message_zh
    set_description(invention, GOOD_DESCRIPTION.replace("[0003] ", ""))
    (f,) = findings(invention, "description.paragraph_numbers")
    assert f.field.startswith("attachments/description#p") and "没有编号" in f.message_zh
    set_description(invention, "技术领域\n本发明涉及车。\n背景技术\n现有的车。\n")
    (f,) = findings(invention, "description.paragraph_numbers")
    assert f.field == "attachments/description" and "not numbered" in f.message_en


def test_figures_mentioned_and_supplied_match(invention: Path) -> None:
    set_description(invention, GOOD_DESCRIPTION.replace("图2是", "图3是"))
    editing.add_attachment(invention, "drawings", png_bytes(), filename="fig1.png")
    editing.add_attachment(invention, "drawings", png_bytes(), filename="fig2.png")
    editing.add_attachment(invention, "abstract_drawing", png_bytes(), filename="abs.png")
    (missing,) = findings(invention, "description.figure_missing")
    assert missing.field == "attachments/description#0004"
    assert "[0004]提到了图3" in missing.message_zh and "2 supplied" in missing.message_en
    assert findings(invention, "description.figure_unmentioned") == []  # 图2 in [0005]
    set_description(invention, GOOD_DESCRIPTION.replace("图2", "图1"))
    (unmentioned,) = findings(invention, "description.figure_unmentioned")
    assert unmentioned.field == "attachments/drawings" and "图2" in unmentioned.message_zh


def test_figures_supplied_by_name_or_page() -> None:
    assert figures_supplied([("d/fig2.png", 1), ("d/fig1.png", 1)]) == [1, 2]
    assert figures_supplied([("d/图3.png", 1)]) == [3]
    assert figures_supplied([("d/drawings.pdf", 3), ("d/extra.png", 1)]) == [1, 2, 3, 4]
    mentions = analyse_description("[0001] 见图1至图3，以及图5、6。").mentions
    assert sorted(mentions) == [1, 2, 3, 5, 6]


def test_abstract_figure_designation(invention: Path) -> None:
    editing.add_attachment(invention, "drawings", pdf_bytes(2), filename="drawings.pdf")
    (f,) = findings(invention, "abstract.figure")
    assert f.severity == "warning" and f.field == "attachments/abstract_drawing"
    editing.set_fields(invention, ["abstract_figure=3"])
    assert findings(invention, "abstract.figure") == []
    (wrong,) = findings(invention, "abstract.figure_number")
    assert wrong.severity == "error" and wrong.field == "abstract_figure"
    assert "图3" in wrong.message_zh and "2 supplied" in wrong.message_en
    editing.set_fields(invention, ["abstract_figure=2"])
    assert findings(invention, "abstract.figure_number") == []
    editing.set_fields(invention, ["abstract_figure="])
    editing.add_attachment(invention, "abstract_drawing", png_bytes(), filename="abs.png")
    assert findings(invention, "abstract.figure") == []


def test_description_without_text_is_not_checked(invention: Path) -> None:
    # The fixture's description is a PDF without a text layer: nothing to read, nothing said.
    with read_package(invention) as package:
        assert package.attachments("description")
    assert [f for f in run(invention).warnings if f.rule.startswith("description.")] == []


def test_utility_model_summary_heading_counts_as_the_summary(invention: Path) -> None:
    set_description(
        invention,
        GOOD_DESCRIPTION.replace("发明内容", "实用新型内容")
        .replace("附图说明\n[0004] 图1是电动自行车的侧视图；图2是折叠后的示意图。\n", "")
        .replace("[0005] 如图1和图2所示，", "[0004] "),
    )
    assert findings(invention, "description.sections") == []
    assert findings(invention, "description.paragraph_numbers") == []


def test_claim_numbers_as_cnipa_xml_writes_them() -> None:
    # The legacy importer writes a CNIPA XML claim num="0002" as «0002. …».
    a = analyse("0001. 1.一种车，包括车架。\n0002. 2.根据权利要求1所述的车。\n")
    assert [(c.number, c.refs, c.independent) for c in a.claims] == [
        (1, (), True),
        (2, (1,), False),
    ]
    assert a.claims[1].text.startswith("根据")
