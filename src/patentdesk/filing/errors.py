"""Errors of submission (提交)."""

from __future__ import annotations

from patentdesk.errors import Conflict, NotFound, PatentDeskError, ValidationFailed


class PackageUnsigned(ValidationFailed):
    code = "PACKAGE_UNSIGNED"
    message_zh = "案卷包未签名：请先签名（patentdesk sign）再提交"
    message_en = "The case package is not signed: sign it (patentdesk sign) before submitting"


class SignerNotInDomain(PatentDeskError):
    code = "SIGNER_NOT_IN_DOMAIN"
    status = 403
    message_zh = "签名人不属于提交人的权限范围：请由本机构（本分支机构）的经办人或子账户签名"
    message_en = (
        "The signer does not belong to the submitter's permission domain: a handler or "
        "sub-account of this institution or branch must sign"
    )


class PackageInvalid(ValidationFailed):
    code = "PACKAGE_INVALID"
    message_zh = "案卷包未通过校验：{count} 项错误"
    message_en = "The case package fails validation: {count} error(s)"


class IdempotencyKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"
    message_zh = "该幂等键已用于另一个案卷包"
    message_en = "This idempotency key was used for a different package"


class PackageAlreadyFiled(Conflict):
    code = "PACKAGE_ALREADY_FILED"
    message_zh = (
        "该案卷包已于 {filed} 提交，申请号 {number}；再次提交会造成重复申请。"
        "如确需另行申请，请新建案卷包"
    )
    message_en = (
        "This case package was filed on {filed} as application {number}; submitting it again "
        "would make a duplicate application. To file another application, create a new package"
    )


class ApplicationNotFound(NotFound):
    code = "APPLICATION_NOT_FOUND"
    message_zh = "申请号 {number} 不存在或不在您的权限范围内"
    message_en = "Application {number} does not exist or is not in your permission domain"


class RejectionNoticeUnknown(PatentDeskError):
    """C10: the CNIPA client's words, with the way out (cloud re-download)."""

    code = "REJECTION_NOTICE_UNKNOWN"
    status = 422
    message_zh = (
        "驳回通知书发文序列号对应通知信息不存在，不能办理新请求业务。如已使用旧版客户端下载过"
        "该通知书，请在通知书办理页面的“通知书接收确认”中使用“云端二次下载”下载该驳回通知书"
        "（patentdesk notices list --all；patentdesk notices download ID），然后再办理。"
    )
    message_en = (
        "No notice matches the rejection decision's dispatch serial number, so no new request "
        "can be filed. If the notice was fetched with the old client, download it again from "
        "the cloud (notice receipt confirmation → cloud re-download; patentdesk notices list "
        "--all, patentdesk notices download ID), then file the request."
    )


RESTORATION_ZH = (
    "如因不可抗拒的事由或者其他正当理由耽误期限，可以依照专利法实施细则第六条提交恢复权利请求"
    "（恢复权利请求书，表格代码 100010，并缴纳恢复权利请求费）"
)
RESTORATION_EN = (
    "if the period was missed through force majeure or another legitimate reason, file a "
    "request for restoration of rights (恢复权利请求书, form 100010, with its fee) under "
    "rule 6 of the Implementing Rules"
)


class DeadlinePassed(PatentDeskError):
    code = "DEADLINE_PASSED"
    status = 422
    message_zh = "答复期限已于 {deadline} 届满，不能再答复该通知书。" + RESTORATION_ZH
    message_en = (
        "The response period ended on {deadline}; this notice can no longer be answered. "
        + RESTORATION_EN[0].upper()
        + RESTORATION_EN[1:]
    )


class ReexaminationPeriodPassed(DeadlinePassed):
    message_zh = (
        "复审请求期限已于 {deadline} 届满（驳回决定 {serial} 送达之日起三个月），"
        "不能再提出复审请求。" + RESTORATION_ZH
    )
    message_en = (
        "The period for requesting reexamination ended on {deadline} (three months from the "
        "delivery of rejection decision {serial}); no reexamination can be requested now. "
        + RESTORATION_EN[0].upper()
        + RESTORATION_EN[1:]
    )


class NoticeOfAnotherApplication(PatentDeskError):
    code = "NOTICE_OF_ANOTHER_APPLICATION"
    status = 422
    message_zh = (
        "通知书 {serial} 是申请 {other} 的通知书，不是申请 {number} 的：请核对申请号和发文序列号"
    )
    message_en = (
        "Notice {serial} was issued on application {other}, not on {number}: check the "
        "application number and the dispatch serial"
    )


class ReexaminationAlreadyRequested(Conflict):
    code = "REEXAMINATION_ALREADY_REQUESTED"
    message_zh = "该驳回决定已有一件复审请求：同一驳回决定只能有一件复审请求"
    message_en = "This rejection decision already has a reexamination request: one per decision"


class RejectionAnsweredByReexamination(PatentDeskError):
    code = "REJECTION_NEEDS_REEXAMINATION"
    status = 422
    message_zh = "{serial} 是驳回决定，不能以意见陈述答复：对驳回决定不服的，请提出复审请求"
    message_en = (
        "{serial} is a rejection decision, which observations cannot answer: request "
        "reexamination instead"
    )


class InvalidationByPatentee(PatentDeskError):
    code = "INVALIDATION_BY_PATENTEE"
    status = 422
    message_zh = (
        "专利权人针对自己的专利权 {number} 请求宣告全部无效的，不予受理（专利审查指南第四部分"
        "第三章 3.2）；如不再需要该专利权，可以声明放弃专利权"
    )
    message_en = (
        "A patentee's request to invalidate the whole of its own patent {number} is not "
        "admitted (Guidelines for Patent Examination, part IV, chapter 3, 3.2); a patentee "
        "that no longer wants the patent may surrender it"
    )


class NotGranted(PatentDeskError):
    code = "PATENT_NOT_GRANTED"
    status = 422
    message_zh = "无效宣告只能针对已授权的专利：{number} 尚未授权"
    message_en = "Invalidation applies only to granted patents: {number} is not granted"


class NoGrantedPatent(NotGranted):
    """To a requester outside the case's domain: one answer whether the number is unknown or
    not granted yet, so that invalidation requests cannot probe unpublished applications."""

    message_zh = "没有专利号为 {number} 的已授权专利：无效宣告只能针对已授权的专利"
    message_en = "There is no granted patent {number}: invalidation applies only to granted patents"
