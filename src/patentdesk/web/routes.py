"""Web portal pages (thin): parse the form, call a service, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from patentdesk.authz import Actor
from patentdesk.deps import SESSION_COOKIE, Ctx, DbSession, OptionalActor
from patentdesk.errors import PatentDeskError
from patentdesk.identity import service as identity
from patentdesk.identity.errors import PasswordConfirmMismatch, ProfileIncomplete
from patentdesk.identity.models import User
from patentdesk.orgs import service as orgs
from patentdesk.web.render import (
    CSRF_COOKIE,
    check_csrf,
    error_text,
    form_values,
    lang_of,
    page,
    page_router,
    settle,
)

router = page_router()

# Extra My Desk navigation and panels that other domains contribute: (href, i18n key).
NAV_ITEMS: list[dict[str, str]] = [{"href": "/fees", "key": "nav.fees"}]


def mount_static(app: Any) -> None:
    from pathlib import Path

    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _login_required(actor: Any) -> RedirectResponse | None:
    return None if actor is not None else _redirect("/login")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        max_age=request.app.state.settings.session_ttl_hours * 3600,
    )
    # The anonymous CSRF token of the login form is done with: from now on the session's own
    # (derived from this token) is the one forms carry.
    response.delete_cookie(CSRF_COOKIE)


def _failed(
    request: Request,
    db: DbSession,
    exc: PatentDeskError,
    template: str,
    actor: Actor | None = None,
    **extra: Any,
) -> Response:
    """The page again, with the error on it and the failed change undone (see ``settle``)."""
    settle(db, exc)
    return page(
        request,
        template,
        actor,
        status_code=exc.status,
        error=error_text(lang_of(request), exc),
        **extra,
    )


def _form(request: Request) -> dict[str, str]:
    return form_values(request)


@router.get("/")
def home(actor: OptionalActor) -> Response:
    if actor is None:
        return _redirect("/login")
    return _redirect("/office" if actor.is_office else "/desk")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, actor: OptionalActor) -> Response:
    return page(request, "login.html", actor)


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, db: DbSession, ctx: Ctx) -> Response:
    form = _form(request)
    try:
        result = identity.password_login(
            db,
            ctx,
            account=form.get("account", ""),
            password=form.get("password", ""),
            client_kind="web",
        )
    except ProfileIncomplete as exc:
        return _failed(
            request,
            db,
            exc,
            "login.html",
            None,
            account=form.get("account"),
            completion_url=exc.details.get("completion_url"),
        )
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "login.html",
            None,
            account=form.get("account"),
        )
    if result.challenge is not None:
        return page(
            request,
            "login.html",
            None,
            challenge_id=result.challenge.id,
            masked_phone=result.masked_phone,
        )
    assert result.token is not None
    response = _redirect("/")
    set_session_cookie(response, request, result.token)
    return response


@router.post("/login/verify", response_class=HTMLResponse)
def login_verify(request: Request, db: DbSession, ctx: Ctx) -> Response:
    form = _form(request)
    try:
        token, _session = identity.verify_login_challenge(
            db, ctx, challenge_id=uuid.UUID(form.get("challenge_id", "")), code=form.get("code", "")
        )
    except ValueError:
        return _redirect("/login")
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "login.html",
            None,
            challenge_id=form.get("challenge_id"),
            masked_phone="",
        )
    response = _redirect("/")
    set_session_cookie(response, request, token)
    return response


@router.post("/logout")
def logout(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    check_csrf(request)
    if actor is not None and actor.session_id is not None:
        identity.end_session(db, ctx, actor, actor.session_id)
        from patentdesk.drafts.websign import forget

        forget(ctx, actor.session_id)  # the login's no-scan key goes with it
    response = _redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, actor: OptionalActor) -> Response:
    return page(request, "register.html", actor, form={})


def _register_form(form: dict[str, str]) -> dict[str, str]:
    """What the page shows again: never the password or the code."""
    return {k: form.get(k, "") for k in ("phone", "name", "id_number")}


@router.post("/register/send-code", response_class=HTMLResponse)
def register_send_code(request: Request, db: DbSession, ctx: Ctx) -> Response:
    """获取验证码: the code that proves the phone number, before the account is made."""
    form = _form(request)
    try:
        sms = identity.send_registration_code(db, ctx, form.get("phone", ""))
    except PatentDeskError as exc:
        return _failed(request, db, exc, "register.html", None, form=_register_form(form))
    return page(
        request,
        "register.html",
        None,
        form=_register_form(form),
        flash=_t(request, "register.sms.sent").format(phone=identity.mask_phone(sms.phone)),
        sent=True,
    )


@router.post("/register", response_class=HTMLResponse)
def register_submit(request: Request, db: DbSession, ctx: Ctx) -> Response:
    form = _form(request)
    try:
        identity.register_with_sms_code(
            db,
            ctx,
            phone=form.get("phone", ""),
            name=form.get("name", ""),
            id_number=form.get("id_number", ""),
            password=form.get("password", ""),
            sms_code=form.get("sms_code", ""),
        )
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "register.html",
            None,
            form=_register_form(form),
            sent=True,
        )
    return page(
        request, "login.html", None, flash=_t(request, "register.done"), account=form.get("phone")
    )


def _t(request: Request, key: str) -> str:
    from patentdesk.web.i18n import translate

    return translate(lang_of(request), key)


@router.get("/complete-profile", response_class=HTMLResponse)
def complete_page(request: Request, account: str | None = None) -> Response:
    return page(request, "complete.html", None, account=account)


@router.post("/complete-profile", response_class=HTMLResponse)
def complete_submit(request: Request, db: DbSession, ctx: Ctx) -> Response:
    form = _form(request)
    try:
        identity.complete_profile(
            db,
            ctx,
            account=form.get("account", ""),
            password=form.get("password", ""),
            name=form.get("name") or None,
            id_number=form.get("id_number") or None,
        )
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "complete.html",
            None,
            account=form.get("account"),
        )
    return page(
        request, "login.html", None, flash=_t(request, "complete.done"), account=form.get("account")
    )


@router.get("/recover", response_class=HTMLResponse)
def recover_page(request: Request) -> Response:
    return page(request, "recover.html", None)


@router.post("/recover/send", response_class=HTMLResponse)
def recover_send(request: Request, db: DbSession, ctx: Ctx) -> Response:
    form = _form(request)
    phone = form.get("phone", "")
    try:
        identity.send_sms_code(db, ctx, phone, "recover")
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "recover.html",
            None,
            phone=phone,
        )
    return page(
        request, "recover.html", None, flash=_t(request, "recover.sent"), sent=True, phone=phone
    )


@router.post("/recover/reset", response_class=HTMLResponse)
def recover_reset(request: Request, db: DbSession, ctx: Ctx) -> Response:
    form = _form(request)
    phone = form.get("phone", "")
    try:
        identity.reset_password(
            db,
            ctx,
            phone=phone,
            code=form.get("code", ""),
            new_password=form.get("new_password", ""),
        )
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "recover.html",
            None,
            sent=True,
            phone=phone,
        )
    return page(request, "login.html", None, flash=_t(request, "recover.done"), account=phone)


# ---------------------------------------------------------------- My Desk

DESK_PANELS: list[tuple[str, Any]] = []  # (template, context function(db, actor) -> dict)


@router.get("/desk", response_class=HTMLResponse)
def desk(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    if (r := _login_required(actor)) is not None:
        return r
    assert actor is not None
    user = db.get(User, actor.user_id)
    assert user is not None
    panels: list[str] = []
    extra: dict[str, Any] = {}
    for template, provider in DESK_PANELS:
        context = provider(db, actor)
        if context is not None:
            panels.append(template)
            extra.update(context)
    return page(
        request,
        "desk.html",
        actor,
        roles=orgs.available_roles(db, user),
        messages=identity.messages(db, actor, limit=10),
        panels=panels,
        nav_items=NAV_ITEMS,
        **extra,
    )


@router.post("/role")
def switch_role(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    if (r := _login_required(actor)) is not None:
        return r
    assert actor is not None
    form = _form(request)
    try:
        identity.change_role(db, ctx, actor, form.get("role", ""))
    except PatentDeskError as exc:
        settle(db, exc)
        user = db.get(User, actor.user_id)
        assert user is not None
        return page(
            request,
            "desk.html",
            actor,
            status_code=exc.status,
            error=error_text(lang_of(request), exc),
            roles=orgs.available_roles(db, user),
            messages=[],
            nav_items=NAV_ITEMS,
        )
    return _redirect("/desk")


def _account_page(
    request: Request, actor: Actor, db: DbSession, status_code: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "account.html",
        actor,
        status_code=status_code,
        user=db.get(User, actor.user_id),
        sessions=identity.list_sessions(db, actor),
        nav_items=NAV_ITEMS,
        **extra,
    )


# What a redirect may ask the account page to say: keys of our catalogue, never words from
# the address (a link could otherwise put any text on the portal in our name).
ACCOUNT_FLASHES = {
    "device_lost": "cert.device.lost.done",
    "device_lost_failed": "cert.device.lost.failed",
}


def flash_for(request: Request, key: str | None) -> str | None:
    catalogue_key = ACCOUNT_FLASHES.get(key or "")
    return _t(request, catalogue_key) if catalogue_key else None


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request, actor: OptionalActor, db: DbSession, flash: str | None = None
) -> Response:
    if (r := _login_required(actor)) is not None:
        return r
    assert actor is not None
    return _account_page(request, actor, db, flash=flash_for(request, flash))


@router.post("/account/password", response_class=HTMLResponse)
def account_change_password(
    request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    """修改密码 on the account page."""
    if (r := _login_required(actor)) is not None:
        return r
    assert actor is not None
    form = _form(request)
    lang = lang_of(request)
    try:
        if form.get("new_password", "") != form.get("new_password_confirm", ""):
            raise PasswordConfirmMismatch(details={"field": "new_password_confirm"})
        ended = identity.change_password(
            db,
            ctx,
            actor,
            current_password=form.get("current_password", ""),
            new_password=form.get("new_password", ""),
            end_other_sessions=form.get("end_other_sessions") == "on",
        )
    except PatentDeskError as exc:
        settle(db, exc)
        return _account_page(
            request, actor, db, status_code=exc.status, password_error=error_text(lang, exc)
        )
    from patentdesk.web.i18n import translate

    db.commit()  # the page below lists the sessions that are left
    flash = translate(lang, "account.password.changed", ended=ended)
    return _account_page(request, actor, db, password_flash=flash)


@router.post("/account/sessions/{session_id}/end")
def account_end_session(
    session_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if (r := _login_required(actor)) is not None:
        return r
    assert actor is not None
    check_csrf(request)
    identity.end_session(db, ctx, actor, session_id)
    return _redirect("/account")


@router.post("/account/org", response_class=HTMLResponse)
def account_register_org(
    request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    if (r := _login_required(actor)) is not None:
        return r
    assert actor is not None
    form = _form(request)
    lang = lang_of(request)
    try:
        reg = orgs.register_organisation(
            db,
            ctx,
            actor,
            kind=form.get("kind", ""),
            name=form.get("name", ""),
            uscc=form.get("uscc", ""),
            agency_code=form.get("agency_code") or None,
        )
    except PatentDeskError as exc:
        settle(db, exc)
        return _account_page(
            request, actor, db, status_code=exc.status, error=error_text(lang, exc)
        )
    from patentdesk.web.i18n import translate

    flash = translate(
        lang,
        "manage.org.registered",
        login=reg.main_user.login_name,
        password=reg.main_password or "",
    )
    return _account_page(request, actor, db, flash=flash)


# ---------------------------------------------------------------- 账户管理


def _manage_page(
    request: Request, actor: Any, db: DbSession, status_code: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "manage.html",
        actor,
        status_code=status_code,
        org=orgs.get_organisation(db, actor),
        domains=orgs.list_domains(db, actor),
        subaccounts=orgs.list_sub_accounts(db, actor),
        handlers=orgs.list_handlers(db, actor),
        nav_items=NAV_ITEMS,
        **extra,
    )


@router.get("/manage", response_class=HTMLResponse)
def manage(request: Request, actor: OptionalActor, db: DbSession) -> Response:
    """Only in the handler (or main account) role; a natural person sees "my account" (A2)."""
    if (r := _login_required(actor)) is not None:
        return r
    try:
        return _manage_page(request, actor, db)
    except PatentDeskError as exc:
        return _failed(
            request,
            db,
            exc,
            "desk.html",
            actor,
            roles=[],
            messages=[],
            nav_items=NAV_ITEMS,
        )


def _manage_action(
    request: Request,
    actor: Actor | None,
    db: DbSession,
    action: Callable[[dict[str, str], Actor], object],
) -> Response:
    if actor is None:
        return _redirect("/login")
    form = _form(request)
    try:
        action(form, actor)
    except PatentDeskError as exc:
        settle(db, exc)
        return _manage_page(
            request, actor, db, status_code=exc.status, error=error_text(lang_of(request), exc)
        )
    return _redirect("/manage")


def _bool(value: str | None) -> bool | None:
    return None if value in (None, "") else value == "true"


@router.post("/manage/branches")
def manage_add_branch(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    return _manage_action(
        request, actor, db, lambda f, a: orgs.add_branch(db, ctx, a, name=f.get("name", ""))
    )


@router.post("/manage/branches/{branch_id}")
def manage_edit_branch(
    branch_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    return _manage_action(
        request,
        actor,
        db,
        lambda f, a: orgs.edit_branch(
            db, ctx, a, branch_id, name=f.get("name") or None, disabled=_bool(f.get("disabled"))
        ),
    )


@router.post("/manage/subaccounts")
def manage_add_sub(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    return _manage_action(
        request,
        actor,
        db,
        lambda f, a: orgs.add_sub_account(
            db,
            ctx,
            a,
            phone=f.get("phone", ""),
            name=f.get("name", ""),
            branch=f.get("branch") or None,
        ),
    )


@router.post("/manage/subaccounts/{account_id}")
def manage_edit_sub(
    account_id: uuid.UUID, request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx
) -> Response:
    def action(f: dict[str, str], a: Actor) -> None:
        branch = f.get("branch")
        orgs.edit_sub_account(
            db,
            ctx,
            a,
            account_id,
            branch=None if branch in (None, "", "main") else branch,
            move_to_main=branch == "main",
            disabled=_bool(f.get("disabled")),
        )

    return _manage_action(request, actor, db, action)


@router.post("/manage/handlers")
def manage_add_handler(request: Request, actor: OptionalActor, db: DbSession, ctx: Ctx) -> Response:
    return _manage_action(
        request,
        actor,
        db,
        lambda f, a: orgs.add_handler(db, ctx, a, phone=f.get("phone", ""), name=f.get("name", "")),
    )
