from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patentdesk.packages import editing, read_package, validate
from patentdesk.packages.claims import claim_references, parse_claims
from patentdesk.packages.validation import ValidationContext, ValidationReport, iter_rules
from tests.unit.packages.conftest import AGENCY, needs_font
from tests.unit.packages.helpers import VALID_ID, pdf_bytes, png_bytes

TODAY = dt.date(2026, 3, 1)


def run(path: Path, context: ValidationContext | None = None) -> ValidationReport:
    with read_package(path) as package:
        return validate(package, context or ValidationContext(filing_date=TODAY))


def rules_of(report: ValidationReport, severity: str = "error") -> set[str]:
    return {f.rule for f in (report.errors if severity == "error" else report.warnings)}


def test_complete_invention_is_valid(invention: Path) -> None:
    report = run(invention)
    assert report.ok, report.to_dict()
    assert report.to_dict() == {"ok": True, "errors": [], "warnings": []}


def test_every_rule_has_id_field_messages_severity() -> None:
    rules = list(iter_rules())
    assert len({r.id for r in rules}) == len(rules) >= 40
    for r in rules:
        assert r.id and r.field and r.zh and r.en and r.severity in ("error", "warning")


def test_empty_invention_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "c.zip"
    editing.new_package("invention", path)
    report = run(path)
    assert {
        "title.required",
        "applicants.required",
        "inventors.required",
        "parts.required",
    } <= rules_of(report)
    fields = {f.field for f in report.errors}
    assert {
        "title",
        "attachments/claims",
        "attachments/description",
        "attachments/abstract",
    } <= fields
    finding = next(f for f in report.errors if f.rule == "title.required")
    assert "title" in finding.message_zh and "title" in finding.message_en


def test_title_length_comes_from_data(invention: Path) -> None:
    editing.set_fields(invention, ["title=" + "电" * 41])
    assert "title.length" in rules_of(run(invention))
    editing.set_fields(invention, ["title=" + "电" * 40])
    report = run(invention)
    assert "title.length" not in rules_of(report)
    assert "title.recommended_length" in rules_of(report, "warning")


@needs_font
def test_abstract_length(invention: Path) -> None:
    editing.remove_entry(invention, "abstract")
    editing.add_attachment(invention, "abstract", ("电" * 301).encode(), filename="abstract.txt")
    finding = next(f for f in run(invention).errors if f.rule == "abstract.length")
    assert "301" in finding.message_zh and "300" in finding.message_en


@needs_font
@pytest.mark.parametrize(
    ("claims", "rule"),
    [
        ("1. 一种车。\n3. 根据权利要求1所述的车。\n", "claims.numbering"),
        ("2. 一种车。\n", "claims.numbering"),
        ("1. 一种车。\n2. 根据权利要求2所述的车。\n", "claims.reference"),
        ("1. 一种车。\n2. 根据权利要求3所述的车。\n3. 一种方法。\n", "claims.reference"),
        ("1. 一种车。\n2. 根据权利要求1-3中任一项所述的车。\n3. 一种方法。\n", "claims.reference"),
    ],
)
def test_claims_rules(invention: Path, claims: str, rule: str) -> None:
    editing.remove_entry(invention, "claims")
    editing.add_attachment(invention, "claims", claims.encode(), filename="claims.txt")
    assert rule in rules_of(run(invention))


def test_claims_parsing() -> None:
    text = "1. 一种车，长2.5米。\n2、根据权利要求1或2所述的车。\n3．根据权利要求1至2所述。"
    claims = parse_claims(text)
    assert [n for n, _ in claims] == [1, 2, 3]
    assert claim_references(claims[1][1]) == [1, 2]
    assert sorted(claim_references(claims[2][1])) == [1, 2]
    assert claim_references("as in claims 1 to 3") == [1, 2, 3]


@needs_font
def test_claims_read_from_a_pdf_text_layer(invention: Path) -> None:
    from patentdesk.pdf import render_text

    editing.remove_entry(invention, "claims")
    bad = render_text("1. 一种车。\n2. 根据权利要求5所述的车。", title="权利要求书")
    editing.add_attachment(invention, "claims", bad, filename="claims.pdf")
    assert "claims.reference" in rules_of(run(invention))
    editing.remove_entry(invention, "claims")
    editing.add_attachment(invention, "claims", pdf_bytes(), filename="scan.pdf")
    report = run(invention)
    assert report.ok and "claims.text" in rules_of(report, "warning")


def test_applicant_identity_numbers(invention: Path) -> None:
    editing.set_fields(invention, ["applicants.0.uscc=91350100M000100Y44"])
    assert "applicant.uscc" in rules_of(run(invention))
    editing.set_fields(
        invention, ["applicants.0.uscc=", "applicants.0.id_number=110105194912310021"]
    )
    report = run(invention)
    assert "applicant.id_number" in rules_of(report)
    assert (
        next(f for f in report.errors if f.rule == "applicant.id_number").field
        == "applicants.0.id_number"
    )
    editing.set_fields(invention, [f"applicants.0.id_number={VALID_ID}"])
    assert run(invention).ok
    editing.set_fields(invention, ["applicants.0.id_number="])
    assert "applicant.identity" in rules_of(run(invention))
    editing.set_fields(invention, ["applicants.0.country=US"])
    assert "applicant.identity" not in rules_of(run(invention))


@pytest.mark.parametrize("code", ["31001", "3100123", "31001a"])
def test_postal_code(invention: Path, code: str) -> None:
    editing.set_fields(invention, [f"applicants.0.postal_code={code}"])
    assert "applicant.postal_code" in rules_of(run(invention))


def test_at_least_one_inventor(invention: Path) -> None:
    editing.set_fields(invention, ["inventors.0="])
    assert "inventors.required" in rules_of(run(invention))


def test_utility_model_needs_drawings(tmp_path: Path) -> None:
    path = tmp_path / "u.zip"
    editing.new_package("utility", path)
    assert "utility.drawings" in rules_of(run(path))
    editing.add_attachment(path, "drawings", png_bytes(), filename="fig1.png")
    assert "utility.drawings" not in rules_of(run(path))


@pytest.mark.parametrize(
    ("business", "priority", "filing", "ok"),
    [
        ("invention", "2025-03-01", "2026-03-01", True),  # exactly 12 months
        ("invention", "2025-02-28", "2026-03-01", False),
        ("invention", "2025-03-02", "2026-03-02", True),
        ("invention", "2025-02-27", "2026-03-02", False),  # ended Friday 2026-02-27
        # The last day is a day off: the period ends on the next working day (r. 5).
        ("invention", "2025-03-01", "2026-03-02", True),  # Sunday 2026-03-01
        ("invention", "2025-02-17", "2026-02-24", True),  # 春节 2026-02-17 … 02-23
        ("invention", "2025-02-17", "2026-02-25", False),
        ("design", "2025-09-01", "2026-03-01", True),  # exactly 6 months
        ("design", "2025-08-31", "2026-03-01", False),
        # Saturday 2026-02-28 is a 调休 working day: no shift.
        ("design", "2025-08-28", "2026-03-02", False),
    ],
)
def test_priority_period(
    tmp_path: Path, business: str, priority: str, filing: str, ok: bool
) -> None:
    path = tmp_path / "p.zip"
    editing.new_package(business, path)
    editing.set_fields(
        path,
        [
            "priorities.0.country=US",
            "priorities.0.number=63/123456",
            f"priorities.0.date={priority}",
        ],
    )
    report = run(path, ValidationContext(filing_date=dt.date.fromisoformat(filing)))
    assert ("priority.period" not in rules_of(report)) is ok


def test_priority_date_after_filing(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    editing.new_package("invention", path)
    editing.set_fields(
        path, ["priorities.0.country=US", "priorities.0.number=1", "priorities.0.date=2026-04-01"]
    )
    assert "priority.future" in rules_of(run(path))


def test_filing_date_defaults_to_today_in_beijing() -> None:
    import time_machine

    # 2026-01-31 17:00 UTC is already 1 February in Beijing.
    with time_machine.travel(dt.datetime(2026, 1, 31, 17, 0, tzinfo=dt.UTC), tick=False):
        assert ValidationContext().filing_date == dt.date(2026, 2, 1)


@pytest.mark.seed("C7")
@pytest.mark.parametrize(
    "method", ["paper", "online", "process_service", "纸件请求", "在线请求", "流程服务请求"]
)
def test_general_poa_any_filing_method_is_accepted(invention: Path, method: str) -> None:
    editing.set_fields(
        invention,
        [
            "applicants.0.general_poa_number=ZW2023-001234",
            f"applicants.0.general_poa_method={method}",
        ],
    )
    assert run(invention).ok


def test_general_poa_number_needs_method_and_format(invention: Path) -> None:
    editing.set_fields(invention, ["applicants.0.general_poa_number=ZW2023-001234"])
    assert "poa.method" in rules_of(run(invention))
    editing.set_fields(
        invention, ["applicants.0.general_poa_number=12", "applicants.0.general_poa_method=online"]
    )
    assert "poa.number" in rules_of(run(invention))


def test_agency_needs_power_of_attorney_and_agency_login(invention: Path) -> None:
    editing.set_fields(
        invention,
        [
            "agency.name=某某专利代理事务所",
            "agency.code=11001",
            "agency.agents.0.name=李四",
            "agency.agents.0.licence=1100123456",
        ],
        AGENCY,
    )
    offline = run(invention)
    assert "poa.missing" in rules_of(offline)
    # Not logged in: the identity rule says that it needs the identity, as a warning.
    warning = next(f for f in offline.warnings if f.rule == "agency.login")
    assert "未登录" in warning.message_zh and "not logged in" in warning.message_en
    natural = ValidationContext(role="natural", user_id="u1", filing_date=TODAY)
    assert "agency.login" in rules_of(run(invention, natural))
    agency = ValidationContext(role="handler", org_kind="agency", user_id="u2", filing_date=TODAY)
    editing.add_attachment(invention, "power_of_attorney", pdf_bytes(), filename="poa.pdf")
    assert run(invention, agency).ok
    submitting = ValidationContext(filing_date=TODAY, submitting=True)
    assert "agency.login" in rules_of(run(invention, submitting))


def test_attachment_type_and_readability(invention: Path) -> None:
    editing.add_attachment(invention, "other", b"%PDF-1.4 broken", filename="broken.pdf")
    report = run(invention)
    assert any(
        f.rule == "attachment.readable" and f.field == "attachments/other/broken.pdf"
        for f in report.errors
    )
    editing.remove_entry(invention, "broken.pdf")
    editing.add_attachment(invention, "drawings", png_bytes()[:40], filename="cut.png")
    assert "attachment.readable" in rules_of(run(invention))


def test_required_parts_per_business_type(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    editing.new_package("design", path)
    missing = {f.field for f in run(path).errors if f.rule == "parts.required"}
    assert missing == {"attachments/design_views", "attachments/brief_description"}


def test_reexam_needs_rejection_notice_serial(tmp_path: Path) -> None:
    path = tmp_path / "r.zip"
    editing.new_package("reexam", path)
    editing.set_fields(path, ["application_number=201710601862.3"])
    assert "reexam.rejection_notice_serial" in rules_of(run(path))
    editing.set_fields(path, ["rejection_notice_serial=2026021900123450"])
    assert "reexam.rejection_notice_serial" not in rules_of(run(path))


def test_application_number_check_digit(tmp_path: Path) -> None:
    path = tmp_path / "f.zip"
    editing.new_package("fee", path)
    editing.set_fields(path, ["application_number=201710601862.4", "fee_items.0.code=100001"])
    assert rules_of(run(path)) == {"application_number.format"}


@pytest.mark.seed("C4")
def test_change_lists_only_chosen_items_and_needs_efiling_user(tmp_path: Path) -> None:
    path = tmp_path / "c.zip"
    editing.new_package("change", path)
    editing.set_fields(path, ["application_number=201710601862.3"])
    report = run(path)
    assert {"change.items", "change.efiling_user"} <= rules_of(report)
    finding = next(f for f in report.errors if f.rule == "change.efiling_user")
    assert "未登录" in finding.message_zh
    editing.set_fields(
        path,
        [
            "changes.0.item=发明人",
            "changes.0.before=张三",
            "changes.0.after=张三、李四",
            "efiling_user_after.name=杭州某某科技有限公司",
        ],
    )
    assert run(path).ok
    with read_package(path) as package:
        assert package.form["changes"] == [
            {"item": "inventor", "before": "张三", "after": "张三、李四"}
        ]


def test_pct_national_number_and_period(tmp_path: Path) -> None:
    path = tmp_path / "n.zip"
    editing.new_package("pct-national", path)
    editing.set_fields(
        path,
        [
            "international_application_number=PCT/CN/2023/123456",
            "international_filing_date=2023-06-01",
        ],
    )
    assert "pct_national.international_number" not in rules_of(run(path))
    assert "pct_national.period" in rules_of(run(path))  # 32 months ended 2026-02-01
    editing.set_fields(path, ["international_application_number=CN2023/1"])
    assert "pct_national.international_number" in rules_of(run(path))


def test_pct_designates_all_states_by_default(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    editing.new_package("pct", path)
    with read_package(path) as package:
        assert package.form["designations"] == ["ALL"] and package.form["receiving_office"] == "CN"
    editing.set_fields(path, ["designations=US,EP,jp1"])
    assert "pct.designations" in rules_of(run(path))
