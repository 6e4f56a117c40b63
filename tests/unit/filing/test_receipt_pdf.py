import copy
import hashlib
from datetime import UTC, datetime

import pytest

from patentdesk.filing.receipt_pdf import ReceiptDataInvalid, render_receipt_pdf
from tests.unit.notices.pdftext import page_count, pdf_text


def receipt(n_files=2, **changes):
    record = {
        "application_number": "202610000001.5",
        # 23:59:59.999 Beijing time: filed that day, though it is still March 1 in UTC.
        "filed_at": "2026-03-01T15:59:59.999Z",
        "business_type": "invention",
        "title": "一种折叠式电动自行车",
        "applicants": ["杭州某某科技有限公司"],
        "internal_number": "AG-2026-0001",
        "submitter": {"name": "张三", "account": "sub-001"},
        "signer": {"name": "张三", "certificate_serial": "5F3A9C", "role": "子账户"},
        "files": [
            {
                "name": f"file{i}.pdf",
                "form_code": "100001",
                "size": 1000 + i,
                "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
            }
            for i in range(n_files)
        ],
        "fee_sheet": {
            "items": [
                {"code": "F001", "name": "发明专利申请费", "count": 1, "amount": 900},
                {"code": "F002", "name": "公布印刷费", "count": 1, "amount": "50"},
            ],
            "total": "950",
            "schedule": "2024-01-01",
        },
        "environment": "trial",
        "receipt_id": "r-123",
    }
    record.update(changes)
    return record


def test_receipt_pdf_content():
    data = render_receipt_pdf(receipt())
    assert data.startswith(b"%PDF") and b"FontFile2" in data
    text = pdf_text(data)
    for expected in (
        "电子申请回执",
        "202610000001.5",
        "2026年3月1日",
        "2026-03-01 23:59:59（北京时间）",
        "发明专利申请",
        "一种折叠式电动自行车",
        "张三（子账户），证书序列号 5F3A9C",
        hashlib.sha256(b"0").hexdigest(),
        hashlib.sha256(b"1").hexdigest(),
        "发明专利申请费",
        "950.00",
        "环境 trial",
        "AG-2026-0001",
    ):
        assert expected in text, expected


def test_filing_date_is_the_beijing_date():
    # 2026-03-01T16:00:00Z is 00:00:00 on March 2 in Beijing.
    text = pdf_text(render_receipt_pdf(receipt(filed_at="2026-03-01T16:00:00+00:00")))
    assert "2026年3月2日" in text and "2026-03-02 00:00:00" in text
    aware = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert render_receipt_pdf(receipt(filed_at=aware)) == render_receipt_pdf(
        receipt(filed_at="2026-03-01T16:00:00Z")
    )


def test_deterministic_and_sensitive():
    assert render_receipt_pdf(receipt()) == render_receipt_pdf(copy.deepcopy(receipt()))
    other = receipt()
    other["files"][1]["sha256"] = "0" * 64
    assert render_receipt_pdf(other) != render_receipt_pdf(receipt())


def test_fee_sheet_of_the_fees_package():
    sheet = {
        "schedule": {"id": "cn-2019-07", "kind": "domestic", "effective_from": "2019-07-01"},
        "items": [{"code": "F001", "name": "发明专利申请费", "count": 1, "amount": "900.00"}],
        "reduction": {"rate": "0.85", "amount": "765.00", "items": ["F001"]},
        "total": "135.00",
    }
    text = pdf_text(render_receipt_pdf(receipt(fee_sheet=sheet)))
    assert "收费标准：cn-2019-07" in text
    assert "费用减缴（85%）" in text and "-765.00" in text and "135.00" in text


def test_without_fee_sheet_and_optional_fields():
    minimal = {
        k: v
        for k, v in receipt().items()
        if k
        in ("application_number", "filed_at", "business_type", "signer", "files", "environment")
    }
    text = pdf_text(render_receipt_pdf(minimal))
    assert "费用计算页" not in text and "202610000001.5" in text


def test_many_files_repeat_the_column_titles():
    data = render_receipt_pdf(receipt(n_files=60))
    pages = page_count(data)
    assert pages >= 2
    text = pdf_text(data)
    # Column titles on every page of the table, plus the closing paragraph's mention.
    assert text.count("SHA-256") >= pages + 1
    assert hashlib.sha256(b"59").hexdigest() in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"application_number": ""}, "application_number"),
        ({"filed_at": "yesterday"}, "filed_at"),
        ({"filed_at": "2026-03-01T15:59:59"}, "filed_at"),
        ({"signer": {"certificate_serial": "1"}}, "signer"),
        ({"files": []}, "files"),
        ({"files": [{"name": "a.pdf"}]}, "files[0]"),
        ({"fee_sheet": {"items": [{"name": "x", "amount": "abc"}], "total": 1}}, "amount"),
        ({"fee_sheet": {"items": []}}, "fee_sheet.total"),
        ({"fee_sheet": {"reduction": {"amount": "x"}, "total": 1}}, "reduction.amount"),
        ({"environment": None}, "environment"),
        ({"filing_date": "01/03/2026"}, "filing_date"),
    ],
)
def test_bad_records_name_the_field(changes, field):
    with pytest.raises(ReceiptDataInvalid) as info:
        render_receipt_pdf(receipt(**changes))
    assert field in info.value.zh and field in info.value.en
