"""Comparing a submitted fee sheet with the correct one (授权扣款, seed E1).

An authorized-deduction payment carries the applicant's own fee calculation sheet; the
office deducts exactly those amounts, so a sheet made at last year's rates must be refused
with the correct amounts (or the office issues a payment notice stating them).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from patentdesk.fees.amounts import SheetAmount
from patentdesk.fees.errors import SheetInvalid, SheetMismatch
from patentdesk.fees.schemas import Difference, FeeSheet, money


class SubmittedItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str = Field(min_length=1)
    name: str | None = None
    count: int = Field(default=1, ge=0)
    amount: SheetAmount


class SubmittedSheet(BaseModel):
    """A sheet as an applicant submits it: at least the items' codes and amounts.

    Accepts what ``patentdesk fees quote --json`` prints (and a bare ``reduction`` number);
    unknown keys are ignored so that sheets from other tools can be compared too.
    """

    model_config = ConfigDict(extra="ignore")

    items: list[SubmittedItem]
    # Every amount in the one bounded format (fees.amounts): «1E+100» was a 500 here.
    reduction: SheetAmount = Decimal(0)
    total: SheetAmount | None = None
    schedule: str | None = None

    @field_validator("reduction", mode="before")
    @classmethod
    def _reduction(cls, value: Any) -> Any:
        if value is None:
            return Decimal(0)
        return value.get("amount", 0) if isinstance(value, dict) else value

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        return value.get("id") if isinstance(value, dict) else value


def parse_sheet(source: Path | str | bytes | dict[str, Any]) -> SubmittedSheet:
    """Reads a fee sheet from a JSON file path, JSON text or a dict; clear error if bad."""
    data: Any = source
    label = "sheet"
    try:
        if isinstance(source, Path):
            label = str(source)
            data = json.loads(source.read_text(encoding="utf-8"))
        elif isinstance(source, str | bytes):
            data = json.loads(source)
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetInvalid(problems=f"{label}: {type(exc).__name__}") from None
    except json.JSONDecodeError as exc:
        raise SheetInvalid(
            problems=f"{label}: JSON 第 {exc.lineno} 行 / line {exc.lineno}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("fee_sheet"), dict):
        data = data["fee_sheet"]  # a sheet wrapped by its submission
    if not isinstance(data, dict):
        raise SheetInvalid(
            problems=f"{label}: 应为含 items 的 JSON 对象 / expected an object with items"
        )
    try:
        return SubmittedSheet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SheetInvalid(problems=problems) from None


def _as_submitted(sheet: FeeSheet | SubmittedSheet | dict[str, Any]) -> SubmittedSheet:
    if isinstance(sheet, SubmittedSheet):
        return sheet
    if isinstance(sheet, FeeSheet):
        return parse_sheet(sheet.to_json())
    return parse_sheet(sheet)


def compare_sheet(
    submitted: FeeSheet | SubmittedSheet | dict[str, Any], correct: FeeSheet
) -> list[Difference]:
    """Every wrong, missing or extra amount of ``submitted``, then reduction and total.

    Items are matched by code (repeated codes are summed); an amount of zero on one side
    counts as absent.
    """
    sub = _as_submitted(submitted)
    got: dict[str, tuple[Decimal, int, str | None]] = {}
    for item in sub.items:
        amount, count, name = got.get(item.code, (Decimal(0), 0, item.name))
        got[item.code] = (money(amount + item.amount), count + item.count, name)
    diffs: list[Difference] = []
    expected_codes = set()
    for line in correct.items:
        expected_codes.add(line.code)
        if line.code not in got:
            diffs.append(
                Difference(
                    kind="missing",
                    code=line.code,
                    name=line.name,
                    submitted=None,
                    correct=line.amount,
                    correct_count=line.count,
                )
            )
            continue
        amount, count, _ = got[line.code]
        if amount != line.amount:
            diffs.append(
                Difference(
                    kind="wrong",
                    code=line.code,
                    name=line.name,
                    submitted=amount,
                    correct=line.amount,
                    submitted_count=count,
                    correct_count=line.count,
                )
            )
    for code, (amount, count, name) in got.items():
        if code not in expected_codes and amount != 0:
            diffs.append(
                Difference(
                    kind="extra",
                    code=code,
                    name=name or code,
                    submitted=amount,
                    correct=None,
                    submitted_count=count,
                )
            )
    if money(sub.reduction) != correct.reduction.amount:
        diffs.append(
            Difference(
                kind="reduction",
                code="reduction",
                name="费用减缴",
                submitted=money(sub.reduction),
                correct=correct.reduction.amount,
            )
        )
    submitted_total = (
        money(sub.total)
        if sub.total is not None
        else money(sum((a for a, _, _ in got.values()), Decimal(0)) - sub.reduction)
    )
    if submitted_total != correct.total:
        diffs.append(
            Difference(
                kind="total",
                code="total",
                name="合计",
                submitted=submitted_total,
                correct=correct.total,
            )
        )
    return diffs


def _yuan(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def mismatch_error(differences: list[Difference], correct: FeeSheet) -> SheetMismatch:
    """The error refusing a sheet: lists every correct amount and what was wrong."""
    ref = correct.schedule
    lines_zh = [f"{line.name} {_yuan(line.amount)} 元" for line in correct.items]
    lines_en = [f"{line.name_en or line.code} CNY {_yuan(line.amount)}" for line in correct.items]
    if correct.reduction.amount:
        lines_zh.append(f"费用减缴 -{_yuan(correct.reduction.amount)} 元")
        lines_en.append(f"fee reduction -CNY {_yuan(correct.reduction.amount)}")
    wrong = "、".join(d.name for d in differences if d.kind in ("wrong", "missing", "extra"))
    zh = (
        f"费用计算页金额与 {ref.effective_from} 起施行的收费标准 {ref.id} 不符"
        + (f"（{wrong}）" if wrong else "")
        + f"。正确金额：{'；'.join(lines_zh)}；合计 {_yuan(correct.total)} 元。"
        "请按正确金额重新制作费用计算页，或按缴费通知书所列金额缴费。"
    )
    en = (
        f"The fee sheet does not match schedule {ref.id} in force from {ref.effective_from}. "
        f"Correct amounts: {'; '.join(lines_en)}; total CNY {_yuan(correct.total)}. "
        "Make a new sheet with these amounts, or pay the amounts of the payment notice."
    )
    return SheetMismatch(
        zh,
        en,
        details={
            "schedule": ref.model_dump(mode="json"),
            "differences": [d.model_dump(mode="json") for d in differences],
            "correct": {
                "items": [i.model_dump(mode="json") for i in correct.items],
                "reduction": correct.reduction.model_dump(mode="json"),
                "total": correct.to_json()["total"],
            },
        },
    )


def check_sheet(submitted: FeeSheet | SubmittedSheet | dict[str, Any], correct: FeeSheet) -> None:
    """Raises :class:`SheetMismatch` listing the correct amounts when the sheets differ."""
    differences = compare_sheet(submitted, correct)
    if differences:
        raise mismatch_error(differences, correct)
