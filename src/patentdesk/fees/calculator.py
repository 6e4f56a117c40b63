"""The fee calculation sheet (费用计算页): which fees a submission owes under a schedule.

The rules live in the schedule data (which business owes an item, what it counts, from
which unit); this module only applies them. Bands of counted units are marginal: with 350
description pages an invention owes pages 31–300 at the first rate and pages 301–350 at
the second, never all 350 pages at the higher rate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from patentdesk.fees.errors import FeeInputInvalid, FeeRuleError, UnknownFeeItem
from patentdesk.fees.schedules import KIND_ZH, as_beijing_date, book, schedule_for
from patentdesk.fees.schemas import (
    FeeInput,
    FeeSheet,
    Note,
    Schedule,
    ScheduleItem,
    ScheduleRef,
    SheetItem,
    SheetReduction,
    money,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as Db

BUSINESS_ZH = {
    "invention": "发明专利申请",
    "utility": "实用新型专利申请",
    "design": "外观设计专利申请",
    "reexam": "复审请求",
    "invalidation": "无效宣告请求",
    "pct": "PCT国际申请",
    "pct-national": "PCT国际申请进入中国国家阶段",
    "fee": "缴费",
    "change": "著录项目变更",
    "response": "答复/补正",
}
# Quantities that make an item due whatever the business, once the input names them.
ON_DEMAND = {"extension_months", "annual_fee_year"}


def _check_input(fee_input: FeeInput, schedule: Schedule, requested: dict[str, int]) -> None:
    needs_type = fee_input.business_type in ("reexam", "invalidation") or (
        fee_input.annual_fee_year is not None
    )
    if needs_type and fee_input.patent_type is None:
        raise FeeInputInvalid(
            problems="patent_type（invention/utility/design）为复审、无效或年费所必需 / "
            "patent_type is required for reexam, invalidation and annual fees"
        )
    for code in requested:
        item = schedule.item(code)
        if item is None:
            known = ", ".join(i.code for i in schedule.items)
            raise UnknownFeeItem(schedule=schedule.id, item=code, known=known)
        if item.bands:
            raise FeeRuleError(
                f"{code} 按年度计费，请使用 annual_fee_year",
                f"{code} is priced by year; give annual_fee_year instead of requesting it",
            )


def _applies(item: ScheduleItem, fee_input: FeeInput) -> bool:
    if item.patent_type is not None and fee_input.patent_type not in item.patent_type:
        return False
    if item.quantity in ON_DEMAND:
        named = getattr(fee_input, item.quantity)
        if not named:
            return False
        if item.business and fee_input.business_type not in item.business:
            return False
    elif fee_input.business_type not in item.business:
        return False
    if item.requires is not None and not getattr(fee_input, item.requires):
        return False
    if item.efiling_format is not None and item.efiling_format != fee_input.efiling_format:
        return False
    return not (
        item.when_changes is not None and not set(fee_input.changes) & set(item.when_changes)
    )


def _reducible(item: ScheduleItem, fee_input: FeeInput) -> bool:
    if not item.reducible or item.credit:
        return False
    if item.reducible_years_from_grant is None or fee_input.annual_fee_year is None:
        return True
    # 减缴 covers the annual fees of the first N years counted from the year of grant.
    start = fee_input.granted_in_year or 1
    return start <= fee_input.annual_fee_year < start + item.reducible_years_from_grant


def _line(item: ScheduleItem, count: int, unit: Decimal) -> SheetItem:
    amount = money(unit * count)
    return SheetItem(
        code=item.code,
        name=item.name.zh,
        name_en=item.name.en,
        count=count,
        unit_amount=money(-unit if item.credit else unit),
        amount=-amount if item.credit else amount,
    )


def _priced(
    item: ScheduleItem, fee_input: FeeInput, notes: list[Note]
) -> tuple[int, Decimal] | None:
    """(count, unit amount) of an item due by the rules, or None when nothing is owed."""
    isa = fee_input.international_search_by
    national = fee_input.business_type == "pct-national"
    if national and isa and item.waived_if_isa and isa in item.waived_if_isa:
        notes.append(
            Note(
                zh=f"{item.name.zh}：国际检索单位为 {isa}，免缴",
                en=f"{item.name.en}: waived, the international search was made by {isa}",
            )
        )
        return None
    if item.quantity == "annual_fee_year":
        year = fee_input.annual_fee_year
        assert year is not None  # _applies checked it
        unit = item.band_amount(year)
        if unit is None:
            last = item.bands[-1].years[1] if item.bands else 0
            raise FeeRuleError(
                f"{item.name.zh}：第 {year} 年不在收费标准的年度范围（1–{last}）内",
                f"{item.name.en}: year {year} is outside the schedule's bands (1–{last})",
            )
        count = 1
    elif item.quantity == "one":
        count = 1
        unit = item.amount or Decimal(0)
    else:
        count = item.units_charged(getattr(fee_input, item.quantity))
        unit = item.amount or Decimal(0)
    if count == 0:
        return None
    rule = item.reduced_if_isa
    if national and isa and rule is not None and isa in rule.offices:
        unit = money(unit * (1 - rule.rate))
        notes.append(
            Note(
                zh=f"{item.name.zh}：国际检索单位为 {isa}，减缴 {rule.rate * 100:.0f}%",
                en=f"{item.name.en}: reduced by {rule.rate * 100:.0f} %, "
                f"the international search was made by {isa}",
            )
        )
    return count, unit


def _reduction_rate(fee_input: FeeInput, schedule: Schedule, notes: list[Note]) -> Decimal:
    if not fee_input.reduction_requested:
        return Decimal(0)
    if schedule.reduction is None:
        notes.append(
            Note(
                zh=f"收费标准 {schedule.id} 的费用不适用费用减缴",
                en=f"The fees of schedule {schedule.id} are not subject to fee reduction",
            )
        )
        return Decimal(0)
    qualifying = fee_input.qualifying_applicants
    applicants = fee_input.applicants if fee_input.applicants is not None else qualifying
    if qualifying == 0 or qualifying < applicants:
        notes.append(
            Note(
                zh="请求了费用减缴，但并非每位申请人都符合减缴条件，不予减缴",
                en="Fee reduction was requested, but not every applicant qualifies: none given",
            )
        )
        return Decimal(0)
    return schedule.reduction.single if applicants == 1 else schedule.reduction.joint


def calculate(
    fee_input: FeeInput,
    on: dt.date | dt.datetime | None = None,
    *,
    data_dir: Path | None = None,
    db: Db | None = None,
    schedule: Schedule | None = None,
) -> FeeSheet:
    """The fee sheet of ``fee_input`` under the schedule in force on ``on``.

    ``on`` defaults to ``fee_input.filing_date``, then to today in Beijing. ``schedule``
    forces a schedule (e.g. one quoted in an office notice) instead of choosing by date.
    ``db`` (a server's session) adds the operators' shared schedules to the bundled ones.
    """
    date = as_beijing_date(on if on is not None else fee_input.filing_date)
    schedule = schedule or schedule_for(fee_input.kind, date, data_dir, db)
    requested: dict[str, int] = {}
    for req in fee_input.requested_items:
        requested[req.code] = requested.get(req.code, 0) + req.count
    _check_input(fee_input, schedule, requested)

    notes: list[Note] = []
    lines: list[SheetItem] = []
    reducible: list[SheetItem] = []
    for item in schedule.items:
        if item.code in requested:
            priced: tuple[int, Decimal] | None = (requested[item.code], item.amount or Decimal(0))
        elif _applies(item, fee_input):
            priced = _priced(item, fee_input, notes)
        else:
            continue
        if priced is None:
            continue
        line = _line(item, *priced)
        lines.append(line)
        if _reducible(item, fee_input):
            reducible.append(line)

    rate = _reduction_rate(fee_input, schedule, notes)
    reduction = SheetReduction(
        rate=rate,
        amount=money(sum((line.amount for line in reducible), Decimal(0)) * rate),
        items=[line.code for line in reducible] if rate else [],
    )
    total = money(sum((line.amount for line in lines), Decimal(0)) - reduction.amount)
    return FeeSheet(
        schedule=ScheduleRef(
            id=schedule.id,
            kind=schedule.kind,
            effective_from=schedule.effective_from,
            source=schedule.source,
        ),
        business_type=fee_input.business_type,
        filing_date=date,
        items=lines,
        reduction=reduction,
        total=total,
        notes=notes,
    )


def explain(sheet: FeeSheet, data_dir: Path | None = None, db: Db | None = None) -> dict[str, str]:
    """Why this schedule applies to this sheet, in Chinese and English (for the portal)."""
    ref = sheet.schedule
    known = book(data_dir, db)
    loaded = known.get(ref.id)
    successor = known.successor(loaded.schedule) if loaded else None
    predecessor = None
    if loaded:
        earlier = [
            s
            for s in known.schedules
            if s.kind == ref.kind and s.effective_from < ref.effective_from
        ]
        predecessor = max(earlier, key=lambda s: s.effective_from) if earlier else None
    kind_zh = KIND_ZH[ref.kind]
    day = dt.timedelta(days=1)
    zh = [
        f"本次{BUSINESS_ZH[sheet.business_type]}的提交日（北京时间）为 {sheet.filing_date}，"
        f"适用 {ref.effective_from} 起施行的{kind_zh}收费标准 {ref.id}。",
        "收费标准以北京时间零时为界：生效日 00:00（含）起提交的业务适用新标准。",
    ]
    en = [
        f"This {sheet.business_type} business was filed on {sheet.filing_date} (Beijing "
        f"time), so the {ref.kind} fee schedule {ref.id}, in force from "
        f"{ref.effective_from}, applies.",
        "Schedules change at midnight Beijing time: business filed from 00:00 of the "
        "effective date on uses the new schedule.",
    ]
    if predecessor is not None:
        last = ref.effective_from - day
        zh.append(f"{last} 及以前提交的业务适用此前的标准 {predecessor.id}。")
        en.append(f"Business filed on or before {last} used the earlier schedule {predecessor.id}.")
    if successor is not None:
        zh.append(f"自 {successor.effective_from} 起由 {successor.id} 取代。")
        en.append(f"It is superseded by {successor.id} from {successor.effective_from}.")
    if sheet.reduction.rate:
        pct = f"{sheet.reduction.rate * 100:.0f}"
        lines = {line.code: line for line in sheet.items}
        names_zh = [lines[c].name if c in lines else c for c in sheet.reduction.items]
        names_en = [(lines[c].name_en or c) if c in lines else c for c in sheet.reduction.items]
        zh.append(f"费用减缴 {pct}%，适用于：{'、'.join(names_zh)}。")
        en.append(f"Fee reduction of {pct} % on: {', '.join(names_en)}.")
    zh += [n.zh + "。" for n in sheet.notes]
    en += [n.en + "." for n in sheet.notes]
    # Where the figures were gathered from is for operators (the schedule's ``source``,
    # in the API and the data files), not something users need to read.
    return {"zh": "".join(zh), "en": " ".join(en)}
