"""Errors of the fee domain, each with a stable code and a Chinese and English message."""

from __future__ import annotations

from patentdesk.errors import Conflict, NotFound, PatentDeskError, ValidationFailed


class ScheduleNotFound(NotFound):
    code = "FEE_SCHEDULE_NOT_FOUND"
    message_zh = "{date} 没有施行中的{kind_zh}收费标准"
    message_en = "No {kind} fee schedule is in force on {date}"


class ScheduleInvalid(ValidationFailed):
    code = "FEE_SCHEDULE_INVALID"
    message_zh = "收费标准文件 {file} 不正确：{problems}"
    message_en = "Fee schedule file {file} is not valid: {problems}"


class ScheduleConflict(Conflict):
    code = "FEE_SCHEDULE_CONFLICT"
    message_zh = "收费标准冲突：{reason_zh}"
    message_en = "Fee schedule conflict: {reason_en}"


class FeeInputInvalid(ValidationFailed):
    code = "FEE_INPUT_INVALID"
    message_zh = "计费信息不正确：{problems}"
    message_en = "The fee input is not valid: {problems}"


class UnknownFeeItem(ValidationFailed):
    code = "FEE_ITEM_UNKNOWN"
    message_zh = "收费标准 {schedule} 中没有费用项目 {item}；可用项目：{known}"
    message_en = "Fee schedule {schedule} has no fee item {item}; known items: {known}"


class FeeRuleError(ValidationFailed):
    """The input asks for something the schedule cannot price (e.g. a year with no band)."""

    code = "FEE_RULE_NOT_APPLICABLE"


class SheetInvalid(ValidationFailed):
    code = "FEE_SHEET_INVALID"
    message_zh = "费用计算页不正确：{problems}"
    message_en = "The fee calculation sheet is not valid: {problems}"


class SheetMismatch(PatentDeskError):
    """An authorized-deduction sheet (授权扣款) whose amounts differ from the schedule in force.

    The messages list the correct amounts; ``details`` carries them and the differences.
    """

    code = "FEE_SHEET_MISMATCH"
    status = 422
    message_zh = "费用计算页金额与收费标准不符"
    message_en = "The fee sheet's amounts do not match the fee schedule"


class PackageUnreadable(ValidationFailed):
    code = "FEE_PACKAGE_UNREADABLE"
    message_zh = "无法从案卷包 {path} 读取计费信息：{reason_zh}"
    message_en = "Cannot read fee information from package {path}: {reason_en}"


# ---------------------------------------------------------------- payments (缴费)


class PaymentMethodInvalid(ValidationFailed):
    code = "FEE_PAYMENT_METHOD_INVALID"
    message_zh = "缴费方式 {method} 不正确，应为 online-banking（网银）、payment-notice（缴费通知书）或 authorized-deduction（授权扣款）"
    message_en = (
        "Payment method {method} is not valid: use online-banking, payment-notice or "
        "authorized-deduction"
    )


class PaymentAmountInvalid(ValidationFailed):
    """An amount of money outside the one bounded format (:mod:`patentdesk.fees.amounts`);
    ``details.field`` names the field."""

    code = "FEE_PAYMENT_AMOUNT_INVALID"
    message_zh = "{field}（{amount}）不正确：{reason_zh}"
    message_en = "{field_en} ({amount}) is not valid: {reason_en}"


class NothingDue(Conflict):
    code = "FEES_NOTHING_DUE"
    message_zh = "申请 {number} 目前没有应缴未缴的费用"
    message_en = "Application {number} has no fees outstanding"


class PaymentPending(Conflict):
    """A charge with a payment awaiting the bank is not paid again; ``details.pending`` is
    that payment (with its ``pay_url``)."""

    code = "FEE_PAYMENT_PENDING"
    message_zh = (
        "申请 {number} 已有一笔待银行确认的缴费（{amount} 元，编号 {payment_id}）；"
        "请先完成该笔支付，或撤销该笔缴费后再缴费"
    )
    message_en = (
        "Application {number} already has a payment awaiting the bank (CNY {amount}, "
        "id {payment_id}): finish it, or cancel it before paying again"
    )


class PaymentExceedsOutstanding(ValidationFailed):
    code = "FEE_PAYMENT_EXCEEDS_OUTSTANDING"
    message_zh = (
        "缴费金额 {amount} 元超过申请 {number} 尚欠的 {outstanding} 元；"
        "请按欠缴金额缴费（多缴的费用只能另行请求退款）"
    )
    message_en = (
        "The amount CNY {amount} exceeds the CNY {outstanding} application {number} still "
        "owes: pay what is owed (an over-payment can only be refunded on request)"
    )


class PaymentNotCancellable(Conflict):
    code = "FEE_PAYMENT_NOT_CANCELLABLE"
    message_zh = "该笔缴费已处理（{status}），不能撤销；只有待银行确认的缴费可以撤销"
    message_en = "This payment has been settled ({status}); only a payment awaiting the bank can be cancelled"


class PaymentNotPayable(Conflict):
    code = "FEE_PAYMENT_NOT_PAYABLE"
    message_zh = "该订单已撤销（{status}），不能再支付；请回到缴费页面查看应缴费用"
    message_en = "This order was cancelled ({status}) and cannot be paid; see the case's fees"


class IdempotencyKeyReused(Conflict):
    code = "FEE_IDEMPOTENCY_KEY_REUSED"
    message_zh = "该幂等键已用于另一申请的缴费"
    message_en = "This idempotency key was already used for a payment of another application"


class PaymentNoticeUnknown(ValidationFailed):
    code = "PAYMENT_NOTICE_UNKNOWN"
    message_zh = (
        "发文序列号为 {serial} 的缴费通知书不存在或不属于申请 {number}；"
        "请核对通知书，或在通知书页面云端二次下载后再缴费"
    )
    message_en = (
        "No payment notice with dispatch serial {serial} exists for application {number}; "
        "check the notice (download it again from the cloud) and pay again"
    )


class PaymentNoticeWithoutAmounts(ValidationFailed):
    code = "PAYMENT_NOTICE_WITHOUT_AMOUNTS"
    message_zh = "缴费通知书 {serial} 未列明缴费金额，请选择网银缴费并填写金额"
    message_en = "Payment notice {serial} states no amounts; pay by online banking with an amount"


class DeductionNotAuthorized(Conflict):
    code = "FEE_DEDUCTION_NOT_AUTHORIZED"
    message_zh = (
        "本权限域没有经银行确认的授权扣款账户，不能以授权扣款方式缴费；请先添加授权"
        "（patentdesk fees authorization add）并在银行页面确认，或选择网银缴费"
    )
    message_en = (
        "This permission domain has no authorized-deduction account the bank has confirmed; "
        "add one (patentdesk fees authorization add) and confirm it at the bank, or pay by "
        "online banking"
    )


class AuthorizationInvalid(ValidationFailed):
    code = "FEE_AUTHORIZATION_INVALID"
    message_zh = "授权扣款账户信息不正确：{problems}"
    message_en = "The authorized-deduction account is not valid: {problems}"


class AuthorizationNotFound(NotFound):
    code = "FEE_AUTHORIZATION_NOT_FOUND"
    message_zh = "授权扣款账户不存在"
    message_en = "No such authorized-deduction account"


class PaymentNotFound(NotFound):
    code = "FEE_PAYMENT_NOT_FOUND"
    message_zh = "缴费记录不存在"
    message_en = "No such payment"


class PaymentAlreadySettled(Conflict):
    code = "FEE_PAYMENT_ALREADY_SETTLED"
    message_zh = "该笔缴费已处理（{status}），不能再次确认"
    message_en = "This payment has already been settled ({status})"


class CallbackInvalid(PatentDeskError):
    """A bank callback whose signature or content does not verify: nothing changes."""

    code = "PAYMENT_CALLBACK_INVALID"
    status = 400
    message_zh = "银行回调无效：{reason_zh}"
    message_en = "The bank callback is not valid: {reason_en}"


class GatewayInvalid(PatentDeskError):
    code = "PAYMENT_GATEWAY_INVALID"
    status = 500
    message_zh = "支付网关配置 {spec} 无效"
    message_en = "The payment gateway setting {spec} is not valid"


class GatewayNotConfigured(PatentDeskError):
    code = "PAYMENT_GATEWAY_NOT_CONFIGURED"
    status = 503
    message_zh = (
        "网银缴费与授权扣款暂不可用：服务器未配置支付网关（PATENTDESK_PAYMENT_GATEWAY），"
        "请联系系统管理员"
    )
    message_en = (
        "Online payment and authorized deduction are not available: the server has no "
        "payment gateway (PATENTDESK_PAYMENT_GATEWAY); ask the administrator"
    )


class SimulatorRefused(PatentDeskError):
    """The simulated bank asked for in a production environment: it would confirm
    payments and accounts nobody made, so the server does not start with it."""

    code = "PAYMENT_SIMULATOR_REFUSED"
    status = 500
    message_zh = (
        "生产环境（{environment}）不能使用模拟网银：请将 PATENTDESK_PAYMENT_GATEWAY 设为银行的"
        "网关（module:Class）"
    )
    message_en = (
        "The production environment ({environment}) cannot use the simulated bank "
        "(PATENTDESK_PAYMENT_GATEWAY=simulated): name the bank's gateway (module:Class)"
    )


class DeductionUnsupported(PatentDeskError):
    code = "PAYMENT_GATEWAY_NO_DEDUCTION"
    status = 503
    message_zh = "所配置的支付网关不支持授权扣款，请选择网银缴费"
    message_en = "The payment gateway does not support authorized deduction; pay by online banking"
