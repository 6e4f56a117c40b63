"""Payments of fees (缴费) and authorised-deduction accounts (授权扣款账户).

Amounts are stored in fen (分) as integers: exact, and the same on SQLite and PostgreSQL.
What a case owes is not stored here: it is the fee sheets of its submissions and of the
office's payment notices (see :mod:`patentdesk.fees.ledger`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now

Fen = BigInteger().with_variant(Integer, "sqlite")


class DeductionAuthorization(Base):
    """授权扣款: a domain's pre-authorised account from which the office deducts fees.

    Usable only once the bank verified it (``status`` ``verified``, by its signed callback
    for ``gateway_reference``); ``pending`` until then, ``rejected`` when the bank refused.
    """

    __tablename__ = "fee_deduction_authorizations"
    __table_args__ = (Index("ix_fee_deduction_authorizations_domain", "domain_id", "revoked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"))
    account_name: Mapped[str] = mapped_column(String(100))  # 账户名称
    account_number: Mapped[str] = mapped_column(String(40))  # 账号
    bank: Mapped[str] = mapped_column(String(100))  # 开户行
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|verified|rejected
    gateway: Mapped[str | None] = mapped_column(String(32))
    gateway_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    verified_at: Mapped[dt.datetime | None]
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class FeePayment(Base):
    """One payment towards a case's fees, by one of the three methods."""

    __tablename__ = "fee_payments"
    __table_args__ = (
        UniqueConstraint("domain_id", "idempotency_key"),
        Index("ix_fee_payments_case_created", "case_id", "created_at"),
        # At most one payment of a case awaits the bank: a second one is refused (issue 17),
        # atomically, also when two requests race.
        Index(
            "uq_fee_payments_one_pending",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    domain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domains.id"))
    # online-banking | payment-notice | authorized-deduction
    method: Mapped[str] = mapped_column(String(24))
    # pending | confirmed | failed | cancelled (by the payer, or when another payment settled)
    status: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Fen)  # asked for
    paid_fen: Mapped[int | None] = mapped_column(Fen)  # confirmed by the bank or the deduction
    sheet: Mapped[dict[str, Any] | None]  # the fee sheet paid by (deduction, notice)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notices.id"))
    notice_serial: Mapped[str | None] = mapped_column(String(32))
    authorization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("fee_deduction_authorizations.id")
    )
    gateway: Mapped[str | None] = mapped_column(String(32))
    gateway_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    bank_serial: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    confirmed_at: Mapped[dt.datetime | None]


class FeeScheduleRecord(Base):
    """An operator-added fee schedule (``patentdesk admin fees add``), shared by every server
    of the installation: the operator's YAML text as given (comments kept), parsed and
    validated on the way in and again when read. The bundled schedules stay files of the
    code; these are the ones an operator adds or corrects between releases."""

    __tablename__ = "fee_schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[dt.date]
    text: Mapped[str] = mapped_column(Text)
    # The cache's fingerprint: (id, sha256) of every row tells a server that another one
    # added or replaced a schedule, with one small query and no clock.
    sha256: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime] = mapped_column(default=now)
