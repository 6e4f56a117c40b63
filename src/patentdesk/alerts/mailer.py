"""Sending e-mail through the SMTP server named by ``PATENTDESK_SMTP_URL``.

``smtp://user:pass@host:587?starttls=true`` (STARTTLS), ``smtps://user:pass@host:465``
(TLS from the first byte) or ``smtp://host:25`` (plain, e.g. a local relay). User and
password are percent-encoded in the URL (``%40`` for ``@``). Query options: ``starttls``
(true/false), ``timeout`` (seconds, default 20) and ``verify`` (false only for a relay with
a self-signed certificate inside the operator's own network).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from types import TracebackType
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from patentdesk.errors import ValidationFailed

_POLICY = SMTP.clone(max_line_length=998)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SmtpUrlInvalid(ValidationFailed):
    code = "SMTP_URL_INVALID"
    message_zh = "PATENTDESK_SMTP_URL 设置有误"
    message_en = "PATENTDESK_SMTP_URL is not valid"


def _invalid(problem_zh: str, problem_en: str) -> SmtpUrlInvalid:
    return SmtpUrlInvalid(
        "PATENTDESK_SMTP_URL 设置有误：{problem_zh}",
        "PATENTDESK_SMTP_URL is not valid: {problem_en}",
        problem_zh=problem_zh,
        problem_en=problem_en,
        details={"setting": "PATENTDESK_SMTP_URL"},
    )


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: Literal["plain", "starttls", "tls"]
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0
    verify: bool = True

    def describe(self) -> str:
        """The target without its password, for logs and ``doctor``-style output."""
        who = f"{self.username}@" if self.username else ""
        return f"{self.security} {who}{self.host}:{self.port}"


def _flag(query: dict[str, list[str]], name: str, default: bool) -> bool:
    values = query.get(name)
    if not values:
        return default
    value = values[-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _invalid(f"{name} 只能是 true 或 false", f"{name} must be true or false")


def parse_smtp_url(url: str) -> SmtpTarget:
    """The SMTP server and how to talk to it; a bad URL raises naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise _invalid("端口不是数字", "the port is not a number") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise _invalid("须以 smtp:// 或 smtps:// 开头", "it must start with smtp:// or smtps://")
    if not parts.hostname:
        raise _invalid("缺少服务器地址", "the host is missing")
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"starttls", "timeout", "verify"})
    if unknown:
        raise _invalid(
            "不认识的选项 " + ", ".join(unknown), "unknown option(s) " + ", ".join(unknown)
        )
    starttls = _flag(query, "starttls", False)
    if scheme == "smtps" and starttls:
        raise _invalid(
            "smtps:// 已是全程加密，不能再加 starttls",
            "smtps:// is TLS already; starttls does not apply",
        )
    timeout = 20.0
    if query.get("timeout"):
        try:
            timeout = float(query["timeout"][-1])
        except ValueError:
            raise _invalid("timeout 须为秒数", "timeout must be a number of seconds") from None
        if not 0 < timeout <= 600:
            raise _invalid("timeout 须在 0 到 600 秒之间", "timeout must be 0–600 seconds")
    security: Literal["plain", "starttls", "tls"] = (
        "tls" if scheme == "smtps" else "starttls" if starttls else "plain"
    )
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if scheme == "smtps" else 587 if starttls else 25),
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
        verify=_flag(query, "verify", True),
    )


class Mailer:
    """One SMTP connection for a batch of messages (``with Mailer(...) as m: m.send(...)``).

    Connection and login failures raise :class:`OSError` or :class:`smtplib.SMTPException`
    from ``__enter__``; the caller leaves the batch queued and tries again later."""

    def __init__(self, target: SmtpTarget, sender: str) -> None:
        self.target = target
        self.sender = sender
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.target.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def __enter__(self) -> Mailer:
        t = self.target
        smtp: smtplib.SMTP
        if t.security == "tls":
            smtp = smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(t.host, t.port, timeout=t.timeout)
        try:
            smtp.ehlo()
            if t.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if t.username:
                smtp.login(t.username, t.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, to: str, subject: str, body: str, language: str = "zh") -> None:
        assert self._smtp is not None, "use the mailer in a with block"
        # Folded only past RFC 5322's 998 characters: the standard policy's 78 folds an
        # ASCII subject that starts with "[" before its first word, which readers then show
        # with a leading space.
        message = EmailMessage(policy=_POLICY)
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="patentdesk")
        message.set_content(body, charset="utf-8")
        # After set_content, which clears every Content-* header.
        message["Content-Language"] = "zh-CN" if language == "zh" else "en"
        self._smtp.send_message(message)
