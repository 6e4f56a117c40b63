"""Identity: registration, profile completion (补录), password login with SMS second factor,
password recovery, sessions and login throttling.

Services add and flush; the caller's unit of work commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.authz import Actor
from patentdesk.config import Settings
from patentdesk.db import new_id, rowcount, then_write, unique_or
from patentdesk.errors import NotFound
from patentdesk.identity import idnumbers, throttle
from patentdesk.identity.errors import (
    AccountDisabled,
    AttemptsRateLimited,
    ChallengeInvalid,
    CurrentPasswordWrong,
    InvalidCredentials,
    PasswordLoginNotAllowed,
    PasswordUnchanged,
    PhoneTaken,
    PhoneTakenCounted,
    ProfileIncomplete,
    SmsCodeInvalid,
    SmsRateLimited,
)
from patentdesk.identity.models import (
    LoginChallenge,
    LoginFailure,
    Session,
    SmsCode,
    User,
    UserKind,
    UserMessage,
)
from patentdesk.identity.passwords import hash_password, needs_rehash, verify_password
from patentdesk.identity.sms import gateway_for
from patentdesk.identity.values import Context as Context
from patentdesk.identity.values import check_characters as check_characters
from patentdesk.identity.values import clean_id_number as clean_id_number
from patentdesk.identity.values import clean_name as clean_name
from patentdesk.identity.values import clean_phone as clean_phone
from patentdesk.identity.values import name_acceptable as name_acceptable
from patentdesk.packages.idnumbers import is_valid_resident_id
from patentdesk.timeutil import as_utc, now, to_beijing

if TYPE_CHECKING:
    from patentdesk.orgs.service import ResolvedRole

SMS_PURPOSES = ("login", "recover", "complete", "register")
# Sent only after the right password: not counted against an address or everyone's limit,
# so strangers asking for codes cannot stop the owner from logging in.
PASSWORD_GATED_PURPOSES = ("login",)
MAX_SMS_ATTEMPTS = 5
COMPLETION_PATH = "/complete-profile"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _code_hash(code: str, salt: uuid.UUID) -> str:
    return hmac.new(salt.bytes, code.encode("ascii"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- registration


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def request_registration_code(
    db: Db, ctx: Context, *, phone: str, name: str, id_number: str, password: str
) -> SmsCode:
    """自然人注册, first step: every field is checked, then a code goes to the phone, which
    the second step (:func:`register_with_sms_code`) must show. Only the code is stored."""
    clean_phone(phone)
    clean_name(name)
    clean_id_number(id_number)
    hash_password(password)  # the password rules, before a message is spent
    return send_registration_code(db, ctx, phone)


def send_registration_code(db: Db, ctx: Context, phone: str) -> SmsCode:
    """The code that proves a new phone number (the web form asks for it first)."""
    phone = clean_phone(phone)
    _refuse_registered_phone(db, ctx, phone)
    row = send_sms_code(db, ctx, phone, "register")
    assert row is not None  # sent: the phone is not registered
    return row


def _refuse_registered_phone(db: Db, ctx: Context, phone: str) -> None:
    # «已注册» tells a stranger that the number has an account: only a few such answers.
    probing = throttle.lookup_keys(ctx.ip)
    throttle.refuse_if_probing(db, ctx.settings, ctx.ip, probing, "register")
    if db.scalar(select(User.id).where(User.phone == phone)) is not None:
        throttle.record(db, probing)
        raise PhoneTakenCounted(details={"field": "phone"})


def register_with_sms_code(
    db: Db, ctx: Context, *, phone: str, name: str, id_number: str, password: str, sms_code: str
) -> User:
    """自然人注册, second step: the code sent to ``phone`` proves the number is the
    registrant's. Fields are checked again (the first step stored none of them)."""
    clean_phone(phone)
    clean_name(name)
    clean_id_number(id_number)
    hash_password(password)
    _consume_sms_code(db, clean_phone(phone), "register", sms_code, ctx=ctx)
    return register_natural_person(
        db, ctx, phone=phone, name=name, id_number=id_number, password=password
    )


def register_natural_person(
    db: Db, ctx: Context, *, phone: str, name: str, id_number: str, password: str
) -> User:
    """Creates a natural person's account. Everything is checked before anything is written.

    It does not prove the phone: users register through :func:`register_with_sms_code`;
    this is the step after the proof (and the operator's demo data)."""
    phone = clean_phone(phone)
    name = clean_name(name)
    id_number = clean_id_number(id_number)
    password_hash = hash_password(password)
    _refuse_registered_phone(db, ctx, phone)
    user = User(
        kind=UserKind.NATURAL,
        phone=phone,
        name=name,
        id_number=id_number,
        password_hash=password_hash,
    )
    db.add(user)
    with unique_or(PhoneTaken(details={"field": "phone"})):
        db.flush()
    from patentdesk.orgs.service import create_personal_domain

    create_personal_domain(db, user)
    audit.record(
        db,
        "user.register",
        environment=ctx.settings.environment,
        actor_user_id=user.id,
        target=f"user:{user.id}",
        ip=ctx.ip,
        kind="natural",
    )
    return user


def create_office_user(db: Db, ctx: Context, *, phone: str, name: str, password: str) -> User:
    phone = clean_phone(phone)
    name = clean_name(name)
    password_hash = hash_password(password)
    if db.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise PhoneTaken(details={"field": "phone"})
    user = User(kind=UserKind.OFFICE, phone=phone, name=name, password_hash=password_hash)
    db.add(user)
    with unique_or(PhoneTaken(details={"field": "phone"})):
        db.flush()
    audit.record(
        db,
        "user.register",
        environment=ctx.settings.environment,
        target=f"user:{user.id}",
        ip=ctx.ip,
        kind="office",
    )
    return user


def profile_missing(user: User) -> list[str]:
    """The mandatory profile fields this account still lacks (补录)."""
    missing: list[str] = []
    if user.kind == UserKind.NATURAL:
        if not user.phone:
            missing.append("phone")
        if not user.name or not name_acceptable(user.name):
            # Also a name kept from before the rule (or the old system) that a certificate
            # cannot hold: asked for now rather than failing when the phone is bound.
            missing.append("name")
        if not user.id_number or not is_valid_resident_id(user.id_number):
            missing.append("id_number")
    elif user.kind == UserKind.OFFICE and not user.phone:
        missing.append("phone")
    return missing


def ensure_can_log_in(user: User, settings: Settings) -> None:
    if user.status != "active":
        raise AccountDisabled()
    missing = profile_missing(user)
    if missing:
        account = user.phone or user.login_name or str(user.id)
        raise ProfileIncomplete(
            details={
                "missing": missing,
                "completion_url": f"{settings.base_url.rstrip('/')}{COMPLETION_PATH}"
                f"?account={account}",
            }
        )


def find_account(db: Db, account: str) -> User | None:
    """An account by phone, login name (main accounts: the USCC) or user id."""
    account = account.strip()
    conditions = [User.login_name == account.upper(), User.login_name == account]
    phone = idnumbers.normalise_mobile(account)
    if idnumbers.mobile_valid(phone):
        conditions.append(User.phone == phone)
    with contextlib.suppress(ValueError):
        conditions.append(User.id == uuid.UUID(account))
    return db.scalar(select(User).where(or_(*conditions)))


def complete_profile(
    db: Db,
    ctx: Context,
    *,
    account: str,
    password: str,
    name: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    sms_code: str | None = None,
) -> User:
    """补录: the account proves itself with its password and supplies what is missing.

    Only what is missing: the password alone must not rewrite a complete account's real
    name or ID number (they go into its certificates)."""
    user = _check_password(db, ctx, account, password)
    missing = profile_missing(user)
    if "name" in missing:
        user.name = clean_name(name or "")
    if "id_number" in missing:
        user.id_number = clean_id_number(id_number or "")
    if "phone" in missing:
        new_phone = clean_phone(phone or "")
        if db.scalar(select(User.id).where(User.phone == new_phone, User.id != user.id)):
            raise PhoneTaken(details={"field": "phone"})
        _consume_sms_code(db, new_phone, "complete", sms_code or "", ctx=ctx)
        user.phone = new_phone
    db.flush()
    audit.record(
        db,
        "user.profile_completed",
        environment=ctx.settings.environment,
        actor_user_id=user.id,
        target=f"user:{user.id}",
        ip=ctx.ip,
        fields=sorted(set(missing)),
    )
    return user


# ---------------------------------------------------------------- throttling


def _failure_keys(user: User | None, account: str, ip: str | None) -> throttle.LoginKeys:
    """The throttle's buckets: the account itself, however it was written (+86…, with
    dashes, by user id), the address, and the address against the account."""
    if user is not None:
        key = f"user:{user.id}"
    else:
        phone = idnumbers.normalise_mobile(account)
        typed = phone if idnumbers.mobile_valid(phone) else account.strip().lower()
        key = f"account:{typed[:100]}"
    return throttle.login_keys(key, ip)


def _check_rate_limit(
    db: Db, ctx: Context, keys: throttle.LoginKeys, user: User | None, account: str
) -> None:
    refusal = throttle.login_refusal(db, ctx.settings, keys)
    if refusal is None:
        return
    limit, retry = refusal
    audit.record(
        db,
        "login.rate_limited",
        environment=ctx.settings.environment,
        actor_user_id=user.id if user else None,
        ip=ctx.ip,
        target=f"account:{account[:64]}",
        limit=limit,
    )
    raise AttemptsRateLimited(details={"retry_after": retry})


def _check_password(db: Db, ctx: Context, account: str, password: str) -> User:
    user = find_account(db, account)
    keys = _failure_keys(user, account, ctx.ip)
    # Refused before the (deliberately slow) hash, so locked-out guessing costs no CPU …
    _check_rate_limit(db, ctx, keys, user, account)
    correct = verify_password(user.password_hash if user else None, password)
    # … and again in turn with every other attempt on these keys, so parallel guesses see
    # each other's failures and get no more answers than sequential ones.
    throttle.take_turns(db, keys.all)
    _check_rate_limit(db, ctx, keys, user, account)
    if user is None or not correct:
        throttle.record(db, keys.all)
        audit.record(
            db,
            "login.failed",
            environment=ctx.settings.environment,
            actor_user_id=user.id if user else None,
            ip=ctx.ip,
            target=f"account:{account[:64]}",
        )
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# ---------------------------------------------------------------- SMS codes


def _check_sms_limits(db: Db, ctx: Context, phone: str, purpose: str) -> None:
    """Per number and purpose; and, for codes anyone may ask for (not the login codes sent
    only after the right password), per address and for everyone together. The global count
    is not serialised: parallel requests may pass it by a few, which a cost cap tolerates."""
    gated = purpose in PASSWORD_GATED_PURPOSES
    throttle.take_turns(db, [f"sms:{phone}:{purpose}"] + ([] if gated else [f"sms:ip:{ctx.ip}"]))
    since = now() - dt.timedelta(hours=1)
    anyone = SmsCode.purpose.not_in(PASSWORD_GATED_PURPOSES)

    def sent(*conditions: Any) -> tuple[int, dt.datetime | None]:
        n, oldest = db.execute(
            select(func.count(), func.min(SmsCode.created_at)).where(
                SmsCode.created_at >= since, *conditions
            )
        ).one()
        return int(n or 0), oldest

    # Counted per purpose: anyone may ask for recovery codes to a phone, and that must not
    # use up the codes its owner needs to log in (those are sent only after the password).
    limits: list[tuple[str, int, tuple[Any, ...]]] = [
        (
            "phone",
            ctx.settings.sms_max_per_phone_per_hour,
            (SmsCode.phone == phone, SmsCode.purpose == purpose),
        ),
    ]
    if not gated:
        if ctx.ip:
            limits.append(
                ("source", ctx.settings.sms_max_per_source_per_hour, (SmsCode.ip == ctx.ip, anyone))
            )
        limits.append(("global", ctx.settings.sms_max_per_hour, (anyone,)))
    for scope, limit, conditions in limits:
        n, oldest = sent(*conditions)
        if n >= limit:
            retry = 3600
            if oldest is not None:
                retry = max(1, int(3600 - (now() - as_utc(oldest)).total_seconds()))
            raise SmsRateLimited(details={"scope": scope, "retry_after": retry})


def send_sms_code(db: Db, ctx: Context, phone: str, purpose: str) -> SmsCode | None:
    """Sends a one-time code. Unknown phones get the same answer and no message
    (for purpose ``recover``), so the endpoint does not reveal who is registered."""
    if purpose not in SMS_PURPOSES:
        raise NotFound(details={"purpose": purpose})
    phone = clean_phone(phone)
    _check_sms_limits(db, ctx, phone, purpose)
    registered = db.scalar(select(User.id).where(User.phone == phone)) is not None
    if purpose == "recover" and not registered:
        return None
    if purpose in ("complete", "register") and registered:
        return None  # a new phone for 补录 or registration; a registered one gets no message
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = SmsCode(
        phone=phone,
        purpose=purpose,
        ip=ctx.ip,
        code_hash="",
        expires_at=now() + dt.timedelta(seconds=ctx.settings.sms_code_ttl_seconds),
    )
    db.add(row)
    db.flush()
    row.code_hash = _code_hash(code, row.id)
    texts = {
        "login": "您的登录验证码为 {code}，5 分钟内有效。如非本人操作，请修改密码。",
        "recover": "您正在找回密码，验证码为 {code}，5 分钟内有效。请勿泄露给他人。",
        "complete": "您正在补录账户信息，验证码为 {code}，5 分钟内有效。",
        "register": "您正在注册专利业务办理系统账户，验证码为 {code}，5 分钟内有效。"
        "如非本人操作，请忽略本短信。",
    }
    gateway_for(ctx.settings).send(phone, "【PatentDesk】" + texts[purpose].format(code=code), code)
    return row


def _consume_sms_code(
    db: Db,
    phone: str,
    purpose: str,
    code: str,
    row_id: uuid.UUID | None = None,
    ctx: Context | None = None,
) -> SmsCode:
    stmt = select(SmsCode.id).where(
        SmsCode.phone == phone,
        SmsCode.purpose == purpose,
        SmsCode.consumed_at.is_(None),
        SmsCode.expires_at > now(),
    )
    if row_id is not None:
        stmt = stmt.where(SmsCode.id == row_id)
    found = db.scalar(stmt.order_by(SmsCode.created_at.desc()).limit(1))
    if found is None:
        raise SmsCodeInvalid()
    # Taking a try is one conditional UPDATE: parallel guesses queue on the row and each
    # sees the count the one before left (read-then-write let them all through).
    attempts = db.scalar(
        update(SmsCode)
        .where(
            SmsCode.id == found,
            SmsCode.attempts < MAX_SMS_ATTEMPTS,
            SmsCode.consumed_at.is_(None),
        )
        .values(attempts=SmsCode.attempts + 1)
        .returning(SmsCode.attempts)
        .execution_options(synchronize_session=False)
    )
    if attempts is None:
        raise SmsCodeInvalid()
    row = db.get(SmsCode, found, populate_existing=True)
    assert row is not None
    if not hmac.compare_digest(row.code_hash, _code_hash(code.strip(), row.id)):
        if ctx is not None:
            audit.record(
                db,
                "sms_code.wrong",
                environment=ctx.settings.environment,
                actor_user_id=db.scalar(select(User.id).where(User.phone == phone)),
                ip=ctx.ip,
                target=f"sms_code:{row.id}",
                purpose=purpose,
                attempts=attempts,
            )
        raise SmsCodeInvalid(details={"attempts_left": MAX_SMS_ATTEMPTS - attempts})
    row.consumed_at = now()  # our UPDATE holds the row: nobody consumes it meanwhile
    return row


def reset_password(db: Db, ctx: Context, *, phone: str, code: str, new_password: str) -> User:
    """找回密码 by a code sent to the registered phone; every session ends."""
    phone = clean_phone(phone)
    password_hash = hash_password(new_password)
    _consume_sms_code(db, phone, "recover", code, ctx=ctx)
    user = db.scalar(select(User).where(User.phone == phone))
    if user is None:  # a code is only ever sent to registered phones
        raise SmsCodeInvalid()
    user.password_hash = password_hash
    _end_sessions(db, user.id)
    audit.record(
        db,
        "user.password_reset",
        environment=ctx.settings.environment,
        actor_user_id=user.id,
        target=f"user:{user.id}",
        ip=ctx.ip,
    )
    return user


def _end_sessions(db: Db, user_id: uuid.UUID, keep: uuid.UUID | None = None) -> int:
    """Ends every open session of the user but ``keep``; returns how many ended."""
    stmt = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(Session.id != keep)
    return rowcount(db.execute(stmt.values(revoked_at=now())))


def change_password(
    db: Db,
    ctx: Context,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
    end_other_sessions: bool = True,
) -> int:
    """修改密码 by the logged-in user; returns how many other sessions ended.

    The current password is asked for even inside a session (a borrowed, unlocked computer
    must not be enough), and a wrong one counts toward the same throttle as a failed login.
    By default every other session ends, the phone's app session too: whoever learnt the old
    password is logged out everywhere, and the owner binds the phone again with the new one.
    """
    user = db.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    keys = _failure_keys(user, "", ctx.ip)
    _check_rate_limit(db, ctx, keys, user, str(user.id))
    correct = verify_password(user.password_hash, current_password)
    throttle.take_turns(db, keys.all)
    _check_rate_limit(db, ctx, keys, user, str(user.id))
    if not correct:
        throttle.record(db, keys.all)
        audit.record(
            db,
            "user.password_change_failed",
            environment=ctx.settings.environment,
            actor_user_id=user.id,
            actor_role=actor.role,
            ip=ctx.ip,
            target=f"user:{user.id}",
        )
        raise CurrentPasswordWrong(details={"field": "current_password"})
    if new_password == current_password:
        raise PasswordUnchanged(details={"field": "new_password"})
    user.password_hash = hash_password(new_password)
    ended = _end_sessions(db, user.id, keep=actor.session_id) if end_other_sessions else 0
    when = to_beijing(now()).strftime("%Y-%m-%d %H:%M")
    db.add(
        UserMessage(
            user_id=user.id,
            kind="password",
            text=f"密码已于 {when}（北京时间）修改，IP {ctx.ip or '未知'}；"
            f"已结束其他 {ended} 个登录。如非本人操作，请立即找回密码。",
            text_en=f"Your password was changed at {when} (Beijing time), IP "
            f"{ctx.ip or 'unknown'}; {ended} other login(s) ended. If it was not you, "
            "recover your password at once.",
        )
    )
    audit.record(
        db,
        "user.password_changed",
        environment=ctx.settings.environment,
        actor_user_id=user.id,
        actor_role=actor.role,
        ip=ctx.ip,
        target=f"user:{user.id}",
        ended_sessions=ended,
    )
    return ended


# ---------------------------------------------------------------- login and sessions


@dataclass
class PasswordLoginResult:
    session: Session | None = None
    token: str | None = None
    challenge: LoginChallenge | None = None
    masked_phone: str | None = None


def check_password_for_binding(db: Db, ctx: Context, *, account: str, password: str) -> User:
    """The first factor of binding a phone by a bound phone's approval (``qrlogin``): the
    password, throttled like any login, of a natural person who may log in."""
    user = _check_password(db, ctx, account, password)
    ensure_can_log_in(user, ctx.settings)
    if user.kind != UserKind.NATURAL:
        raise PasswordLoginNotAllowed()
    return user


def password_login(
    db: Db,
    ctx: Context,
    *,
    account: str,
    password: str,
    client_kind: str,
    role: str | None = None,
    device_name: str | None = None,
    sms_code: str | None = None,
) -> PasswordLoginResult:
    """Office users and main accounts log in with a password. Natural persons may do so only
    on the web portal and in the mobile app (which then binds the phone), and never with the
    password alone: an SMS code to the account's phone is the second factor. The code is
    answered at :func:`verify_login_challenge`, or here again as ``sms_code`` (a script's
    second run, which keeps no state)."""
    user = _check_password(db, ctx, account, password)
    ensure_can_log_in(user, ctx.settings)
    if user.kind == UserKind.NATURAL:
        if client_kind not in ("web", "app"):
            raise PasswordLoginNotAllowed()
        if sms_code is not None:
            challenge = _pending_challenge(db, user, client_kind)
            token, session = _answer_challenge(
                db, ctx, challenge, sms_code, role, device_name=device_name
            )
            return PasswordLoginResult(session=session, token=token)
        sms = send_sms_code(db, ctx, user.phone or "", "login")
        assert sms is not None
        challenge = LoginChallenge(
            user_id=user.id,
            sms_code_id=sms.id,
            client_kind=client_kind,
            requested_role=role,
            expires_at=sms.expires_at,
        )
        db.add(challenge)
        db.flush()
        return PasswordLoginResult(challenge=challenge, masked_phone=mask_phone(user.phone or ""))
    token, session = start_session(
        db,
        ctx,
        user,
        role_spec=role,
        client_kind=client_kind,
        method="password",
        device_name=device_name,
    )
    return PasswordLoginResult(session=session, token=token)


def verify_login_challenge(
    db: Db, ctx: Context, *, challenge_id: uuid.UUID, code: str, role: str | None = None
) -> tuple[str, Session]:
    challenge = db.get(LoginChallenge, challenge_id)
    if challenge is None or challenge.consumed_at is not None or challenge.expires_at <= now():
        raise ChallengeInvalid()
    return _answer_challenge(db, ctx, challenge, code, role)


def _pending_challenge(db: Db, user: User, client_kind: str) -> LoginChallenge:
    """The user's newest open challenge from this kind of client: the one a code sent a
    moment ago belongs to."""
    challenge = db.scalar(
        select(LoginChallenge)
        .where(
            LoginChallenge.user_id == user.id,
            LoginChallenge.client_kind == client_kind,
            LoginChallenge.consumed_at.is_(None),
            LoginChallenge.expires_at > now(),
        )
        .order_by(LoginChallenge.created_at.desc())
        .limit(1)
    )
    if challenge is None:
        raise SmsCodeInvalid()
    return challenge


def _answer_challenge(
    db: Db,
    ctx: Context,
    challenge: LoginChallenge,
    code: str,
    role: str | None,
    device_name: str | None = None,
) -> tuple[str, Session]:
    user = db.get(User, challenge.user_id)
    assert user is not None
    _consume_sms_code(db, user.phone or "", "login", code, row_id=challenge.sms_code_id, ctx=ctx)
    challenge.consumed_at = now()
    ensure_can_log_in(user, ctx.settings)
    return start_session(
        db,
        ctx,
        user,
        # The app acts for the person themself; organisation roles are chosen on the desk.
        role_spec="natural" if challenge.client_kind == "app" else role or challenge.requested_role,
        client_kind=challenge.client_kind,
        method="password+sms",
        device_name=device_name,
    )


def start_session(
    db: Db,
    ctx: Context,
    user: User,
    *,
    role_spec: str | None,
    client_kind: str,
    method: str,
    device_name: str | None = None,
    client_public_key: str | None = None,
) -> tuple[str, Session]:
    """Opens a new session in the role asked for. Each login is its own session (A7)."""
    from patentdesk.orgs.service import resolve_role

    ensure_can_log_in(user, ctx.settings)
    resolved = resolve_role(db, user, role_spec)
    token = secrets.token_urlsafe(32)
    session = Session(
        # set here rather than at a flush of their own: the audit entry's flushes them all
        id=new_id(),
        created_at=now(),
        user_id=user.id,
        token_hash=token_hash(token),
        role=resolved.role,
        org_id=resolved.org_id,
        sub_account_id=resolved.sub_account_id,
        domain_id=resolved.domain_id,
        client_kind=client_kind,
        login_method=method,
        device_name=(device_name or ctx.user_agent or "")[:200] or None,
        ip=ctx.ip,
        client_public_key=client_public_key,
        expires_at=now() + dt.timedelta(hours=ctx.settings.session_ttl_hours),
    )
    db.add(session)
    when = to_beijing(session.created_at).strftime("%Y-%m-%d %H:%M")
    db.add(
        UserMessage(
            user_id=user.id,
            kind="login",
            text=f"新登录：{when}（北京时间）在 {client_kind} 客户端，IP {ctx.ip or '未知'}，"
            f"身份 {resolved.label}。如非本人操作，请在“我的会话”中结束该会话并修改密码。",
            text_en=f"New login: {when} (Beijing time) on the {client_kind} client, IP "
            f"{ctx.ip or 'unknown'}, as {_role_en(resolved)}. If it was not you, end that "
            "session under “My sessions” and change your password.",
        )
    )
    audit.record(
        db,
        "login.success",
        environment=ctx.settings.environment,
        actor_user_id=user.id,
        actor_role=resolved.role,
        ip=ctx.ip,
        target=f"session:{session.id}",
        method=method,
        client=client_kind,
    )
    return token, session


_ROLE_EN = {
    "natural": "natural person",
    "handler": "handler",
    "sub": "sub-account",
    "main": "main account",
    "office": "office",
}


def _role_en(resolved: ResolvedRole) -> str:
    """«经办人 某机构» → «handler 某机构»: the role in English, whose it is as it is."""
    whose = resolved.label.split(" ", 1)[1] if " " in resolved.label else ""
    return f"{_ROLE_EN.get(str(resolved.role), str(resolved.role))} {whose}".strip()


def authenticate(db: Db, token: str | None) -> Actor | None:
    """The actor behind a session token, or None when it is unknown, ended or expired."""
    if not token:
        return None
    from patentdesk.orgs.service import actor_for_session, session_by_token_hash

    found = session_by_token_hash(db, token_hash(token))
    if found is None:
        return None
    session, user = found.session, found.user
    if session.revoked_at is not None or session.expires_at <= now():
        return None
    if user.status != "active":
        return None
    if user.kind == UserKind.NATURAL and session.login_method == "password":
        # Opened by a password alone before the SMS second factor applied to the app.
        return None

    actor = actor_for_session(db, user, session)
    if actor is None:
        return None
    # Throttled so that reads do not turn every request into a write; a reader does it
    # after its own transaction (losing it costs only freshness).
    if (now() - session.last_seen_at).total_seconds() > 60:
        then_write(db, _touch(session.id))
    return actor


def _touch(session_id: uuid.UUID) -> Callable[[Db], object]:
    def write(db: Db) -> object:
        return db.execute(
            update(Session).where(Session.id == session_id).values(last_seen_at=now())
        )

    return write


def list_sessions(db: Db, actor: Actor) -> list[Session]:
    return list(
        db.scalars(
            select(Session)
            .where(
                Session.user_id == actor.user_id,
                Session.revoked_at.is_(None),
                Session.expires_at > now(),
            )
            .order_by(Session.created_at.desc())
        )
    )


def end_session(db: Db, ctx: Context, actor: Actor, session_id: uuid.UUID) -> Session:
    session = db.get(Session, session_id)
    if session is None or session.user_id != actor.user_id:
        raise NotFound()
    if session.revoked_at is None:
        session.revoked_at = now()
        audit.record(
            db,
            "session.ended",
            environment=ctx.settings.environment,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            ip=ctx.ip,
            target=f"session:{session.id}",
        )
    return session


def change_role(db: Db, ctx: Context, actor: Actor, role_spec: str) -> Session:
    """Switches the current session to another role the user holds (C8)."""
    from patentdesk.orgs.service import resolve_role

    assert actor.session_id is not None
    session = db.get(Session, actor.session_id)
    user = db.get(User, actor.user_id)
    assert session is not None and user is not None
    resolved = resolve_role(db, user, role_spec)
    session.role = resolved.role
    session.org_id = resolved.org_id
    session.sub_account_id = resolved.sub_account_id
    session.domain_id = resolved.domain_id
    db.flush()
    audit.record(
        db,
        "session.role_changed",
        environment=ctx.settings.environment,
        actor_user_id=actor.user_id,
        actor_role=resolved.role,
        ip=ctx.ip,
        target=f"session:{session.id}",
    )
    return session


def messages(db: Db, actor: Actor, limit: int = 50) -> list[UserMessage]:
    return list(
        db.scalars(
            select(UserMessage)
            .where(UserMessage.user_id == actor.user_id)
            .order_by(UserMessage.created_at.desc())
            .limit(limit)
        )
    )


def purge_expired(db: Db, settings: Settings, cutoff: dt.datetime) -> dict[str, int]:
    """Deletes SMS codes and password-login challenges that expired before ``cutoff`` and
    failed-login records too old to count toward the throttle. Sessions stay: users see
    them as the history of their logins."""
    window = dt.timedelta(
        seconds=max(settings.login_failure_window_seconds, settings.lookup_window_seconds)
    )
    challenges = db.execute(delete(LoginChallenge).where(LoginChallenge.expires_at < cutoff))
    still_needed = select(LoginChallenge.sms_code_id)
    codes = db.execute(
        delete(SmsCode).where(SmsCode.expires_at < cutoff, SmsCode.id.not_in(still_needed))
    )
    failures = db.execute(delete(LoginFailure).where(LoginFailure.at < min(cutoff, now() - window)))
    return {
        "login_challenges": rowcount(challenges),
        "sms_codes": rowcount(codes),
        "login_failures": rowcount(failures),
    }
