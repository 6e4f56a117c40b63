"""Errors of the organisations domain."""

from __future__ import annotations

from patentdesk.errors import Conflict, PatentDeskError, ValidationFailed


class InvalidUscc(ValidationFailed):
    code = "INVALID_USCC"
    message_zh = "统一社会信用代码不正确：应为 18 位且校验码正确（GB 32100）"
    message_en = (
        "Invalid unified social credit code: 18 characters with a valid check character (GB 32100)"
    )


class InvalidAgencyCode(ValidationFailed):
    code = "INVALID_AGENCY_CODE"
    message_zh = "代理机构代码不正确：应为 5 位数字"
    message_en = "Invalid agency code: 5 digits expected"


class OrgNameInvalid(ValidationFailed):
    code = "INVALID_ORG_NAME"
    message_zh = "机构名称不正确：应为 2 至 100 个字符"
    message_en = "Invalid organisation name: 2 to 100 characters"


class UsccTaken(Conflict):
    code = "USCC_TAKEN"
    message_zh = "该统一社会信用代码已注册"
    message_en = "This unified social credit code is already registered"


class AgencyCodeTaken(Conflict):
    code = "AGENCY_CODE_TAKEN"
    message_zh = "该代理机构代码已注册"
    message_en = "This agency code is already registered"


class BranchNameTaken(Conflict):
    code = "BRANCH_NAME_TAKEN"
    message_zh = "该分支机构名称已存在"
    message_en = "A branch with this name already exists"


class BranchNameInvalid(ValidationFailed):
    code = "INVALID_BRANCH_NAME"
    message_zh = "分支机构名称不正确：应为 1 至 50 个字符"
    message_en = "Invalid branch name: 1 to 50 characters"


class PersonNotRegistered(PatentDeskError):
    code = "PERSON_NOT_REGISTERED"
    status = 404
    message_zh = "该手机号尚未注册自然人账户：请先让本人用手机 App 或网页注册"
    message_en = (
        "No natural person is registered with this phone: they must register first (app or web)"
    )


class NameMismatch(ValidationFailed):
    code = "NAME_MISMATCH"
    message_zh = "姓名与该手机号注册的实名信息不一致"
    message_en = "The name does not match the real name registered with this phone"


class AlreadyMember(Conflict):
    code = "ALREADY_MEMBER"
    message_zh = "该用户已是本机构的{what}"
    message_en = "This person is already a {what_en} of this organisation"


class NoOrganisation(PatentDeskError):
    code = "NO_ORGANISATION"
    status = 403
    message_zh = "当前身份不属于任何机构：请以经办人身份登录后再进行账户管理"
    message_en = (
        "The current role belongs to no organisation: log in as a handler to manage accounts"
    )
