"""Names shown for statuses, kinds and business types, and the query pages' own texts.

Chinese first, English available, side by side so the two never drift apart. A value without
a label (a status a later release adds) is shown as it is stored.
"""

from __future__ import annotations

KIND_LABELS: dict[str, tuple[str, str]] = {
    "invention": ("发明", "Invention"),
    "utility": ("实用新型", "Utility model"),
    "design": ("外观设计", "Design"),
    "pct": ("PCT 国际申请", "PCT international application"),
    "pct-national": ("PCT 进入国家阶段", "PCT national phase"),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "submitted": ("已提交", "Submitted"),
    "received": ("已接收", "Received"),
    "accepted": ("已受理", "Accepted"),
    "refused": ("不予受理", "Refused"),
    "examination": ("实质审查中", "In examination"),
    "published": ("已公布", "Published"),
    "granted": ("已授权", "Granted"),
    "rejected": ("已驳回", "Rejected"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "deemed-withdrawn": ("视为撤回", "Deemed withdrawn"),
    "invalidated": ("已无效", "Invalidated"),
    "lapsed": ("已终止", "Lapsed"),
}

BUSINESS_LABELS: dict[str, tuple[str, str]] = {
    **KIND_LABELS,
    "change": ("著录项目变更", "Bibliographic data change"),
    "response": ("答复 / 补正", "Response / correction"),
    "reexam": ("复审请求", "Reexamination request"),
    "invalidation": ("无效宣告请求", "Invalidation request"),
    "fee": ("缴费", "Fee payment"),
}

TEXTS: dict[str, tuple[str, str]] = {
    "query.title": ("高级查询", "Advanced query"),
    "query.hint": (
        "在本权限域的案件中查询。名称、申请人、发明人按包含的文字查找（多个词用空格分隔，需同时包含）；"
        "申请号可输入完整号码（校验位可有可无）或其中一段数字；机构内部编号可用 * 作通配符。",
        "Searches the cases of your permission domain. Title, applicant and inventor match "
        "contained text (several words separated by spaces must all occur); the application "
        "number may be whole (with or without check character) or a run of its digits; the "
        "internal number takes * as a wildcard.",
    ),
    "query.any": ("（不限）", "(any)"),
    "query.submit": ("查询", "Search"),
    "query.reset": ("清空条件", "Clear"),
    "query.results": ("查询结果", "Results"),
    "query.none": ("没有符合条件的案件", "No case matches"),
    "query.next": ("下一页", "Next page"),
    "query.first": ("回到第一页", "First page"),
    "query.export": ("导出 CSV", "Export CSV"),
    "query.export.cap": ("最多导出 {n} 条", "at most {n} rows"),
    "query.saved": ("保存的查询", "Saved queries"),
    "query.saved.none": ("还没有保存的查询", "No saved query yet"),
    "query.save": ("保存当前查询", "Save this query"),
    "query.save.name": ("查询名称", "Query name"),
    "query.save.done": ("已保存查询“{name}”", "Saved the query “{name}”"),
    "query.delete": ("删除", "Delete"),
    "query.notice": ("通知书条件", "Notice conditions"),
    "query.dates": ("日期", "Dates"),
    "col.application_number": ("申请号", "Application number"),
    "col.title": ("发明创造名称", "Title"),
    "col.status": ("状态", "Status"),
    "col.internal_number": ("机构内部编号", "Internal number"),
    "col.kind": ("类型", "Type"),
    "col.filing_date": ("申请日", "Filing date"),
    "col.applicants": ("申请人", "Applicants"),
    "col.inventors": ("发明人", "Inventors"),
    "col.sub_account": ("提交子账户", "Submitted by"),
    "col.domain": ("权限域", "Domain"),
    "sort.-filing_date": ("申请日（新→旧）", "Filing date (newest first)"),
    "sort.filing_date": ("申请日（旧→新）", "Filing date (oldest first)"),
    "sort.application_number": ("申请号（升序）", "Application number (ascending)"),
    "sort.-application_number": ("申请号（降序）", "Application number (descending)"),
    "stats.title": ("统计", "Statistics"),
    "stats.hint": (
        "本权限域的案件、提交和通知书统计，截至 {date}（北京时间）。",
        "Cases, submissions and notices of your permission domain, as of {date} (Beijing).",
    ),
    "stats.export": ("导出 CSV", "Export CSV"),
    "stats.total": ("案件总数", "Cases in total"),
    "stats.by_status": ("按状态", "By status"),
    "stats.by_kind": ("按类型", "By type"),
    "stats.by_month": ("按申请月份", "By filing month"),
    "stats.submissions_by_sub_account": ("各子账户提交数", "Submissions per sub-account"),
    "stats.notices_by_type": ("按通知书类型", "Notices by type"),
    "stats.deadlines_due": ("即将到期的期限", "Deadlines due"),
    "stats.fees_paid": ("已缴费用", "Fees paid"),
    "stats.fees_paid.hint": (
        "只计已到账的缴费，按实缴金额；按月份为到账时间（北京时间）。",
        "Confirmed payments only, at the amount paid; months by when they were confirmed "
        "(Beijing time).",
    ),
    "stats.fees_paid.unavailable": (
        "缴费属于案件所属的权限域，局方用户不显示缴费统计。",
        "Fees belong to the case's permission domain: no fee statistics for office users.",
    ),
    "stats.payments": ("笔数", "Payments"),
    "stats.amount": ("金额（元）", "Amount (CNY)"),
    "stats.count": ("数量", "Count"),
    "stats.item": ("项目", "Item"),
    "stats.within_7": ("7 天内到期", "Due within 7 days"),
    "stats.within_30": ("30 天内到期", "Due within 30 days"),
    "stats.no_sub_account": ("{name}（非子账户提交）", "{name} (not a sub-account)"),
    "stats.chart.last": ("最近 {n} 个月", "last {n} months"),
    "desk.attention": ("今日待办", "Needs attention today"),
    "desk.unconfirmed": ("未确认接收的通知书", "Notices not yet confirmed"),
    "desk.deadlines": ("{days} 天内到期的期限", "Deadlines within {days} days"),
    "desk.days_left": ("剩 {n} 天", "{n} days left"),
    "desk.next": ("最近的期限", "Next deadline"),
    "desk.due_today": ("今天到期", "due today"),
    "desk.drafts": ("未提交的草稿", "Drafts not submitted"),
    "desk.drafts.where": (
        "草稿列表尚未接入本页。在客户端中编辑的案卷包保存在您的电脑上（patentdesk package），"
        "服务器看不到，提交后才会出现在案件中。",
        "The drafts list is not connected to this page. Case packages edited in the desktop "
        "client stay on your computer (patentdesk package); the server sees them only once "
        "they are submitted.",
    ),
    "desk.payments": ("待缴费用", "Payments due"),
    "desk.payments.none": (
        "缴费功能尚未接入，暂无待缴费用信息。",
        "Fee payments are not connected yet: no payment information.",
    ),
    "desk.more": ("查看全部", "See all"),
    "desk.owed": ("欠缴 {amount} 元", "CNY {amount} outstanding"),
    "desk.pay_by": ("缴费期限 {date}", "pay by {date}"),
    "desk.none": ("暂无", "None"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def text(lang: str, key: str, **fmt: object) -> str:
    value = _pick(TEXTS[key], lang) if key in TEXTS else key
    return value.format(**fmt) if fmt else value


def kind_label(kind: str, lang: str = "zh") -> str:
    return _pick(KIND_LABELS[kind], lang) if kind in KIND_LABELS else kind


def status_label(status: str, lang: str = "zh") -> str:
    return _pick(STATUS_LABELS[status], lang) if status in STATUS_LABELS else status


def business_label(business: str, lang: str = "zh") -> str:
    return _pick(BUSINESS_LABELS[business], lang) if business in BUSINESS_LABELS else business
