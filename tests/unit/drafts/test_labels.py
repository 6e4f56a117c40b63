"""What users read about a field: labels for paths, messages without command-line hints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patentdesk.drafts import formspec
from patentdesk.drafts.labels import anchor, field_label, web_message
from patentdesk.packages.forms import InventionForm, ReexamForm


@pytest.mark.parametrize(
    ("path", "lang", "label"),
    [
        ("applicants.0.uscc", "zh", "申请人 1 · 统一社会信用代码"),
        ("applicants.N.general_poa_method", "en", "Applicants · Filing method"),
        ("agency.agents.1.licence", "zh", "专利代理机构 · 代理师 2 · 执业证号"),
        ("attachments/claims", "en", "Claims"),
        ("attachments/abstract", "zh", "说明书摘要"),
        ("title", "zh", "发明创造名称"),
    ],
)
def test_a_path_reads_as_its_labels(path: str, lang: str, label: str) -> None:
    assert field_label(InventionForm, path, lang) == label


def test_findings_point_at_the_field_or_the_attachments() -> None:
    assert field_label(ReexamForm, "rejection_notice_serial", "en").startswith("Rejection")
    assert anchor("applicants.N.uscc") == "f-applicants.0.uscc"
    assert anchor("attachments/claims") == "attachments-section"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("请填写申请号（application_number）", "请填写申请号"),
        ("至少需要一个申请人（请求人）：applicants.0.name", "至少需要一个申请人（请求人）"),
        (
            "中国申请人 1 需要统一社会信用代码（uscc，单位）或居民身份证件号码（id_number，个人）",
            "中国申请人 1 需要统一社会信用代码（单位）或居民身份证件号码（个人）",
        ),
        (
            "A required part is missing: claims (package add --role claims)",
            "A required part is missing: claims",
        ),
        (
            "请至少指定一个国家（designations=ALL 表示全部指定）",
            "请至少指定一个国家（ALL 表示全部指定）",
        ),
        (
            "申请号 x 不正确（格式或校验位），例如 201710601862.3",
            "申请号 x 不正确（格式或校验位），例如 201710601862.3",
        ),
        (
            "Give a valid number (e.g. PCT/CN2024/123456)",
            "Give a valid number (e.g. PCT/CN2024/123456)",
        ),
    ],
)
def test_messages_lose_paths_and_command_line_hints_only(message: str, shown: str) -> None:
    assert web_message(message) == shown


def test_no_rule_message_shows_a_path_or_flag_on_the_web() -> None:
    import ast

    import patentdesk.packages as pkg

    folder = Path(pkg.__file__).parent
    source = "".join(
        (folder / f).read_text() for f in ("rules.py", "rules_business.py", "rules_documents.py")
    )
    for m in re.finditer(r'(?:zh|en)=((?:"[^"]*"\s*)+)', source):
        text = "".join(ast.literal_eval(x) for x in re.findall(r'"[^"]*"', m.group(1)))
        shown = re.sub(r"\{[a-z_]+\}", "…", web_message(text))  # placeholders are filled in
        assert "--" not in shown and "package add" not in shown, shown
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.(?:\d|N)\b", shown), shown


def test_help_comes_from_the_title_or_the_help_table() -> None:
    widgets = {w.path: w for w in formspec.build_view(ReexamForm, {})}
    assert "云端二次下载" in widgets["rejection_notice_serial"].help("zh")
    assert "Cloud re-download" in widgets["rejection_notice_serial"].help("en")
    assert widgets["rejection_notice_serial"].label("zh") == "驳回决定发文序列号"
