"""PDF documents of notices (通知书 PDF).

A notice PDF carries the issuing office's header with the PatentDesk environment id (so a
trial document is never mistaken for a production one, seed A5), the notice's code and name,
the case, the dispatch serial number (发文序列号), the dispatch date, the response deadline
where the type has one, and the body from the type's template. The same data always gives
the same bytes, so the office can sign the PDF and anyone can regenerate and compare it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from patentdesk import pdf
from patentdesk.notices.types import format_date_zh, notice_type

OFFICE_NAME_ZH = "PatentDesk 专利业务办理系统"


@dataclass(frozen=True, slots=True)
class NoticeData:
    """What a notice PDF shows. ``text`` is the office's free text (reasons, defects,
    amounts) that the template places; ``body`` replaces the whole template text."""

    code: str  # 通知书代码
    application_number: str  # 申请号 (or the patent's number)
    serial: str  # 发文序列号
    dispatched_on: date  # 发文日 (Beijing date)
    environment_id: str  # deployment environment, e.g. trial / production
    title: str = ""  # 发明创造名称
    applicant: str = ""  # 申请人 / 专利权人
    recipient: str = ""  # 收件人: the agency, or the applicant without one
    filing_date: date | None = None  # 申请日
    deadline: date | None = None  # 期限届满日, from notices.deadlines.response_deadline
    text: str = ""
    body: str | None = None
    office_name: str = OFFICE_NAME_ZH


def notice_body(notice: NoticeData) -> str:
    """The body text: ``notice.body`` as given, else the type's template filled in."""
    if notice.body is not None:
        return notice.body
    kind = notice_type(notice.code)
    values: dict[str, object] = {
        "application_number": notice.application_number,
        # Older or imported cases may lack a title or applicant; say so rather than refuse.
        "title": notice.title or "—",
        "applicant": notice.applicant or "—",
        "filing_date": notice.filing_date or "—",
        "dispatch_date": notice.dispatched_on,
        "serial": notice.serial,
        "deadline": notice.deadline,
        "text": notice.text,
    }
    return kind.render_body(values)


def render_notice_pdf(notice: NoticeData) -> bytes:
    """The notice as a PDF (A4, Chinese, embedded font), byte-for-byte reproducible."""
    kind = notice_type(notice.code)
    body = notice_body(notice)
    fields: list[tuple[str, str]] = [
        ("通知书代码", kind.code),
        ("申请号或专利号", notice.application_number),
        ("发明创造名称", notice.title or "—"),
        ("申请人", notice.applicant or "—"),
    ]
    if notice.recipient:
        fields.append(("收件人", notice.recipient))
    if notice.filing_date:
        fields.append(("申请日", format_date_zh(notice.filing_date)))
    fields += [
        ("发文序列号", notice.serial),
        ("发文日", format_date_zh(notice.dispatched_on)),
    ]
    if notice.deadline:
        period = kind.period
        label = f"{period.purpose_zh}期限届满日" if period and period.purpose_zh else "期限届满日"
        fields.append((label, format_date_zh(notice.deadline)))
    header = f"{notice.office_name} · 环境 {notice.environment_id}"
    footer = f"PatentDesk（环境 {notice.environment_id}）生成 · 发文序列号 {notice.serial}"
    return pdf.render_document(
        kind.name_zh,
        fields,
        body.split("\n"),
        footer=footer,
        metadata={
            "code": kind.code,
            "serial": notice.serial,
            "application_number": notice.application_number,
            "environment": notice.environment_id,
        },
        header=header,
        page_numbers=True,
    )
