"""Security notices to an account's owner: an SMS to the registered phone (no code in it)
and a message on My Desk, for what a thief would do quietly — a new phone bound, a new
signing certificate issued."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session as Db

from patentdesk.identity.models import User, UserMessage
from patentdesk.identity.service import Context
from patentdesk.identity.sms import gateway_for
from patentdesk.timeutil import now, to_beijing

ADVICE = "如非本人操作，请立即修改密码，并在已绑定的手机 App 上挂失该手机。"
ADVICE_EN = (
    "If it was not you, change your password now and report that phone lost in the app on "
    "a phone you have bound."
)


def _when() -> str:
    return to_beijing(now()).strftime("%Y-%m-%d %H:%M")


def announce(
    db: Db, ctx: Context, user_id: uuid.UUID, kind: str, text: str, text_en: str | None = None
) -> None:
    """Tells the owner by SMS and by a message; ``text`` is complete Chinese prose, and
    ``text_en`` the same in English for the English desk."""
    db.add(UserMessage(user_id=user_id, kind=kind, text=text, text_en=text_en))
    user = db.get(User, user_id)
    if user is not None and user.phone:
        gateway_for(ctx.settings).send(user.phone, "【PatentDesk】" + text)


def new_device(db: Db, ctx: Context, user_id: uuid.UUID, device_name: str, serial: int) -> None:
    announce(
        db,
        ctx,
        user_id,
        "device",
        f"您的账户于 {_when()}（北京时间）绑定了新手机「{device_name}」，IP {ctx.ip or '未知'}，"
        f"签名证书序列号 {serial}。{ADVICE}",
        f"A new phone «{device_name}» was bound to your account at {_when()} (Beijing time), "
        f"IP {ctx.ip or 'unknown'}, signing certificate serial {serial}. {ADVICE_EN}",
    )


def new_certificate(
    db: Db, ctx: Context, user_id: uuid.UUID, device_name: str, serial: int
) -> None:
    announce(
        db,
        ctx,
        user_id,
        "certificate",
        f"您的账户于 {_when()}（北京时间）为手机「{device_name}」签发了新的签名证书，"
        f"序列号 {serial}，IP {ctx.ip or '未知'}。{ADVICE}",
        f"A new signing certificate, serial {serial}, was issued to your account for the phone "
        f"«{device_name}» at {_when()} (Beijing time), IP {ctx.ip or 'unknown'}. {ADVICE_EN}",
    )
