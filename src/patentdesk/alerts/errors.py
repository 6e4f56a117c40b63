"""Errors of the alerts domain: stable codes, Chinese and English."""

from __future__ import annotations

from patentdesk.errors import NotFound, ValidationFailed


class AlertEmailInvalid(ValidationFailed):
    code = "ALERT_EMAIL_INVALID"
    message_zh = "邮箱地址不正确"
    message_en = "The e-mail address is not valid"


class AlertLanguageInvalid(ValidationFailed):
    code = "ALERT_LANGUAGE_INVALID"
    message_zh = "提醒语言只能是中文（zh）或英文（en）"
    message_en = "The alert language must be zh (Chinese) or en (English)"


class AlertSmsNeedsPhone(ValidationFailed):
    code = "ALERT_SMS_NEEDS_PHONE"
    message_zh = "此账户没有登记手机号，不能接收短信提醒"
    message_en = "This account has no mobile number, so it cannot receive SMS alerts"


class AlertEmailNotSet(ValidationFailed):
    code = "ALERT_EMAIL_NOT_SET"
    message_zh = "尚未设置提醒邮箱"
    message_en = "No alert e-mail address is set"


class AlertLinkInvalid(NotFound):
    code = "ALERT_LINK_INVALID"
    message_zh = "验证链接无效或已过期，请在提醒设置中重新发送验证邮件"
    message_en = (
        "The verification link is not valid or has expired; send a new one from the alert settings"
    )
