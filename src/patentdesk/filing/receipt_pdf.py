"""The PDF of an electronic filing receipt (电子申请回执, notice type 200105).

Input is the receipt's JSON record (the same dict the office signs), so the PDF shows
exactly what the record says. Keys (extra keys are ignored):

=====================  ========  ==========================================================
key                    required  meaning
=====================  ========  ==========================================================
application_number     yes       申请号, e.g. ``202610000001.5``
filed_at               yes       instant of receipt, ISO 8601 with offset or ``Z`` (or an
                                 aware datetime); shown in Beijing time
filing_date            no        申请日 ``YYYY-MM-DD``; default: the Beijing date of filed_at
business_type          yes       SPEC §10 package type (invention, utility, design, change…)
title                  no        发明创造名称
applicants             no        list of names (or one string)
internal_number        no        机构内部编号
submitter              no        {"name", "account"?} — who submitted
signer                 yes       {"name", "certificate_serial"?, "role"?} — who signed
files                  yes       [{"name", "sha256", "size"?, "form_code"?, "role"?}]
fee_sheet              no        the fees package's sheet JSON: {"items": [{"code"?,
                                 "name", "count"?, "amount"}], "reduction"? ({"rate",
                                 "amount"} or a text), "total", "schedule"? (id or
                                 {"id", "effective_from"})}
environment            yes       environment id (trial, production…)
receipt_id             no        the receipt's id
submission_id          no        the submission's id
package_sha256         no        SHA-256 of the submitted package
=====================  ========  ==========================================================

The same dict always gives the same bytes (no timestamps in the PDF), so the office can
sign the PDF and a verifier can regenerate it from the signed JSON and compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from patentdesk import pdf, timeutil
from patentdesk.errors import ValidationFailed

BUSINESS_TYPES_ZH = {
    "invention": "发明专利申请",
    "utility": "实用新型专利申请",
    "design": "外观设计专利申请",
    "change": "著录项目变更",
    "response": "答复/补正",
    "reexam": "复审请求",
    "invalidation": "无效宣告请求",
    "fee": "缴费",
    "pct": "PCT 国际申请",
    "pct-national": "PCT 国际申请进入中国国家阶段",
}


class ReceiptDataInvalid(ValidationFailed):
    code = "RECEIPT_DATA_INVALID"
    message_zh = "回执数据不完整"
    message_en = "The receipt data is incomplete"


def _bad(field: str, problem_zh: str, problem_en: str) -> ReceiptDataInvalid:
    return ReceiptDataInvalid(
        "回执数据字段 {field} {problem_zh}",
        "Receipt field {field}: {problem_en}",
        field=field,
        problem_zh=problem_zh,
        problem_en=problem_en,
        details={"field": field},
    )


def _require(receipt: Mapping[str, Any], key: str) -> Any:
    value = receipt.get(key)
    if value in (None, "", [], {}):
        raise _bad(key, "缺失", "is missing")
    return value


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise _bad("filed_at", "不是 ISO 8601 时间", "is not an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        # A naive time would be read in whatever zone the reader assumes: refuse it.
        raise _bad("filed_at", "缺少时区", "has no UTC offset")
    return parsed


def _amount(value: Any, field: str) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _bad(field, "不是金额", "is not an amount") from None
    return f"{number:,.2f}"


def _filing_lines(receipt: Mapping[str, Any]) -> list[tuple[str, str]]:
    filed_at = timeutil.to_beijing(_instant(_require(receipt, "filed_at")))
    filing_date = receipt.get("filing_date") or filed_at.date().isoformat()
    try:
        day = date.fromisoformat(str(filing_date))
    except ValueError:
        raise _bad("filing_date", "不是 YYYY-MM-DD 日期", "is not a YYYY-MM-DD date") from None
    business_type = str(_require(receipt, "business_type"))
    applicants = receipt.get("applicants") or []
    if isinstance(applicants, str):
        applicants = [applicants]
    signer = _require(receipt, "signer")
    if not isinstance(signer, Mapping) or not signer.get("name"):
        raise _bad("signer", "需要 name", "needs a name")
    signed_by = str(signer["name"])
    if signer.get("role"):
        signed_by += f"（{signer['role']}）"
    if signer.get("certificate_serial"):
        signed_by += f"，证书序列号 {signer['certificate_serial']}"
    fields = [
        ("申请号", str(_require(receipt, "application_number"))),
        ("申请日", f"{day.year}年{day.month}月{day.day}日"),
        ("递交时间", filed_at.strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"),
        ("业务类型", BUSINESS_TYPES_ZH.get(business_type, business_type)),
        ("发明创造名称", str(receipt.get("title") or "—")),
    ]
    if applicants:
        fields.append(("申请人", "；".join(str(a) for a in applicants)))
    if receipt.get("internal_number"):
        fields.append(("机构内部编号", str(receipt["internal_number"])))
    submitter = receipt.get("submitter")
    if isinstance(submitter, Mapping) and submitter.get("name"):
        account = f"（{submitter['account']}）" if submitter.get("account") else ""
        fields.append(("提交人", f"{submitter['name']}{account}"))
    fields.append(("签名人", signed_by))
    for key, label in (
        ("receipt_id", "回执编号"),
        ("submission_id", "提交编号"),
        ("package_sha256", "案卷包 SHA-256"),
    ):
        if receipt.get(key):
            fields.append((label, str(receipt[key])))
    return fields


def _files_table(receipt: Mapping[str, Any]) -> pdf.Table:
    files = _require(receipt, "files")
    if not isinstance(files, list):
        raise _bad("files", "应为列表", "must be a list")
    rows = []
    for i, item in enumerate(files, start=1):
        if not isinstance(item, Mapping) or not item.get("name") or not item.get("sha256"):
            raise _bad(f"files[{i - 1}]", "需要 name 和 sha256", "needs name and sha256")
        code = str(item.get("form_code") or item.get("role") or "")
        size = item.get("size")
        rows.append(
            [
                str(i),
                f"{item['name']}" + (f"\n{code}" if code else ""),
                "" if size is None else f"{int(size):,}",
                str(item["sha256"]),
            ]
        )
    return pdf.Table(
        columns=["序号", "文件名称/表格代码", "大小（字节）", "SHA-256"],
        rows=rows,
        heading=f"提交文件清单（共 {len(rows)} 个）",
        widths=[0.06, 0.22, 0.12, 0.60],
        font_size=7.5,
    )


def _fee_table(sheet: Mapping[str, Any]) -> pdf.Table:
    rows = []
    for i, item in enumerate(sheet.get("items") or []):
        if not isinstance(item, Mapping) or not item.get("name") or "amount" not in item:
            raise _bad(f"fee_sheet.items[{i}]", "需要 name 和 amount", "needs name and amount")
        rows.append(
            [
                str(item.get("code") or ""),
                str(item["name"]),
                str(item.get("count", 1)),
                _amount(item["amount"], f"fee_sheet.items[{i}].amount"),
            ]
        )
    reduction = sheet.get("reduction")
    if isinstance(reduction, Mapping):
        # The fees package's sheet: {"rate": "0.85", "amount": "765.00", "items": [codes]}.
        amount = _amount(reduction.get("amount") or 0, "fee_sheet.reduction.amount")
        if amount != "0.00":
            rate = _amount(reduction.get("rate") or 0, "fee_sheet.reduction.rate")
            percent = Decimal(rate) * 100
            label = f"费用减缴（{percent:.0f}%）" if percent else "费用减缴"
            rows.append(["", label, "", f"-{amount}"])
    elif reduction not in (None, "", 0, "0"):
        rows.append(["", "费用减缴", "", str(reduction)])
    if "total" not in sheet:
        raise _bad("fee_sheet.total", "缺失", "is missing")
    rows.append(["", "合计（元）", "", _amount(sheet["total"], "fee_sheet.total")])
    schedule_ref = sheet.get("schedule")
    if isinstance(schedule_ref, Mapping):  # {"id", "effective_from", …}
        schedule_ref = schedule_ref.get("id") or schedule_ref.get("effective_from")
    schedule = f"（收费标准：{schedule_ref}）" if schedule_ref else ""
    return pdf.Table(
        columns=["费用代码", "费用名称", "数量", "金额（元）"],
        rows=rows,
        heading=f"费用计算页{schedule}",
        widths=[0.16, 0.5, 0.1, 0.24],
    )


def render_receipt_pdf(receipt: Mapping[str, Any]) -> bytes:
    """The 电子申请回执 PDF of a receipt record (see the module docstring for the keys).
    Missing or malformed fields raise :class:`ReceiptDataInvalid` naming the field."""
    environment = str(_require(receipt, "environment"))
    fields = _filing_lines(receipt)
    tables = [_files_table(receipt)]
    fee_sheet = receipt.get("fee_sheet")
    if fee_sheet:
        if not isinstance(fee_sheet, Mapping):
            raise _bad("fee_sheet", "应为对象", "must be an object")
        tables.append(_fee_table(fee_sheet))
    application_number = str(receipt["application_number"])
    return pdf.render_document(
        "电子申请回执",
        fields,
        [
            "以上文件已由 PatentDesk 电子申请系统收到。申请日以系统收到符合规定的申请文件之日"
            "（北京时间）为准；文件的 SHA-256 摘要可用于核对所提交文件是否完整、未被改动。",
            "本回执由系统签名，可使用客户端命令 patentdesk receipt verify 离线验证。",
        ],
        footer=f"PatentDesk（环境 {environment}）电子申请回执 200105 · 申请号 {application_number}",
        metadata={
            "code": "200105",
            "application_number": application_number,
            "environment": environment,
        },
        header=f"PatentDesk 专利业务办理系统 · 环境 {environment}",
        tables=tables,
        page_numbers=True,
    )
