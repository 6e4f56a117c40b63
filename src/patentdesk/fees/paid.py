"""Fees paid (已缴费用) by a permission domain: the figures of the statistics (统计).

Only confirmed payments (已到账) count, at the amount actually paid: a payment waiting for
the bank or one the bank refused paid nothing. Like every fee figure, they belong to the
case's own domain (``fee:pay``): other domains never see them, and office users, who do not
handle a domain's fees, get ``None`` ("not available"), never a made-up zero.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor, Permission, restrict
from patentdesk.fees.models import FeePayment
from patentdesk.fees.payments import METHODS
from patentdesk.timeutil import beijing_date

LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True)
class PaidFigure:
    """One line of the fees paid: ``total``, ``method:<method>`` or ``month:YYYY-MM``."""

    key: str
    label: str  # Chinese
    label_en: str
    payments: int  # confirmed payments (笔数)
    paid_fen: int


@cache
def _catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{lang}.json").read_text("utf-8"))
    return data


def method_label(method: str, lang: str = "zh") -> str:
    return _catalog(lang).get(f"fees.method.{method}", method)


def fees_paid(db: Db, actor: Actor) -> list[PaidFigure] | None:
    """The total, then by payment method, then by month paid (Beijing time), oldest first."""
    if actor.domain_id is None or not actor.can(Permission.FEE_PAY):
        return None
    paid_at = func.coalesce(FeePayment.confirmed_at, FeePayment.created_at)
    rows = cast(
        Select[Any], select(FeePayment.method, paid_at, func.coalesce(FeePayment.paid_fen, 0))
    )
    stmt = restrict(rows, FeePayment.domain_id, actor, Permission.FEE_PAY).where(
        FeePayment.status == "confirmed"
    )
    # A Beijing calendar month is not portable SQL (SQLite has no time zones), so the rows
    # are tallied here: two numbers per confirmed payment, a few payments per case.
    count: dict[str, int] = defaultdict(int)
    fen: dict[str, int] = defaultdict(int)
    for method, when, amount in db.execute(stmt):
        day = beijing_date(when)
        for key in ("total", f"method:{method}", f"month:{day:%Y-%m}"):
            count[key] += 1
            fen[key] += int(amount)

    def figure(key: str, zh: str, en: str) -> PaidFigure:
        return PaidFigure(key, zh, en, count[key], fen[key])

    order = {m: i for i, m in enumerate(METHODS)}
    methods = sorted(
        (k.removeprefix("method:") for k in count if k.startswith("method:")),
        key=lambda m: (order.get(m, len(order)), m),
    )
    months = sorted(k.removeprefix("month:") for k in count if k.startswith("month:"))
    return [
        figure("total", _catalog("zh")["fees.stats.total"], _catalog("en")["fees.stats.total"]),
        *(figure(f"method:{m}", method_label(m, "zh"), method_label(m, "en")) for m in methods),
        *(figure(f"month:{m}", f"{int(m[:4])}年{int(m[5:])}月", m) for m in months),
    ]
