"""HTTP API of alerts (thin): the person's alert settings."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from patentdesk.alerts import service
from patentdesk.deps import Ctx, CurrentActor, DbSession
from patentdesk.identity.models import User

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class AlertSettingsIn(BaseModel):
    email: str | None = Field(
        default=None,
        max_length=254,
        description="where e-mail alerts go; empty: none",
        json_schema_extra={"pattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"},
    )
    on_notices: bool = Field(default=True, description="a new notice (新通知书)")
    on_deadlines: bool = Field(default=True, description="a deadline 30, 7 and 1 days ahead")
    on_payments: bool = Field(default=True, description="a payment succeeded or failed")
    by_email: bool = True
    by_sms: bool = Field(default=False, description="also by SMS to the account's mobile")
    language: Literal["zh", "en"] = "zh"


def _out(db: Any, actor: Any) -> dict[str, Any]:
    return service.settings_out(service.my_settings(db, actor), db.get(User, actor.user_id))


@router.get("/me/alerts")
def my_alert_settings(actor: CurrentActor, db: DbSession) -> dict[str, Any]:
    """The alerts this person receives, and where."""
    return _out(db, actor)


@router.put("/me/alerts")
def save_alert_settings(
    body: AlertSettingsIn, actor: CurrentActor, db: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """Saves the person's alert settings; a new e-mail address is sent a verification link
    and receives alerts once it is opened."""
    service.save_settings(db, ctx, actor, service.SettingsIn(**body.model_dump()))
    return _out(db, actor)


@router.post("/me/alerts/verification", status_code=202)
def resend_verification(actor: CurrentActor, db: DbSession, ctx: Ctx) -> dict[str, Any]:
    """Sends the verification link again (the earlier one stops working)."""
    service.send_verification(db, ctx, actor)
    return _out(db, actor)
