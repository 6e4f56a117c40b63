"""Data shapes of the fee domain: schedules (data files), fee inputs and fee sheets.

A schedule file is validated by :class:`Schedule`; unknown keys are refused so that a typo
in an operator's file is an error, not a silently ignored rule. The format is described in
docs/fees.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from patentdesk.fees.amounts import SheetAmount

ScheduleKind = Literal["domestic", "pct"]
PatentType = Literal["invention", "utility", "design"]
BusinessType = Literal[
    "invention",
    "utility",
    "design",
    "reexam",
    "invalidation",
    "pct",
    "pct-national",
    "fee",
    "change",
    "response",
]
EfilingFormat = Literal["pdf", "xml"]
# What an item counts. ``one``: once per business; the others name a FeeInput field.
Quantity = Literal[
    "one", "claims", "pages", "priority_claims", "sheets", "extension_months", "annual_fee_year"
]
# FeeInput flags an item may require (``requires:``).
Flag = Literal["request_examination"]

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Amounts are kept to the fen, rounded half up (the usual rounding of Chinese fees)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _json_number(value: Decimal) -> int | float:
    # Scripts read amounts as JSON numbers; whole yuan stay integers (9620, not 9620.0).
    return int(value) if value == value.to_integral_value() else float(value)


# An amount the system computed (a difference, a sum): shown, never parsed from input.
Amount = Annotated[
    Decimal, PlainSerializer(_json_number, return_type=int | float, when_used="json")
]
Rate = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Name(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Band(_Strict):
    """An annual-fee band: patent years ``years[0]``..``years[1]`` (inclusive) cost ``amount``."""

    years: tuple[int, int]
    amount: Decimal = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not 1 <= self.years[0] <= self.years[1]:
            raise ValueError(f"band years {list(self.years)} must be 1 <= first <= last")
        return self


class IsaReduction(_Strict):
    """PCT national phase: a share of the fee is waived when one of ``offices`` was the ISA."""

    offices: list[str] = Field(min_length=1)
    rate: Decimal = Field(gt=0, le=1)


class ScheduleItem(_Strict):
    """One fee of a schedule and the rule that says when and how often it is due."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: Name
    amount: Decimal | None = Field(default=None, ge=0, description="CNY per unit")
    quantity: Quantity = "one"
    from_unit: int = Field(default=1, ge=1, alias="from", description="first unit charged")
    to_unit: int | None = Field(default=None, ge=1, alias="to", description="last unit charged")
    bands: list[Band] | None = None
    business: list[BusinessType] = Field(
        default_factory=list, description="business types that owe it; empty: only on request"
    )
    patent_type: list[PatentType] | None = None
    requires: Flag | None = None
    efiling_format: EfilingFormat | None = None
    when_changes: list[str] | None = None
    credit: bool = Field(default=False, description="a reduction line, subtracted")
    reducible: bool = Field(default=False, description="subject to 费用减缴")
    reducible_years_from_grant: int | None = Field(default=None, ge=1)
    waived_if_isa: list[str] | None = None
    reduced_if_isa: IsaReduction | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleItem:
        if self.quantity == "annual_fee_year":
            if not self.bands:
                raise ValueError(f"{self.code}: an annual_fee_year item needs bands")
            if self.amount is not None:
                raise ValueError(f"{self.code}: an item with bands takes no amount")
            previous = 0
            for band in self.bands:
                if band.years[0] != previous + 1:
                    raise ValueError(
                        f"{self.code}: bands must be contiguous from year 1; "
                        f"year {previous + 1} is missing or overlaps"
                    )
                previous = band.years[1]
        else:
            if self.bands:
                raise ValueError(f"{self.code}: bands are only for quantity annual_fee_year")
            if self.amount is None:
                raise ValueError(f"{self.code}: amount is required")
        if self.to_unit is not None and self.to_unit < self.from_unit:
            raise ValueError(f"{self.code}: 'to' ({self.to_unit}) is before 'from'")
        if self.reducible_years_from_grant is not None and not (
            self.reducible and self.quantity == "annual_fee_year"
        ):
            raise ValueError(
                f"{self.code}: reducible_years_from_grant is for reducible annual fees"
            )
        return self

    def band_amount(self, year: int) -> Decimal | None:
        for band in self.bands or ():
            if band.years[0] <= year <= band.years[1]:
                return band.amount
        return None

    def units_charged(self, count: int) -> int:
        """How many of ``count`` units fall in [from, to]: claims 15 with from 11 → 5."""
        last = count if self.to_unit is None else min(count, self.to_unit)
        return max(0, last - self.from_unit + 1)


class ReductionRule(_Strict):
    """费用减缴: share waived for one qualifying applicant and for several (all qualifying)."""

    single: Decimal = Field(gt=0, lt=1)
    joint: Decimal = Field(gt=0, lt=1)


class Schedule(_Strict):
    """A fee schedule in force from ``effective_from`` (00:00 Beijing) until the next one."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")
    kind: ScheduleKind
    effective_from: dt.date
    currency: Literal["CNY"]
    source: str = Field(min_length=10, description="where the figures come from")
    replaces: str | None = Field(default=None, description="id of a schedule this corrects")
    reduction: ReductionRule | None = None
    items: list[ScheduleItem] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _unique_codes(cls, items: list[ScheduleItem]) -> list[ScheduleItem]:
        seen: set[str] = set()
        for item in items:
            if item.code in seen:
                raise ValueError(f"item code {item.code} appears twice")
            seen.add(item.code)
        return items

    def item(self, code: str) -> ScheduleItem | None:
        return next((i for i in self.items if i.code == code), None)


class RequestedItem(_Strict):
    code: str
    count: int = Field(default=1, ge=1)


class FeeInput(BaseModel):
    """What a fee sheet is computed from (one submission's business).

    ``filing_date`` is the Beijing calendar date of the submission that owes the fees (for a
    new application its filing date); it picks the schedule. ``pages`` counts the pages of
    the description including drawings (说明书含附图), the base of the excess-pages fee;
    ``sheets`` counts all sheets of a PCT international application.
    """

    model_config = ConfigDict(extra="forbid")

    business_type: BusinessType
    filing_date: dt.date | None = None
    patent_type: PatentType | None = None
    claims: int = Field(default=0, ge=0)
    pages: int = Field(default=0, ge=0)
    priority_claims: int = Field(default=0, ge=0)
    sheets: int = Field(default=0, ge=0)
    efiling_format: EfilingFormat = "pdf"
    request_examination: bool = True
    applicants: int | None = Field(default=None, ge=1)
    qualifying_applicants: int = Field(default=0, ge=0)
    reduction_requested: bool = False
    annual_fee_year: int | None = Field(default=None, ge=1, le=30)
    granted_in_year: int | None = Field(
        default=None, ge=1, le=30, description="patent year in which the patent was granted"
    )
    extension_months: int = Field(default=0, ge=0, le=12)
    international_search_by: str | None = Field(
        default=None, description="PCT national phase: ISA office code, e.g. CN, EP, JP"
    )
    changes: list[str] = Field(default_factory=list, description="items a change request changes")
    requested_items: list[RequestedItem] = Field(default_factory=list)
    schedule_kind: ScheduleKind | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FeeInput:
        own = {"invention", "utility", "design"}
        if self.business_type in own:
            if self.patent_type not in (None, self.business_type):
                raise ValueError(
                    f"patent_type {self.patent_type} contradicts business_type {self.business_type}"
                )
            self.patent_type = self.business_type  # type: ignore[assignment]
        if self.business_type == "pct-national":
            if self.patent_type == "design":
                raise ValueError("a PCT national phase entry is an invention or a utility model")
            self.patent_type = self.patent_type or "invention"
        if self.applicants is not None and self.qualifying_applicants > self.applicants:
            raise ValueError("qualifying_applicants exceeds applicants")
        if self.international_search_by:
            self.international_search_by = self.international_search_by.strip().upper()
        return self

    @property
    def kind(self) -> ScheduleKind:
        if self.schedule_kind is not None:
            return self.schedule_kind
        return "pct" if self.business_type == "pct" else "domestic"


class SheetItem(BaseModel):
    code: str
    name: str
    name_en: str | None = None
    count: int
    unit_amount: SheetAmount | None = None
    amount: SheetAmount


class SheetReduction(BaseModel):
    rate: Rate = Decimal(0)
    amount: SheetAmount = Decimal(0)
    items: list[str] = Field(default_factory=list, description="codes the reduction applies to")


class ScheduleRef(BaseModel):
    id: str
    kind: ScheduleKind
    effective_from: dt.date
    source: str


class Note(BaseModel):
    zh: str
    en: str


class FeeSheet(BaseModel):
    """费用计算页: the fee calculation sheet of one submission (forms/fee_sheet.json)."""

    schedule: ScheduleRef
    business_type: BusinessType
    filing_date: dt.date
    currency: Literal["CNY"] = "CNY"
    items: list[SheetItem]
    reduction: SheetReduction
    total: SheetAmount
    notes: list[Note] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Difference(BaseModel):
    """One way a submitted sheet differs from the correct one."""

    kind: Literal["wrong", "missing", "extra", "reduction", "total"]
    code: str
    name: str
    submitted: Amount | None
    correct: Amount | None
    submitted_count: int | None = None
    correct_count: int | None = None
