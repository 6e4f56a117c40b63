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
