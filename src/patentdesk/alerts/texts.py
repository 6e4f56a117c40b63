"""What alerts say, in Chinese and English: one subject, one e-mail body, one SMS line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SETTINGS_PATH = "/account/alerts"


@dataclass(frozen=True)
class Text:
    subject: str
    body: str
    sms: str


def _footer(lang: str, base_url: str) -> str:
    if lang == "zh":
        return (
            "\n\n——\n此邮件由 PatentDesk 自动发送，请勿直接回复。"
            f"\n更改或关闭提醒：{base_url}{SETTINGS_PATH}"
        )
    return (
        "\n\n--\nSent automatically by PatentDesk; replies are not read."
        f"\nChange or turn off these alerts: {base_url}{SETTINGS_PATH}"
    )


def _date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return "—" if lang == "zh" else "none"
    return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else value.isoformat()


def notice_issued(
    lang: str,
    *,
    name: str,
    serial: str,
    application_number: str,
    title: str | None,
    dispatched_on: dt.date,
    deadline: dt.date | None,
    base_url: str,
) -> Text:
    if lang == "zh":
        lines = [
            f"专利局发出了新的通知书：{name}",
            "",
            f"申请号：{application_number}",
            *([f"发明创造名称：{title}"] if title else []),
            f"发文序列号：{serial}",
            f"发文日：{_date(dispatched_on, lang)}",
            *([f"答复期限：{_date(deadline, lang)}"] if deadline else []),
            "",
            f"请登录 PatentDesk 查看、下载并确认接收：{base_url}/notices",
        ]
        return Text(
            f"【PatentDesk】新通知书：{name}（申请号 {application_number}）",
            "\n".join(lines) + _footer(lang, base_url),
            f"【PatentDesk】申请号 {application_number} 收到新通知书：{name}"
            + (f"，答复期限 {_date(deadline, lang)}" if deadline else "")
            + "。请登录查看。",
        )
    lines = [
        f"The patent office has issued a new notice: {name}",
        "",
        f"Application number: {application_number}",
        *([f"Title: {title}"] if title else []),
        f"Dispatch serial: {serial}",
        f"Dispatched on: {_date(dispatched_on, lang)}",
        *([f"Reply by: {_date(deadline, lang)}"] if deadline else []),
        "",
        f"Log in to PatentDesk to read, download and confirm it: {base_url}/notices",
    ]
    return Text(
        f"[PatentDesk] New notice: {name} (application {application_number})",
        "\n".join(lines) + _footer(lang, base_url),
        f"[PatentDesk] New notice on application {application_number}: {name}"
        + (f"; reply by {_date(deadline, lang)}" if deadline else "")
        + ". Log in to read it.",
    )


def deadline_near(
    lang: str,
    *,
    days_left: int,
    name: str,
    serial: str,
    application_number: str,
    deadline: dt.date,
    base_url: str,
) -> Text:
    if lang == "zh":
        when = "今天到期" if days_left == 0 else f"还有 {days_left} 天到期"
        body = "\n".join(
            [
                f"申请号 {application_number} 的{name}答复期限{when}。",
                "",
                f"答复期限：{_date(deadline, lang)}",
                f"通知书发文序列号：{serial}",
                "",
                "逾期未答复可能导致申请被视为撤回或丧失权利。",
                f"查看期限：{base_url}/notices/deadlines",
            ]
        )
        return Text(
            f"【PatentDesk】期限提醒：申请号 {application_number} {when}（{_date(deadline, lang)}）",
            body + _footer(lang, base_url),
            f"【PatentDesk】申请号 {application_number} 的{name}答复期限{when}"
            f"（{_date(deadline, lang)}），请及时办理。",
        )
    when = (
        "is due today"
        if days_left == 0
        else f"is due in {days_left} day{'s' if days_left != 1 else ''}"
    )
    body = "\n".join(
        [
            f"The reply to the {name} on application {application_number} {when}.",
            "",
            f"Reply by: {_date(deadline, lang)}",
            f"Notice dispatch serial: {serial}",
            "",
            "Missing it may mean the application is deemed withdrawn or a right is lost.",
            f"See your deadlines: {base_url}/notices/deadlines",
        ]
    )
    return Text(
        f"[PatentDesk] Deadline: application {application_number} {when} ({_date(deadline, lang)})",
        body + _footer(lang, base_url),
        f"[PatentDesk] The reply on application {application_number} {when} "
        f"({_date(deadline, lang)}).",
    )


def payment_settled(
    lang: str,
    *,
    confirmed: bool,
    application_number: str,
    amount: str,
    bank_serial: str | None,
    base_url: str,
) -> Text:
    if lang == "zh":
        if confirmed:
            head = f"申请号 {application_number} 的缴费已成功，金额 {amount} 元。"
            subject = f"【PatentDesk】缴费成功：申请号 {application_number}，{amount} 元"
        else:
            head = (
                f"申请号 {application_number} 的缴费未成功（银行未完成扣款），金额 {amount} 元。"
                "费用仍未缴纳，请在缴费期限内重新缴费。"
            )
            subject = f"【PatentDesk】缴费失败：申请号 {application_number}，{amount} 元"
        lines = [head]
        if bank_serial:
            lines.append(f"银行流水号：{bank_serial}")
        lines += ["", f"查看费用：{base_url}/fees"]
        return Text(subject, "\n".join(lines) + _footer(lang, base_url), subject)
    if confirmed:
        head = f"The payment for application {application_number} succeeded: {amount} yuan."
        subject = f"[PatentDesk] Payment succeeded: application {application_number}, {amount} yuan"
    else:
        head = (
            f"The payment for application {application_number} failed (the bank did not "
            f"complete it): {amount} yuan. The fees are still unpaid; pay again before the "
            "deadline."
        )
        subject = f"[PatentDesk] Payment failed: application {application_number}, {amount} yuan"
    lines = [head]
    if bank_serial:
        lines.append(f"Bank serial: {bank_serial}")
    lines += ["", f"See the fees: {base_url}/fees"]
    return Text(subject, "\n".join(lines) + _footer(lang, base_url), subject)


def verify_email(lang: str, *, link: str, hours: int) -> Text:
    if lang == "zh":
        subject = "【PatentDesk】请验证提醒邮箱"
        body = (
            "您在 PatentDesk 设置了此邮箱接收提醒。请在 "
            f"{hours} 小时内打开以下链接完成验证：\n\n{link}\n\n"
            "如果不是您本人操作，请忽略此邮件，此邮箱不会收到任何提醒。"
        )
    else:
        subject = "[PatentDesk] Verify your alert e-mail address"
        body = (
            "This address was set to receive PatentDesk alerts. Open this link within "
            f"{hours} hours to verify it:\n\n{link}\n\n"
            "If that was not you, ignore this message: the address will receive no alerts."
        )
    return Text(subject, body, subject)
