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


class PersonNotMatched(PatentDeskError):
    """No registered natural person has this phone *and* this real name. One answer for
    both causes, so that adding people cannot be used to learn who is registered or whose
    name goes with a phone."""

    code = "PERSON_NOT_MATCHED"
    status = 404
    message_zh = "没有与该手机号和姓名都相符的已注册自然人：请核对，或请本人先注册"
    message_en = (
        "No registered natural person has this phone number and this name: check both, "
        "or ask the person to register first"
    )
    commit_anyway = True  # the failed lookup counts toward the throttle


class MemberLeft(Conflict):
    code = "MEMBER_LEFT"
    message_zh = "该用户已自行退出本机构，不能重新启用；如需恢复，请重新添加（本人会收到通知）"
    message_en = (
        "This person left the organisation and cannot be re-enabled; add them again (they are told)"
    )


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
