from dataclasses import replace
from datetime import date

import pytest

from patentdesk import pdf
from patentdesk.notices.documents import NoticeData, notice_body, render_notice_pdf
from patentdesk.notices.types import NoticeTemplateValueMissing, UnknownNoticeType
from tests.unit.notices.pdftext import page_count, pdf_text

REJECTION = NoticeData(
    code="210407",
    application_number="201710601862.3",
    serial="2024102800012345",
    dispatched_on=date(2024, 10, 28),
    environment_id="trial",
    title="一种折叠式电动自行车",
    applicant="杭州某某科技有限公司",
    recipient="北京某某专利代理有限公司",
    deadline=date(2025, 2, 5),
    text="权利要求1相对于对比文件1不具备创造性。",
)


def test_notice_pdf_embeds_font_and_text():
    data = render_notice_pdf(REJECTION)
    assert data.startswith(b"%PDF") and b"FontFile2" in data
    text = pdf_text(data)
    for expected in (
        "驳回决定",
        "210407",
        "201710601862.3",
        "一种折叠式电动自行车",
        "杭州某某科技有限公司",
        "2024102800012345",
        "2024年10月28日",
        "请求复审期限届满日",
        "2025年2月5日",
        "不具备创造性",
        "环境 trial",
        "PatentDesk",
    ):
        assert expected in text, expected


def test_notice_pdf_is_deterministic():
    assert render_notice_pdf(REJECTION) == render_notice_pdf(replace(REJECTION))
    assert render_notice_pdf(REJECTION) != render_notice_pdf(replace(REJECTION, serial="2"))
    assert render_notice_pdf(REJECTION) != render_notice_pdf(
        replace(REJECTION, environment_id="production")
    )


def test_notice_without_period_has_no_deadline_line():
    acceptance = NoticeData(
        code="200101",
        application_number="202610000001.5",
        serial="S-1",
        dispatched_on=date(2026, 3, 2),
        environment_id="trial",
        title="一种折叠式电动自行车",
        applicant="张三",
        filing_date=date(2026, 3, 1),
    )
    text = pdf_text(render_notice_pdf(acceptance))
    assert "专利申请受理通知书" in text and "申请日：2026年3月1日" in text.replace("\n", "")
    assert "期限届满日" not in text


def test_long_body_flows_onto_more_pages():
    long = replace(REJECTION, text="对比文件公开了全部技术特征。" * 400)
    data = render_notice_pdf(long)
    assert page_count(data) >= 3
    assert "第3页" in pdf_text(data).replace(" ", "")


def test_body_override_and_missing_values():
    assert notice_body(replace(REJECTION, body="自定义正文")) == "自定义正文"
    with pytest.raises(NoticeTemplateValueMissing, match="deadline"):
        render_notice_pdf(replace(REJECTION, deadline=None))
    with pytest.raises(UnknownNoticeType):
        render_notice_pdf(replace(REJECTION, code="999999"))


def test_missing_title_and_applicant_shown_as_dash():
    body = notice_body(replace(REJECTION, title="", applicant=""))
    assert "（—，申请人：—）" in body


def test_output_does_not_depend_on_earlier_documents():
    # The font subset must not carry glyphs over from documents rendered before.
    first = render_notice_pdf(REJECTION)
    pdf.render_text("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥" * 3)
    render_notice_pdf(replace(REJECTION, code="210301", text="其他的审查意见"))
    assert render_notice_pdf(REJECTION) == first
