"""Errors of the identity domain (统一身份认证)."""

from __future__ import annotations

from patentdesk.errors import (
    Conflict,
    NotAuthenticated,
    PatentDeskError,
    RateLimited,
    ValidationFailed,
)


class PhoneTaken(Conflict):
    code = "PHONE_TAKEN"
    message_zh = "该手机号已注册"
    message_en = "This phone number is already registered"


class InvalidPhone(ValidationFailed):
    code = "INVALID_PHONE"
    message_zh = "手机号格式不正确：应为 11 位中国大陆手机号"
    message_en = "Invalid phone number: expected an 11-digit mainland China mobile number"


class InvalidIdNumber(ValidationFailed):
    code = "INVALID_ID_NUMBER"
    message_zh = "身份证号码不正确：应为 18 位且校验位正确（GB 11643）"
    message_en = "Invalid resident ID number: 18 characters with a valid check digit (GB 11643)"


class InvalidName(ValidationFailed):
    code = "INVALID_NAME"
    message_zh = "姓名不正确：应为 1 至 50 个字符，汉字最多 21 个（数字证书的容量）"
    message_en = (
        "Invalid name: 1 to 50 characters, at most 21 Chinese characters (what a signing "
        "certificate holds)"
    )


class NameCharacterInvalid(InvalidName):
    """A control, bidi-override or invisible character: named, so the person can find it."""

    message_zh = "姓名含有不允许的字符 {character}（控制字符、文字方向控制符或零宽字符）"
    message_en = (
        "The name holds a character that is not allowed, {character} (a control, "
        "text-direction or zero-width character)"
    )


class WeakPassword(ValidationFailed):
    code = "WEAK_PASSWORD"
    message_zh = "密码不符合要求：8 至 64 位，须同时包含字母和数字"
    message_en = "Password too weak: 8 to 64 characters with both letters and digits"


class ProfileIncomplete(PatentDeskError):
    """需要补录 (seed A1): mandatory profile data missing; log in after completing it."""

    code = "PROFILE_INCOMPLETE"
    status = 403
    message_zh = "需要补录：账户信息不完整，请先完成用户信息补录后再登录"
    message_en = (
        "Profile completion required (需要补录): complete your account details, then log in"
    )


class InvalidCredentials(NotAuthenticated):
    code = "INVALID_CREDENTIALS"
    message_zh = "账号或密码错误"
    message_en = "Wrong account or password"
    commit_anyway = True


class AccountDisabled(PatentDeskError):
    code = "ACCOUNT_DISABLED"
    status = 403
    message_zh = "账户已停用"
    message_en = "This account is disabled"


class SmsCodeInvalid(PatentDeskError):
    code = "SMS_CODE_INVALID"
    status = 400
    message_zh = "短信验证码错误或已过期"
    message_en = "The SMS code is wrong or has expired"
    commit_anyway = True


class ChallengeInvalid(PatentDeskError):
    code = "LOGIN_CHALLENGE_INVALID"
    status = 400
    message_zh = "登录请求无效或已过期，请重新登录"
    message_en = "The login request is invalid or has expired; log in again"


class RoleUnavailable(PatentDeskError):
    code = "ROLE_UNAVAILABLE"
    status = 403
    message_zh = "无法以该身份登录：{role}"
    message_en = "You cannot act in this role: {role}"


class RoleRefusedForLogin(RoleUnavailable):
    """The phone approved a login in a role its user does not hold: the refusal is kept
    (the request ends in it), so the waiting client learns it too."""

    commit_anyway = True


class PasswordLoginNotAllowed(PatentDeskError):
    code = "PASSWORD_LOGIN_NOT_ALLOWED"
    status = 403
    message_zh = "自然人、经办人和子账户请使用手机 App 扫码登录（网页端可用密码加短信验证码登录）"
    message_en = (
        "Natural persons, handlers and sub-accounts log in by scanning the QR code with the "
        "mobile app (the web portal also accepts password plus SMS code)"
    )


class CurrentPasswordWrong(PatentDeskError):
    """修改密码 with a wrong current password: counted like a failed login."""

    code = "CURRENT_PASSWORD_WRONG"
    status = 403
    message_zh = "当前密码不正确"
    message_en = "The current password is wrong"
    commit_anyway = True


class PasswordUnchanged(ValidationFailed):
    code = "PASSWORD_UNCHANGED"
    message_zh = "新密码不能与当前密码相同"
    message_en = "The new password must differ from the current one"


class PasswordConfirmMismatch(ValidationFailed):
    code = "PASSWORD_CONFIRM_MISMATCH"
    message_zh = "两次输入的新密码不一致"
    message_en = "The two new passwords differ"


class TextCharacterInvalid(ValidationFailed):
    """Any other name (an organisation's, a branch's) with such a character."""

    code = "INVALID_CHARACTER"
    message_zh = "名称含有不允许的字符 {character}（控制字符、文字方向控制符或零宽字符）"
    message_en = (
        "The name holds a character that is not allowed, {character} (a control, "
        "text-direction or zero-width character)"
    )


class AttemptsRateLimited(RateLimited):
    """Too many failed logins or revealing lookups: the refusal itself is audited, so the
    transaction is kept."""

    commit_anyway = True


class SmsRateLimited(RateLimited):
    """Too many SMS codes asked for; ``details.scope`` says which limit: ``phone`` (this
    number), ``source`` (this address) or ``global`` (everyone)."""

    code = "SMS_RATE_LIMITED"
    message_zh = "短信验证码发送过于频繁，请稍后再试"
    message_en = "Too many SMS codes have been requested; please try again later"


class PhoneTakenCounted(PhoneTaken):
    """«该手机号已注册» at registration, before anything is written: the answer counts
    toward the lookup throttle, so its record is kept."""

    commit_anyway = True
