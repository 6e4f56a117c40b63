"""My Desk's payments due and drafts, and the statistics' fees paid, from the fees and drafts
domains.

Registered at import by the query pages; a provider that needs the settings (data folder)
finds them on the request's database session (``Session.info["settings"]``, set by the unit
of work).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from patentdesk.authz import Actor
from patentdesk.query.desk import (
    DRAFTS_PROVIDERS,
    PAYMENTS_DUE_PROVIDERS,
    DraftItem,
    PaymentDue,
)
from patentdesk.query.stats import FEES_PAID_PROVIDERS, Count


def payments_due(db: Session, actor: Actor, today: dt.date) -> list[PaymentDue]:
    from patentdesk.fees.due import deadline_rows
    from patentdesk.identity.service import Context

    settings = db.info.get("settings")
    if settings is None:
        return []
    rows = deadline_rows(db, Context(settings), actor)
    return [
        PaymentDue(
            application_number=r["application_number"],
            fee_name="",  # the line says what is owed and by when; no name to repeat it
            amount=Decimal(str(r["outstanding"])),
            due=dt.date.fromisoformat(r["deadline"]),
        )
        for r in rows
    ]


def drafts(db: Session, actor: Actor) -> list[DraftItem]:
    from patentdesk.drafts.shared import drafts_for
    from patentdesk.drafts.store import Owner

    settings = db.info.get("settings")
    if settings is None:
        return []
    from patentdesk.drafts.status import with_filing_status

    store = drafts_for(settings, session=db)
    entries = with_filing_status(db, actor, store.entries(Owner(actor.user_id, actor.domain_id)))
    return [
        DraftItem(
            title=str(e.get("title") or ""),  # the page shows — in either language
            business_type=str(e.get("business_type") or ""),
            updated=e.get("updated_at"),
            href=f"/drafts/{e['id']}",
        )
        for e in entries
        if not e.get("damaged") and not e.get("filed")  # filed business is not unsubmitted
    ]


def fees_paid(db: Session, actor: Actor) -> list[Count] | None:
    """Confirmed payments of the actor's domain: count and yuan, in total, by method and by
    month paid (None for office users, who do not see a domain's fees)."""
    from patentdesk.fees.paid import fees_paid as paid

    figures = paid(db, actor)
    if figures is None:
        return None
    return [
        Count(f.key, f.label, f.label_en, f.payments, Decimal(f.paid_fen) / 100) for f in figures
    ]


def register() -> None:
    if payments_due not in PAYMENTS_DUE_PROVIDERS:
        PAYMENTS_DUE_PROVIDERS.append(payments_due)
    if drafts not in DRAFTS_PROVIDERS:
        DRAFTS_PROVIDERS.append(drafts)
    if fees_paid not in FEES_PAID_PROVIDERS:
        FEES_PAID_PROVIDERS.append(fees_paid)
