"""Sheet comparison for authorized deduction (授权扣款) — the library part of seed E1."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from patentdesk.fees import (
    FeeInput,
    SheetInvalid,
    SheetMismatch,
    calculate,
    check_sheet,
    compare_sheet,
    parse_sheet,
)

PCT = FeeInput(business_type="pct", sheets=40, efiling_format="pdf")


@pytest.fixture
def sheet_2022():
    return calculate(PCT, dt.date(2022, 12, 31))


@pytest.fixture
def sheet_2023():
    return calculate(PCT, dt.date(2023, 1, 5))


@pytest.mark.seed("E1")
def test_pct_filed_either_side_of_new_year_gets_different_schedules(sheet_2022, sheet_2023):
    assert sheet_2022.schedule.id == "pct-cnipa-ro-2021-12-01"
    assert sheet_2023.schedule.id == "pct-cnipa-ro-2023-01-01"
    # 500 + 2100 + 9260 + 10 × 100 − 1390 and 500 + 2100 + 9620 + 10 × 110 − 1450
    assert sheet_2022.total == 11470
    assert sheet_2023.total == 11870


@pytest.mark.seed("E1")
def test_2022_rate_sheet_against_2023_schedule_lists_the_differences(sheet_2022, sheet_2023):
    diffs = compare_sheet(sheet_2022, sheet_2023)
    found = {(d.kind, d.code): (d.submitted, d.correct) for d in diffs}
    assert found == {
        ("wrong", "pct_international_filing"): (9260, 9620),
        ("wrong", "pct_extra_sheet"): (1000, 1100),
        ("wrong", "pct_efiling_reduction_pdf"): (-1390, -1450),
        ("total", "total"): (11470, 11870),
    }


@pytest.mark.seed("E1")
def test_mismatch_error_states_the_correct_amounts(sheet_2022, sheet_2023):
    with pytest.raises(SheetMismatch) as err:
        check_sheet(sheet_2022.to_json(), sheet_2023)
    exc = err.value
    assert exc.code == "FEE_SHEET_MISMATCH" and exc.status == 422
    for text in ("9,620", "1,100", "-1,450", "11,870", "pct-cnipa-ro-2023-01-01"):
        assert text in exc.zh and text in exc.en
    assert "国际申请费" in exc.zh
    correct = exc.details["correct"]
    assert correct["total"] == 11870
    assert {i["code"]: i["amount"] for i in correct["items"]}["pct_international_filing"] == 9620
    assert exc.details["schedule"]["id"] == "pct-cnipa-ro-2023-01-01"
    assert len(exc.details["differences"]) == 4
    json.dumps(exc.to_dict(), ensure_ascii=False)  # serialisable as the HTTP error body


@pytest.mark.seed("E1")
def test_a_sheet_with_the_correct_amounts_passes(sheet_2023):
    # e.g. remade with the amounts of the payment notice
    check_sheet(sheet_2023.to_json(), sheet_2023)
    assert compare_sheet(sheet_2023, sheet_2023) == []


def test_missing_extra_and_reduction_differences():
    correct = calculate(
        FeeInput(business_type="invention", reduction_requested=True, qualifying_applicants=1),
        dt.date(2024, 5, 6),
    )
    submitted = {
        "items": [
            {"code": "application_invention", "amount": 900},
            {"code": "examination_invention", "amount": 2500},
            {"code": "priority_claim", "count": 1, "amount": 80},
        ],
        "reduction": 2890,
        "total": 590,
    }
    diffs = {(d.kind, d.code): (d.submitted, d.correct) for d in compare_sheet(submitted, correct)}
    assert diffs == {
        ("missing", "printing_invention"): (None, 50),
        ("extra", "priority_claim"): (80, None),
        ("total", "total"): (590, 560),
    }
    submitted["reduction"] = {"rate": 0.7, "amount": 2380}
    diffs2 = {d.kind for d in compare_sheet(submitted, correct)}
    assert "reduction" in diffs2


def test_repeated_codes_are_summed_and_total_is_derived_when_absent():
    correct = calculate(FeeInput(business_type="utility", claims=12), dt.date(2024, 5, 6))
    submitted = {
        "items": [
            {"code": "application_utility", "amount": 500},
            {"code": "excess_claims", "amount": 150},
            {"code": "excess_claims", "amount": "150.00"},
        ]
    }
    assert compare_sheet(submitted, correct) == []


def test_parse_sheet_reads_a_quote_json_file(tmp_path: Path, sheet_2023):
    path = tmp_path / "fee_sheet.json"
    path.write_text(json.dumps(sheet_2023.to_json(), ensure_ascii=False), encoding="utf-8")
    parsed = parse_sheet(path)
    assert parsed.schedule == "pct-cnipa-ro-2023-01-01"
    assert compare_sheet(parsed, sheet_2023) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "line 1"),
        ("[]", "items"),
        ('{"total": 5}', "items"),
        ('{"items": [{"code": "x"}]}', "items.0.amount"),
        ('{"items": [{"code": "x", "amount": "lots"}]}', "items.0.amount"),
    ],
)
def test_bad_sheet_is_refused_with_the_problem(text: str, needle: str):
    with pytest.raises(SheetInvalid) as err:
        parse_sheet(text)
    assert needle in err.value.en


def test_unreadable_sheet_file(tmp_path: Path):
    with pytest.raises(SheetInvalid) as err:
        parse_sheet(tmp_path / "missing.json")
    assert "missing.json" in err.value.en


# Issue 15 item 7: «1E+100» in a sheet's amount, reduction or total was a 500 (decimal
# quantize overflow); one bounded format refuses it, naming the field.
@pytest.mark.parametrize("field", ["amount", "reduction", "total"])
@pytest.mark.parametrize("bad", ["1E+100", "1e-1000030", "NaN", "Infinity", 1e100, "1,000"])
def test_an_amount_outside_the_bounded_format_is_refused_naming_the_field(
    sheet_2023, field: str, bad: object
):
    data = sheet_2023.to_json()
    if field == "amount":
        data["items"][0]["amount"] = bad
    elif field == "reduction":
        data["reduction"]["amount"] = bad
    else:
        data["total"] = bad
    with pytest.raises(SheetInvalid) as err:
        check_sheet(parse_sheet(data), sheet_2023)
    expected = {"amount": "items.0.amount", "reduction": "reduction", "total": "total"}[field]
    assert expected in err.value.zh and "两位小数" in err.value.zh
    assert "two decimals" in err.value.en


def test_sheet_amounts_keep_credit_lines_and_fen(sheet_2023):
    data = sheet_2023.to_json()
    assert any(i["amount"] < 0 for i in data["items"])  # the e-filing reduction
    check_sheet(parse_sheet(json.dumps(data)), sheet_2023)
    data["items"][0]["amount"] = f"{data['items'][0]['amount']}.001"
    with pytest.raises(SheetInvalid):
        parse_sheet(data)
