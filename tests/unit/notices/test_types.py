from datetime import date

import pytest

from patentdesk.notices import types as nt

REQUIRED = {
    "200101": None,
    "200102": None,
    "200103": None,
    "200105": None,
    "200021": None,
    "200022": 2,
    "200024": None,
    "200029": 2,
    "200031": None,
    "200305": 3,
    "210407": 3,
    "200602": 2,
    "200701": None,
    "200702": 2,
    "200905": None,
    "200908": 1,
    "200912": 3,
    "201003": None,
    "201019": 3,
    "210301": 2,
    "210302": 2,
    "210401": 4,
    "210403": 2,
    "210413": None,
    "220601": None,
    "230601": None,
}


@pytest.mark.parametrize(("code", "months"), sorted(REQUIRED.items()))
def test_required_types_and_periods(code, months):
    t = nt.notice_type(code)
    assert t.code == code and t.name_zh and t.name_en and t.template_zh
    assert (t.period.months if t.period else None) == months


def test_names_from_the_reference():
    assert nt.notice_type("200029").name_zh == "办理手续补正通知书"
    assert nt.notice_type("200105").name_zh == "电子申请回执"
    assert nt.notice_type("200701").name_zh == "缴费通知书"
    assert nt.notice_type("200905").name_zh == "复审请求受理通知书"
    assert nt.notice_type("201003").name_zh == "无效宣告受理通知书"
    assert nt.notice_type("210407").name_zh == "驳回决定"


def test_all_types_sorted_and_complete():
    codes = [t.code for t in nt.all_notice_types()]
    assert codes == sorted(codes)
    assert set(REQUIRED) <= set(codes)


def test_rejection_decisions():
    assert nt.is_rejection_decision("200305")
    assert nt.is_rejection_decision("210407")
    assert nt.notice_type("210407").is_decision
    assert not nt.is_rejection_decision("210401")
    assert not nt.is_rejection_decision("200912")  # a decision, but not a rejection
    assert not nt.is_rejection_decision("123456")  # unknown legacy code
    with pytest.raises(nt.UnknownNoticeType):
        nt.is_rejection_decision("21040")


def test_unknown_code_error_is_clear():
    with pytest.raises(nt.UnknownNoticeType) as info:
        nt.notice_type("999999")
    assert "999999" in info.value.zh and "999999" in info.value.en
    assert info.value.status == 404
    assert not nt.is_known_notice_code("999999")


def test_render_body():
    body = nt.notice_type("210407").render_body(
        {
            "application_number": "201710601862.3",
            "title": "一种折叠式电动自行车",
            "applicant": "杭州某某科技有限公司",
            "deadline": date(2025, 2, 5),
            "serial": "2024102800012345",
            "text": "权利要求1不具备创造性。",
        }
    )
    assert "201710601862.3" in body and "2025年2月5日" in body
    assert "2024102800012345" in body and "权利要求1不具备创造性" in body
    assert "{" not in body


def test_render_body_keeps_braces_in_values():
    body = nt.notice_type("210302").render_body(
        {"application_number": "X", "title": "{title}", "deadline": "D", "text": "{x}"}
    )
    assert "（{title}）" in body and "{x}" in body


def test_render_body_missing_values_named():
    with pytest.raises(nt.NoticeTemplateValueMissing) as info:
        nt.notice_type("210301").render_body({"application_number": "X"})
    assert info.value.details["missing"] == ["deadline", "title"]


def test_text_is_optional():
    body = nt.notice_type("200101").render_body(
        {
            "application_number": "A",
            "filing_date": date(2024, 1, 2),
            "title": "T",
            "applicant": "P",
        }
    )
    assert body.endswith("应当写明申请号。")


BASE = 'source: s\neffective: 2024-01-20\ntypes:\n  - {code: "200101", name_zh: a, name_en: b, '


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("source: s\ntypes: []", "source and effective"),
        ("types: {}", "list under 'types'"),
        (BASE + 'template_zh: "{nope}"}', "unknown placeholders"),
        (BASE + 'template_zh: "{deadline}"}', "no period"),
        (BASE + 'template_zh: "{title"}', "template"),
        (BASE + 'template_zh: "x", period: {months: 1, days: 2}}', "exactly one"),
        (BASE + 'template_zh: "x", period: {months: -1}}', "non-negative"),
        (
            BASE
            + 'template_zh: "x"}\n  - {code: "200101", name_zh: a, name_en: b, template_zh: x}',
            "twice",
        ),
        ("source: s\neffective: 2024-01-20\ntypes:\n  - {code: 200101, name_zh: a}", "name_en"),
        ("source: s\neffective: 2024-01-20\ntypes:\n  - {code: 20010, name_zh: a}", "six digits"),
        ("types: [", "YAML"),
    ],
)
def test_bad_data_files_refused(text, fragment):
    with pytest.raises(nt.NoticeTypeDataInvalid) as info:
        nt.load_notice_types(text)
    assert fragment in info.value.en
