"""Web pages of alerts (thin): 提醒设置 under the person's account, and the e-mail
verification link. Templates in ``alerts/templates/alerts/``; strings in ``alerts/locales``
over the portal's own catalogue. The account page links here (``alerts_panel`` hook)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patentdesk.alerts import service
from patentdesk.deps import Ctx, DbSession, OptionalActor
from patentdesk.errors import PatentDeskError
from patentdesk.identity.models import User
from patentdesk.web.i18n import translate
from patentdesk.web.render import (
    add_template_dir,
    error_text,
    form_values,
    lang_of,
    page,
    page_router,
    settle,
    templates,
)
from patentdesk.web.routes import NAV_ITEMS

HERE = Path(__file__).parent
router = page_router()

add_template_dir(HERE / "templates")
templates.env.globals["alerts_panel"] = "alerts/panel.html"


@cache
def _catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((HERE / "locales" / f"{lang}.json").read_text("utf-8"))
    return data


def _translator(lang: str) -> Any:
    def t(key: str, **fmt: object) -> str:
        text = _catalog(lang).get(key)
        if text is None:
            return translate(lang, key, **fmt)
        return text.format(**fmt) if fmt else text

    return t


def alerts_t(lang: str, key: str, **fmt: object) -> str:
    """The alerts catalogue for templates included in other pages (the account panel)."""
    return str(_translator(lang)(key, **fmt))


templates.env.globals["alerts_t"] = alerts_t


def _render(request: Request, actor: Any, db: Any, status_code: int = 200, **ctx: Any) -> Response:
    user = db.get(User, actor.user_id)
    stored = service.settings_out(service.my_settings(db, actor), user)
    # After a refused save the form shows what the person entered, not what is stored.
    entered = ctx.pop("entered", None)
    prefs = {**stored, **entered, "email_verified": False} if entered else stored
    return page(
        request,
        "alerts/settings.html",
        actor,
        status_code=status_code,
        t=_translator(lang_of(request)),
        nav_items=NAV_ITEMS,
        prefs=prefs,
        **ctx,
    )


@router.get("/account/alerts", response_class=HTMLResponse)
def settings_page(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    return _render(request, actor, db)


@router.post("/account/alerts", response_class=HTMLResponse)
def save(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    form = form_values(request)
    lang = lang_of(request)
    t = _translator(lang)
    if form.get("action") == "resend":
        try:
            service.send_verification(db, ctx, actor)
        except PatentDeskError as exc:
            settle(db, exc)
            return _render(request, actor, db, exc.status, error=error_text(lang, exc))
        return _render(request, actor, db, flash=t("alerts.verify.sent"))
    new = service.SettingsIn(
        email=form.get("email", ""),
        on_notices=form.get("on_notices") == "on",
        on_deadlines=form.get("on_deadlines") == "on",
        on_payments=form.get("on_payments") == "on",
        by_email=form.get("by_email") == "on",
        by_sms=form.get("by_sms") == "on",
        language=form.get("language", ""),
    )
    try:
        before = service.my_settings(db, actor).email
        saved = service.save_settings(db, ctx, actor, new)
    except PatentDeskError as exc:
        settle(db, exc)
        # The form again as the person filled it, with what is wrong named.
        field = exc.details.get("field") if exc.details else None
        return _render(
            request,
            actor,
            db,
            exc.status,
            error=error_text(lang, exc),
            entered=dict(new.__dict__),
            error_field=field,
        )
    flash = t("alerts.saved")
    if saved.email and saved.email != before:
        flash += ("" if lang == "zh" else " ") + t("alerts.verify.sent_to", email=saved.email)
    return _render(request, actor, db, flash=flash)


@router.get("/account/alerts/verify", response_class=HTMLResponse)
def verify(
    request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx, token: str = ""
) -> Response:
    """The link in the verification e-mail: works without logging in (the token is the
    proof), once, within its validity."""
    lang = lang_of(request)
    t = _translator(lang)
    try:
        row = service.verify_email(db, ctx, token)
    except PatentDeskError as exc:
        settle(db, exc)
        return page(
            request,
            "alerts/verified.html",
            actor,
            status_code=exc.status,
            t=t,
            nav_items=NAV_ITEMS,
            error=error_text(lang, exc),
        )
    return page(
        request,
        "alerts/verified.html",
        actor,
        t=t,
        nav_items=NAV_ITEMS,
        flash=t("alerts.verify.done", email=row.email or ""),
    )
