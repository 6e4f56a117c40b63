"""Validation rules of follow-up business: change, response, reexamination, invalidation,
fee payment, PCT and PCT national phase."""

from __future__ import annotations

import re
from collections.abc import Iterator

from patentdesk.notices.deadlines import add_months, next_working_day
from patentdesk.packages import idnumbers
from patentdesk.packages.validation import Check, Hit, hit, rule


@rule(
    "application_number.required",
    field="application_number",
    types=("change", "response", "reexam", "fee"),
    zh="请填写申请号（application_number）",
    en="The application number is required (application_number)",
)
def application_number_required(c: Check) -> Iterator[Hit]:
    if not c.form.application_number:
        yield hit()


@rule(
    "application_number.format",
    field="application_number",
    types=("change", "response", "reexam", "fee"),
    zh="申请号 {value} 不正确（格式或校验位），例如 201710601862.3",
    en="The application number {value} is not valid (format or check character), "
    "e.g. 201710601862.3",
)
def application_number_format(c: Check) -> Iterator[Hit]:
    value = c.form.application_number
    if value and idnumbers.normalize_application_number(value) is None:
        yield hit(value=value)


@rule(
    "response.notice_serial",
    field="notice_serial",
    types=("response",),
    zh="请填写所答复通知书的发文序列号（notice_serial）",
    en="Give the dispatch serial number of the notice you answer (notice_serial)",
)
def response_notice(c: Check) -> Iterator[Hit]:
    if not c.form.notice_serial:
        yield hit()


@rule(
    "reexam.rejection_notice_serial",
    field="rejection_notice_serial",
    types=("reexam",),
    zh="复审请求必须填写驳回决定的发文序列号（rejection_notice_serial）{detail}",
    en="A reexamination request must cite the rejection decision's dispatch serial number "
    "(rejection_notice_serial){detail}",
)
def reexam_serial(c: Check) -> Iterator[Hit]:
    value = c.form.rejection_notice_serial
    if not value:
        yield hit(detail="")
    elif not re.match(c.settings["notice_serial_pattern"], value):
        yield hit(detail=f"：{value} 格式不正确 / {value} is malformed")


@rule(
    "invalidation.patent_number",
    field="patent_number",
    types=("invalidation",),
    zh="请填写正确的专利号（patent_number）{detail}",
    en="Give a valid patent number (patent_number){detail}",
)
def invalidation_patent(c: Check) -> Iterator[Hit]:
    value = c.form.patent_number
    if not value:
        yield hit(detail="")
    elif idnumbers.normalize_application_number(value) is None:
        yield hit(detail=f"：{value}")


@rule(
    "invalidation.decision_serial",
    field="decision_serial",
    types=("invalidation",),
    zh="请填写所针对决定（授权公告）的发文序列号（decision_serial）",
    en="Give the dispatch serial number of the decision concerned (decision_serial)",
)
def invalidation_decision(c: Check) -> Iterator[Hit]:
    if not c.form.decision_serial:
        yield hit()


@rule(
    "invalidation.grounds",
    field="grounds",
    types=("invalidation",),
    zh="请至少填写一项无效宣告理由（grounds.0）",
    en="Give at least one ground of invalidity (grounds.0)",
)
def invalidation_grounds(c: Check) -> Iterator[Hit]:
    if not [g for g in c.form.grounds if g]:
        yield hit()


@rule(
    "invalidation.one_requester",
    field="applicants",
    types=("invalidation",),
    zh="一件无效宣告请求只能有一个请求人（现有 {count} 个）：多个请求人应分别提出请求"
    "（专利审查指南第四部分第三章 3.2）",
    en="An invalidation request has one requester ({count} given): several requesters file "
    "one request each (Guidelines for Patent Examination, part IV, chapter 3, 3.2)",
)
def invalidation_one_requester(c: Check) -> Iterator[Hit]:
    named = [a for a in c.form.applicants if a.name]
    if len(named) > 1:
        yield hit(count=len(named))


# --------------------------------------------------------------------------- change (C4)


@rule(
    "change.items",
    field="changes",
    types=("change",),
    zh="请至少列出一项变更（changes.0.item、changes.0.after）：只有列出的项目会被变更",
    en="List at least one change (changes.0.item, changes.0.after): only listed items change",
)
def change_items(c: Check) -> Iterator[Hit]:
    if not c.form.changes:
        yield hit()


@rule(
    "change.item",
    field="changes.N",
    types=("change",),
    zh="变更 {i} 缺少 {what}",
    en="Change {i} lacks {what}",
)
def change_item(c: Check) -> Iterator[Hit]:
    for i, ch in enumerate(c.form.changes):
        if ch.item is None:
            yield hit(f"changes.{i}.item", i=i + 1, what="item（变更项目 / item）")
        if not ch.after:
            yield hit(f"changes.{i}.after", i=i + 1, what="after（变更后 / value after)")


@rule(
    "change.unchanged",
    field="changes.N.after",
    severity="warning",
    types=("change",),
    zh="变更 {i}（{item}）的变更前后相同，不会有变化",
    en="Change {i} ({item}) has the same value before and after",
)
def change_unchanged(c: Check) -> Iterator[Hit]:
    for i, ch in enumerate(c.form.changes):
        if ch.before and ch.after and ch.before.strip() == ch.after.strip():
            yield hit(f"changes.{i}.after", i=i + 1, item=ch.item)


@rule(
    "change.requester",
    field="requester",
    types=("change",),
    zh="第三方变更需要填写第三方请求人（requester）",
    en="A third-party change needs the third-party requester (requester)",
)
def change_requester(c: Check) -> Iterator[Hit]:
    if c.form.kind == "third_party" and not c.form.requester:
        yield hit()


@rule(
    "change.efiling_user",
    field="efiling_user_after",
    types=("change",),
    zh="请填写变更后电子申请用户（efiling_user_after.name / efiling_user_after.user_id）{detail}",
    en="Give the e-filing user after the change (efiling_user_after.name / "
    "efiling_user_after.user_id){detail}",
)
def change_efiling_user(c: Check) -> Iterator[Hit]:
    user = c.form.efiling_user_after
    if user is not None and (user.name or user.user_id):
        return
    if not c.context.logged_in:
        yield hit(
            detail="。此项需要当前用户身份：未登录，无法自动带出当前登录用户，请登录或手工填写"
            " / This needs the current user's identity: not logged in, so it could not be "
            "pre-filled; log in or fill it in"
        )
    else:
        yield hit(detail="")


# --------------------------------------------------------------------------- fee


@rule(
    "fee.items",
    field="fee_items",
    types=("fee",),
    zh="请至少列出一项费用（fee_items.0.code）",
    en="List at least one fee (fee_items.0.code)",
)
def fee_items(c: Check) -> Iterator[Hit]:
    if not c.form.fee_items:
        yield hit()


@rule(
    "fee.code",
    field="fee_items.N.code",
    types=("fee",),
    zh="费用 {i} 缺少费用代码或名称",
    en="Fee {i} has neither a code nor a name",
)
def fee_code(c: Check) -> Iterator[Hit]:
    for i, item in enumerate(c.form.fee_items):
        if not item.code and not item.name:
            yield hit(f"fee_items.{i}.code", i=i + 1)


# --------------------------------------------------------------------------- PCT (E1)


@rule(
    "pct.designations",
    field="designations",
    types=("pct",),
    zh="请至少指定一个国家（designations=ALL 表示全部指定）：{bad}",
    en="Designate at least one state (designations=ALL designates all): {bad}",
)
def pct_designations(c: Check) -> Iterator[Hit]:
    states = [s.strip().upper() for s in c.form.designations if s.strip()]
    if not states:
        yield hit(bad="-")
        return
    bad = [s for s in states if s != "ALL" and not re.fullmatch(r"[A-Z]{2}", s)]
    if bad:
        yield hit(bad=", ".join(bad))


@rule(
    "pct_national.international_number",
    field="international_application_number",
    types=("pct-national",),
    zh="请填写正确的国际申请号（如 PCT/CN2024/123456）{detail}",
    en="Give a valid international application number (e.g. PCT/CN2024/123456){detail}",
)
def pct_national_number(c: Check) -> Iterator[Hit]:
    value = c.form.international_application_number
    if not value:
        yield hit(detail="")
    elif not re.match(c.settings["international_application_pattern"], value.upper()):
        yield hit(detail=f"：{value}")


@rule(
    "pct_national.period",
    field="international_filing_date",
    types=("pct-national",),
    zh="进入国家阶段的期限已过：自优先权日（或国际申请日）{start} 起 {months} 个月，至 {last}",
    en="The national phase period has passed: {months} months from the priority (or "
    "international filing) date {start}, last day {last}",
)
def pct_national_period(c: Check) -> Iterator[Hit]:
    dates = [p.date for p in c.form.priorities if p.date]
    if c.form.international_filing_date:
        dates.append(c.form.international_filing_date)
    if not dates:
        return
    start = min(dates)
    normal = next_working_day(add_months(start, c.settings["pct_national_months"]))
    grace = next_working_day(add_months(start, c.settings["pct_national_grace_months"]))
    if c.context.filing_date > grace:
        yield hit(start=start, months=c.settings["pct_national_grace_months"], last=grace)
    elif c.context.filing_date > normal:
        yield Hit(
            "international_filing_date",
            "warning",
            zh=f"已超过 30 个月期限（{normal}），可在 32 个月内（{grace} 前）缴纳宽限费办理",
            en=f"The 30-month period ended on {normal}; entry is possible until {grace} with "
            "the surcharge",
        )
