"""Every fee rule against hand-computed figures (domestic CNIPA and PCT RO/CN)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from patentdesk.fees import (
    FeeInput,
    FeeInputInvalid,
    FeeRuleError,
    UnknownFeeItem,
    calculate,
    explain,
)

DAY = dt.date(2024, 5, 6)


def sheet(on: dt.date = DAY, **fields: object):
    return calculate(FeeInput.model_validate(fields), on)


def amounts(s) -> dict[str, Decimal]:
    return {line.code: line.amount for line in s.items}


def counts(s) -> dict[str, int]:
    return {line.code: line.count for line in s.items}


# Excess claims: 150 yuan for each claim from the 11th on.
@pytest.mark.parametrize(
    ("claims", "charged", "fee"),
    [(0, 0, 0), (1, 0, 0), (10, 0, 0), (11, 1, 150), (12, 2, 300), (15, 5, 750), (30, 20, 3000)],
)
@pytest.mark.parametrize("business", ["invention", "utility"])
def test_excess_claims_from_the_11th(business: str, claims: int, charged: int, fee: int) -> None:
    s = sheet(business_type=business, claims=claims)
    assert counts(s).get("excess_claims", 0) == charged
    assert amounts(s).get("excess_claims", 0) == fee


# Excess pages, marginal bands: 50 yuan for pages 31–300, 100 yuan from page 301.
@pytest.mark.parametrize(
    ("pages", "band1", "band2"),
    [
        (0, 0, 0),
        (30, 0, 0),
        (31, 50, 0),
        (32, 100, 0),
        (300, 270 * 50, 0),  # 13,500
        (301, 13500, 100),
        (350, 13500, 5000),
        (1000, 13500, 70000),
    ],
)
@pytest.mark.parametrize("business", ["invention", "utility"])
def test_excess_pages_from_the_31st_and_301st(
    business: str, pages: int, band1: int, band2: int
) -> None:
    s = sheet(business_type=business, pages=pages)
    got = amounts(s)
    assert got.get("excess_pages_31", 0) == band1
    assert got.get("excess_pages_301", 0) == band2


def test_design_has_no_claim_or_page_surcharges() -> None:
    s = sheet(business_type="design", claims=40, pages=400, priority_claims=1)
    assert amounts(s) == {"application_design": 500, "priority_claim": 80}
    assert s.total == 580


@pytest.mark.parametrize(
    ("fields", "expected", "total"),
    [
        (
            {"business_type": "invention"},
            {"application_invention": 900, "printing_invention": 50, "examination_invention": 2500},
            3450,
        ),
        (
            {"business_type": "invention", "request_examination": False},
            {"application_invention": 900, "printing_invention": 50},
            950,
        ),
        ({"business_type": "utility"}, {"application_utility": 500}, 500),
        (
            {"business_type": "utility", "priority_claims": 3},
            {"application_utility": 500, "priority_claim": 240},
            740,
        ),
        (
            {"business_type": "reexam", "patent_type": "invention"},
            {"reexamination_invention": 1000},
            1000,
        ),
        (
            {"business_type": "reexam", "patent_type": "utility"},
            {"reexamination_utility": 300},
            300,
        ),
        ({"business_type": "reexam", "patent_type": "design"}, {"reexamination_design": 300}, 300),
        (
            {"business_type": "invalidation", "patent_type": "invention"},
            {"invalidation_invention": 3000},
            3000,
        ),
        (
            {"business_type": "invalidation", "patent_type": "design"},
            {"invalidation_design": 1500},
            1500,
        ),
        ({"business_type": "response"}, {}, 0),
        (
            {"business_type": "response", "extension_months": 1},
            {"extension_first_month": 300},
            300,
        ),
        (
            {"business_type": "fee", "extension_months": 3},
            {"extension_first_month": 300, "extension_further_month": 4000},
            4300,
        ),
        (
            {"business_type": "fee", "requested_items": [{"code": "restoration"}]},
            {"restoration": 1000},
            1000,
        ),
        (
            {"business_type": "change", "changes": ["inventor", "address"]},
            {"change_bibliographic": 200},
            200,
        ),
        ({"business_type": "change", "changes": ["address"]}, {}, 0),
    ],
)
def test_domestic_fees(fields: dict, expected: dict, total: int) -> None:
    s = sheet(**fields)
    assert amounts(s) == expected
    assert s.total == total
    assert s.schedule.id == "cnipa-domestic-2019-07-01"


# Annual fees by year band (patent year, counted from the filing date).
INVENTION_BANDS = [
    (1, 3, 900),
    (4, 6, 1200),
    (7, 9, 2000),
    (10, 12, 4000),
    (13, 15, 6000),
    (16, 20, 8000),
]
SMALL_BANDS = [(1, 3, 600), (4, 5, 900), (6, 8, 1200), (9, 10, 2000)]
ANNUAL = [("invention", y, fee) for a, b, fee in INVENTION_BANDS for y in range(a, b + 1)] + [
    (kind, y, fee)
    for kind in ("utility", "design")
    for a, b, fee in SMALL_BANDS
    for y in range(a, b + 1)
]


@pytest.mark.parametrize(("patent_type", "year", "fee"), ANNUAL)
def test_annual_fee_year_bands(patent_type: str, year: int, fee: int) -> None:
    s = sheet(business_type="fee", patent_type=patent_type, annual_fee_year=year)
    assert amounts(s) == {f"annual_fee_{patent_type}": fee}
    assert s.total == fee


@pytest.mark.parametrize(
    ("patent_type", "year"), [("invention", 21), ("utility", 11), ("design", 11)]
)
def test_annual_fee_beyond_the_bands_is_refused(patent_type: str, year: int) -> None:
    with pytest.raises(FeeRuleError) as err:
        sheet(business_type="fee", patent_type=patent_type, annual_fee_year=year)
    assert str(year) in err.value.zh and str(year) in err.value.en


# 费用减缴: 85 % for one qualifying applicant, 70 % for several, on reducible fees only.
@pytest.mark.parametrize(
    ("fields", "rate", "reduction", "total"),
    [
        # invention: reducible 900 + 2500 = 3400; printing 50 and surcharges are not.
        ({"business_type": "invention", "qualifying_applicants": 1}, "0.85", 2890, 560),
        (
            {"business_type": "invention", "applicants": 2, "qualifying_applicants": 2},
            "0.70",
            2380,
            1070,
        ),
        (
            {"business_type": "invention", "applicants": 3, "qualifying_applicants": 3},
            "0.70",
            2380,
            1070,
        ),
        # claims 12 (+300), pages 40 (+500), priority 1 (+80) stay at full price
        (
            {
                "business_type": "invention",
                "qualifying_applicants": 1,
                "claims": 12,
                "pages": 40,
                "priority_claims": 1,
            },
            "0.85",
            2890,
            3450 + 300 + 500 + 80 - 2890,
        ),
        ({"business_type": "utility", "qualifying_applicants": 1}, "0.85", 425, 75),
        (
            {"business_type": "design", "applicants": 2, "qualifying_applicants": 2},
            "0.70",
            350,
            150,
        ),
        (
            {"business_type": "reexam", "patent_type": "invention", "qualifying_applicants": 1},
            "0.85",
            850,
            150,
        ),
        (
            {"business_type": "reexam", "patent_type": "utility", "qualifying_applicants": 1},
            "0.85",
            255,
            45,
        ),
        # invalidation, extension, restoration are never reduced
        (
            {
                "business_type": "invalidation",
                "patent_type": "invention",
                "qualifying_applicants": 1,
            },
            "0.85",
            0,
            3000,
        ),
        (
            {"business_type": "fee", "extension_months": 2, "qualifying_applicants": 1},
            "0.85",
            0,
            2300,
        ),
        # annual fee year 4 of an invention: 1200 × 85 %
        (
            {
                "business_type": "fee",
                "patent_type": "invention",
                "annual_fee_year": 4,
                "qualifying_applicants": 1,
            },
            "0.85",
            1020,
            180,
        ),
    ],
)
def test_fee_reduction(fields: dict, rate: str, reduction: int, total: int) -> None:
    s = sheet(reduction_requested=True, **fields)
    assert s.reduction.rate == Decimal(rate)
    assert s.reduction.amount == reduction
    assert s.total == total


@pytest.mark.parametrize(
    "fields",
    [
        {"business_type": "invention", "reduction_requested": False, "qualifying_applicants": 1},
        {"business_type": "invention", "reduction_requested": True, "qualifying_applicants": 0},
        # joint applicants: every one must qualify
        {
            "business_type": "invention",
            "reduction_requested": True,
            "applicants": 2,
            "qualifying_applicants": 1,
        },
        # PCT international fees are not subject to 费用减缴
        {"business_type": "pct", "reduction_requested": True, "qualifying_applicants": 1},
    ],
)
def test_no_reduction(fields: dict) -> None:
    s = sheet(**fields)
    assert s.reduction.rate == 0 and s.reduction.amount == 0
    assert s.total == sum(line.amount for line in s.items)
    if fields["reduction_requested"]:
        assert s.notes, "a refused reduction is explained"


@pytest.mark.parametrize(
    ("granted_in_year", "year", "reduced"),
    [
        (None, 10, True),
        (None, 11, False),
        (3, 3, True),
        (3, 12, True),
        (3, 13, False),
        (4, 3, False),
    ],
)
def test_annual_fee_reduction_covers_ten_years_from_grant(
    granted_in_year: int | None, year: int, reduced: bool
) -> None:
    s = sheet(
        business_type="fee",
        patent_type="invention",
        annual_fee_year=year,
        granted_in_year=granted_in_year,
        reduction_requested=True,
        qualifying_applicants=1,
    )
    assert (s.reduction.amount > 0) is reduced


@pytest.mark.parametrize(
    ("isa", "expected"),
    [
        (
            None,
            {
                "application_invention": 900,
                "printing_invention": 50,
                "examination_invention": 2500,
                "excess_claims": 300,
                "excess_pages_31": 250,
            },
        ),
        # ISA CN: no application fee and no surcharges; printing and examination are due
        ("CN", {"printing_invention": 50, "examination_invention": 2500}),
        # ISA EP/JP/SE: examination fee reduced by 20 %
        (
            "ep",
            {
                "application_invention": 900,
                "printing_invention": 50,
                "examination_invention": 2000,
                "excess_claims": 300,
                "excess_pages_31": 250,
            },
        ),
        (
            "US",
            {
                "application_invention": 900,
                "printing_invention": 50,
                "examination_invention": 2500,
                "excess_claims": 300,
                "excess_pages_31": 250,
            },
        ),
    ],
)
def test_pct_national_phase(isa: str | None, expected: dict) -> None:
    s = sheet(business_type="pct-national", claims=12, pages=35, international_search_by=isa)
    assert amounts(s) == expected


def test_pct_national_utility_model() -> None:
    s = sheet(business_type="pct-national", patent_type="utility", claims=11)
    assert amounts(s) == {"application_utility": 500, "excess_claims": 150}


# PCT with CNIPA as receiving office, by schedule.
PCT = {
    # date: (filing fee, per sheet, pdf, xml)
    dt.date(2022, 6, 1): (9260, 100, 1390, 2090),
    dt.date(2023, 1, 5): (9620, 110, 1450, 2170),
    dt.date(2023, 8, 1): (10350, 120, 1560, 2340),
    dt.date(2024, 3, 1): (10620, 120, 1600, 2400),
}


@pytest.mark.parametrize("on", list(PCT))
@pytest.mark.parametrize("sheets", [0, 30, 31, 45])
@pytest.mark.parametrize("fmt", ["pdf", "xml"])
def test_pct_international_application(on: dt.date, sheets: int, fmt: str) -> None:
    fee, per_sheet, pdf, xml = PCT[on]
    s = sheet(on, business_type="pct", sheets=sheets, efiling_format=fmt, priority_claims=2)
    extra = max(0, sheets - 30)
    credit = pdf if fmt == "pdf" else xml
    expected = {
        "pct_transmittal": 500,
        "pct_search": 2100,
        "pct_international_filing": fee,
        f"pct_efiling_reduction_{fmt}": -credit,
    }
    if extra:
        expected["pct_extra_sheet"] = extra * per_sheet
    assert amounts(s) == expected
    assert s.total == 500 + 2100 + fee + extra * per_sheet - credit


def test_pct_optional_fees_on_request() -> None:
    s = sheet(
        dt.date(2024, 3, 1),
        business_type="fee",
        schedule_kind="pct",
        requested_items=[
            {"code": "pct_preliminary_examination"},
            {"code": "pct_handling"},
            {"code": "pct_additional_search", "count": 2},
        ],
    )
    assert amounts(s) == {
        "pct_additional_search": 4200,
        "pct_preliminary_examination": 1500,
        "pct_handling": 1600,
    }


def test_unknown_requested_item_is_named() -> None:
    with pytest.raises(UnknownFeeItem) as err:
        sheet(business_type="fee", requested_items=[{"code": "no_such_fee"}])
    assert "no_such_fee" in err.value.zh and "restoration" in err.value.en


def test_annual_fee_cannot_be_requested_as_an_item() -> None:
    with pytest.raises(FeeRuleError):
        sheet(business_type="fee", requested_items=[{"code": "annual_fee_invention"}])


@pytest.mark.parametrize("business", ["reexam", "invalidation"])
def test_patent_type_required_where_fees_depend_on_it(business: str) -> None:
    with pytest.raises(FeeInputInvalid) as err:
        sheet(business_type=business)
    assert "patent_type" in err.value.en


@pytest.mark.parametrize(
    "fields",
    [
        {"business_type": "invention", "patent_type": "utility"},
        {"business_type": "pct-national", "patent_type": "design"},
        {"business_type": "invention", "applicants": 1, "qualifying_applicants": 2},
        {"business_type": "invention", "claims": -1},
        {"business_type": "ic-layout"},
        {"business_type": "invention", "clams": 3},  # typo: refused, not ignored
    ],
)
def test_bad_fee_input_is_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        FeeInput.model_validate(fields)


def test_sheet_json_shape() -> None:
    data = sheet(business_type="invention", claims=11).to_json()
    assert {"schedule", "items", "reduction", "total"} <= set(data)
    assert set(data["schedule"]) == {"id", "kind", "effective_from", "source"}
    assert data["items"][0] == {
        "code": "application_invention",
        "name": "发明专利申请费",
        "name_en": "Invention application fee",
        "count": 1,
        "unit_amount": 900,
        "amount": 900,
    }
    assert data["total"] == 3600 and isinstance(data["total"], int)
    assert data["reduction"] == {"rate": 0.0, "amount": 0, "items": []}


def test_explain_names_schedule_date_and_predecessor() -> None:
    s = sheet(dt.date(2023, 1, 5), business_type="pct", sheets=10)
    text = explain(s)
    assert "2023-01-05" in text["zh"] and "pct-cnipa-ro-2023-01-01" in text["zh"]
    assert "2022-12-31" in text["zh"] and "pct-cnipa-ro-2021-12-01" in text["zh"]
    assert "pct-cnipa-ro-2023-07-01" in text["en"]
    assert "midnight Beijing" in text["en"]
    # Where the figures were gathered is for operators, not for the people paying.
    assert s.schedule.source and s.schedule.source[:40] not in text["zh"] + text["en"]
    assert "数据来源" not in text["zh"] and "Source of the figures" not in text["en"]


def test_explain_lists_reduced_fees_by_name() -> None:
    s = sheet(business_type="invention", reduction_requested=True, qualifying_applicants=1)
    text = explain(s)
    assert "85%" in text["zh"] and "发明专利申请费" in text["zh"]
    assert "Substantive examination fee" in text["en"]
