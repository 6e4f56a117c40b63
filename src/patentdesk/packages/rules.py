"""The built-in validation rules (校验规则). Numbers come from data/rules.yaml.

Each rule names its field with a dotted path (``applicants.0.uscc``) the way ``package set``
does, so a message points at exactly what to change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from patentdesk.notices.deadlines import add_months, next_working_day
from patentdesk.packages import idnumbers
from patentdesk.packages.text import forbidden_character
from patentdesk.packages.validation import Check, Hit, hit, rule

APPLICATIONS = ("invention", "utility", "design", "pct", "pct-national")
WITH_APPLICANTS = (*APPLICATIONS, "reexam", "invalidation")


def _filled(model: Any) -> bool:
    if model is None:
        return False
    data = model.model_dump(exclude_defaults=True, exclude_none=True)
    return bool(data)


# --------------------------------------------------------------------------- the request


@rule(
    "title.required",
    field="title",
    types=APPLICATIONS,
    zh="请填写发明创造名称（title）",
    en="The title is required (title)",
)
def title_required(c: Check) -> Iterator[Hit]:
    if not (c.form.title or "").strip():
        yield hit()


@rule(
    "title.length",
    field="title",
    types=APPLICATIONS,
    zh="名称过长：{n} 个字，最多 {limit} 个字",
    en="The title is too long: {n} characters, at most {limit}",
)
def title_length(c: Check) -> Iterator[Hit]:
    n = len((c.form.title or "").strip())
    if n > c.settings["title_max_chars"]:
        yield hit(n=n, limit=c.settings["title_max_chars"])


@rule(
    "title.recommended_length",
    field="title",
    severity="warning",
    types=APPLICATIONS,
    zh="名称有 {n} 个字，一般不超过 {limit} 个字",
    en="The title has {n} characters; usually it has at most {limit}",
)
def title_recommended(c: Check) -> Iterator[Hit]:
    n = len((c.form.title or "").strip())
    if c.settings["title_recommended_chars"] < n <= c.settings["title_max_chars"]:
        yield hit(n=n, limit=c.settings["title_recommended_chars"])


@rule(
    "applicants.required",
    field="applicants",
    types=WITH_APPLICANTS,
    zh="至少需要一个申请人（请求人）：applicants.0.name",
    en="At least one applicant (requester) is required: applicants.0.name",
)
def applicants_required(c: Check) -> Iterator[Hit]:
    if not c.form.applicants:
        yield hit()


@rule(
    "applicant.name",
    field="applicants.N.name",
    types=WITH_APPLICANTS,
    zh="申请人 {i} 缺少姓名或名称",
    en="Applicant {i} has no name",
)
def applicant_name(c: Check) -> Iterator[Hit]:
    for i, a in enumerate(c.form.applicants):
        if not a.name:
            yield hit(f"applicants.{i}.name", i=i + 1)


@rule(
    "party.name.characters",
    field="applicants.N.name",
    types=WITH_APPLICANTS,
    zh="{path} 含有不允许的字符 {character}（控制字符、文字方向控制符或零宽字符）",
    en="{path} holds a character that is not allowed, {character} (a control, "
    "text-direction or zero-width character)",
)
def party_name_characters(c: Check) -> Iterator[Hit]:
    """The names that reach receipts, notices and the office's worklist (same rule as
    people's names on the server)."""
    for group in ("applicants", "inventors"):
        for i, member in enumerate(getattr(c.form, group, None) or []):
            bad = forbidden_character(getattr(member, "name", None) or "")
            if bad is not None:
                path = f"{group}.{i}.name"
                yield hit(path, path=path, character=bad)


@rule(
    "applicant.identity",
    field="applicants.N.uscc",
    types=APPLICATIONS,
    zh="中国申请人 {i} 需要统一社会信用代码（uscc，单位）或居民身份证件号码（id_number，个人）",
    en="Chinese applicant {i} needs a unified social credit code (uscc, organisations) or a "
    "resident ID number (id_number, persons)",
)
def applicant_identity(c: Check) -> Iterator[Hit]:
    for i, a in enumerate(c.form.applicants):
        if a.country == "CN" and not a.uscc and not a.id_number:
            yield hit(f"applicants.{i}.uscc", i=i + 1)


@rule(
    "applicant.uscc",
    field="applicants.N.uscc",
    types=WITH_APPLICANTS,
    zh="申请人 {i} 的统一社会信用代码 {value} 不正确（GB 32100 校验码不符或格式错误）",
    en="Applicant {i}'s unified social credit code {value} is not valid (GB 32100 check "
    "character or format)",
)
def applicant_uscc(c: Check) -> Iterator[Hit]:
    for i, a in enumerate(c.form.applicants):
        if a.uscc and not idnumbers.is_valid_uscc(a.uscc):
            yield hit(f"applicants.{i}.uscc", i=i + 1, value=a.uscc)


@rule(
    "applicant.id_number",
    field="applicants.N.id_number",
    types=WITH_APPLICANTS,
    zh="申请人 {i} 的居民身份证件号码 {value} 不正确（GB 11643 校验码不符或格式错误）",
    en="Applicant {i}'s resident ID number {value} is not valid (GB 11643 check digit or format)",
)
def applicant_id(c: Check) -> Iterator[Hit]:
    for i, a in enumerate(c.form.applicants):
        if a.id_number and a.country == "CN" and not idnumbers.is_valid_resident_id(a.id_number):
            yield hit(f"applicants.{i}.id_number", i=i + 1, value=a.id_number)


@rule(
    "applicant.address",
    field="applicants.N.address",
    types=APPLICATIONS,
    zh="申请人 {i} 缺少地址",
    en="Applicant {i} has no address",
)
def applicant_address(c: Check) -> Iterator[Hit]:
    for i, a in enumerate(c.form.applicants):
        if not a.address:
            yield hit(f"applicants.{i}.address", i=i + 1)


@rule(
    "applicant.postal_code",
    field="applicants.N.postal_code",
    types=WITH_APPLICANTS,
    zh="申请人 {i} 的邮政编码{value}不正确：中国邮政编码为 6 位数字",
    en="Applicant {i}'s postal code{value} is not valid: Chinese postal codes have 6 digits",
)
def applicant_postal(c: Check) -> Iterator[Hit]:
    pattern = re.compile(c.settings["postal_code_pattern"])
    for i, a in enumerate(c.form.applicants):
        if a.country != "CN":
            continue
        if a.postal_code is None:
            if c.business.is_application:
                yield hit(f"applicants.{i}.postal_code", i=i + 1, value="（未填写 / missing）")
        elif not pattern.match(a.postal_code):
            yield hit(f"applicants.{i}.postal_code", i=i + 1, value=f" {a.postal_code} ")


@rule(
    "inventors.required",
    field="inventors",
    types=APPLICATIONS,
    zh="至少需要一个发明人（设计人）：inventors.0.name",
    en="At least one inventor (designer) is required: inventors.0.name",
)
def inventors_required(c: Check) -> Iterator[Hit]:
    if not any(inv.name for inv in c.form.inventors):
        yield hit()


@rule(
    "inventor.name",
    field="inventors.N.name",
    types=APPLICATIONS,
    zh="发明人 {i} 缺少姓名",
    en="Inventor {i} has no name",
)
def inventor_name(c: Check) -> Iterator[Hit]:
    if any(inv.name for inv in c.form.inventors):
        for i, inv in enumerate(c.form.inventors):
            if not inv.name:
                yield hit(f"inventors.{i}.name", i=i + 1)


@rule(
    "inventor.id_number",
    field="inventors.N.id_number",
    types=APPLICATIONS,
    zh="发明人 {i} 的居民身份证件号码 {value} 不正确（GB 11643 校验码不符）",
    en="Inventor {i}'s resident ID number {value} is not valid (GB 11643 check digit)",
)
def inventor_id(c: Check) -> Iterator[Hit]:
    for i, inv in enumerate(c.form.inventors):
        valid = inv.country != "CN" or idnumbers.is_valid_resident_id(inv.id_number or "")
        if inv.id_number and not valid:
            yield hit(f"inventors.{i}.id_number", i=i + 1, value=inv.id_number)


# --------------------------------------------------------------------------- priority


@rule(
    "priority.fields",
    field="priorities.N",
    zh="优先权 {i} 需要原受理机构、在先申请号和在先申请日（缺少 {missing}）",
    en="Priority claim {i} needs country, number and date (missing: {missing})",
)
def priority_fields(c: Check) -> Iterator[Hit]:
    for i, p in enumerate(getattr(c.form, "priorities", [])):
        missing = [k for k in ("country", "number", "date") if not getattr(p, k)]
        if missing:
            yield hit(f"priorities.{i}.{missing[0]}", i=i + 1, missing=", ".join(missing))


@rule(
    "priority.period",
    field="priorities.N.date",
    zh="优先权 {i} 的在先申请日 {date} 已超过 {months} 个月期限（申请日 {filing}，期限至 {last}）",
    en="Priority claim {i} of {date} is outside the {months}-month period (filing date "
    "{filing}, last day {last})",
)
def priority_period(c: Check) -> Iterator[Hit]:
    months = c.business.priority_months
    if months is None:
        return
    if c.business.name == "pct-national":
        return  # the period ran before the international filing, checked by RO
    for i, p in enumerate(getattr(c.form, "priorities", [])):
        if p.date is None or p.date > c.context.filing_date:
            continue
        # A period ending on a day off ends on the next working day (Implementing Rules r. 5),
        # priority periods included: filing on that day keeps the priority.
        last = next_working_day(add_months(p.date, months))
        if c.context.filing_date > last:
            yield hit(
                f"priorities.{i}.date",
                i=i + 1,
                date=p.date,
                months=months,
                filing=c.context.filing_date,
                last=last,
            )


@rule(
    "priority.future",
    field="priorities.N.date",
    zh="优先权 {i} 的在先申请日 {date} 晚于申请日 {filing}",
    en="Priority claim {i}'s date {date} is after the filing date {filing}",
)
def priority_future(c: Check) -> Iterator[Hit]:
    for i, p in enumerate(getattr(c.form, "priorities", [])):
        if p.date is not None and p.date > c.context.filing_date:
            yield hit(f"priorities.{i}.date", i=i + 1, date=p.date, filing=c.context.filing_date)


# --------------------------------------------------------------------------- power of attorney


@rule(
    "poa.number",
    field="applicants.N.general_poa_number",
    types=WITH_APPLICANTS,
    zh="申请人 {i} 的总委托书编号 {value} 格式不正确",
    en="Applicant {i}'s general power of attorney number {value} is not in the right format",
)
def poa_number(c: Check) -> Iterator[Hit]:
    pattern = re.compile(c.settings["general_poa_number_pattern"])
    for i, a in enumerate(c.form.applicants):
        if a.general_poa_number and not pattern.match(a.general_poa_number.upper()):
            yield hit(f"applicants.{i}.general_poa_number", i=i + 1, value=a.general_poa_number)


@rule(
    "poa.method",
    field="applicants.N.general_poa_method",
    types=WITH_APPLICANTS,
    zh="申请人 {i} 填写了总委托书编号，请选择备案方式：纸件请求、在线请求或流程服务请求"
    "（任选其一即可，只要编号正确不影响办理）",
    en="Applicant {i} gives a general power of attorney number: choose its filing method, "
    "paper request, online request or process service request (any of the three is accepted "
    "when the number is right)",
)
def poa_method(c: Check) -> Iterator[Hit]:
    for i, a in enumerate(c.form.applicants):
        if a.general_poa_number and a.general_poa_method is None:
            yield hit(f"applicants.{i}.general_poa_method", i=i + 1)


@rule(
    "poa.missing",
    field="attachments/power_of_attorney",
    types=WITH_APPLICANTS,
    zh="委托了专利代理机构，但既没有专利代理委托书（--role power_of_attorney），"
    "也没有申请人的总委托书编号",
    en="An agency is appointed but there is neither a power of attorney "
    "(--role power_of_attorney) nor an applicant's general power of attorney number",
)
def poa_missing(c: Check) -> Iterator[Hit]:
    if not _filled(c.form.agency):
        return
    if c.documents("power_of_attorney"):
        return
    if any(a.general_poa_number for a in c.form.applicants):
        return
    yield hit()


# --------------------------------------------------------------------------- agency (C1 C3 C8)


@rule(
    "agency.login",
    field="agency",
    zh="代理机构信息只能由代理机构经办人或子账户提交；当前身份：{role}",
    en="Agency data can be submitted only by an agency handler or sub-account; you act as: {role}",
)
def agency_login(c: Check) -> Iterator[Hit]:
    if not _filled(c.form.agency) or c.context.is_agency_user:
        return
    if not c.context.logged_in and not c.context.submitting:
        yield Hit(
            "agency",
            "warning",
            zh="此规则需要验证当前用户身份：未登录（按自然人处理），无法确认可以提交代理机构信息；"
            "签名提交前请以代理机构经办人或子账户登录",
            en="This rule needs the current user's identity: not logged in (acting as a natural "
            "person), so the agency data cannot be confirmed; log in as an agency handler or "
            "sub-account before signing and submitting",
        )
        return
    yield hit(role=c.context.role + (f"/{c.context.org_kind}" if c.context.org_kind else ""))


@rule(
    "agency.fields",
    field="agency",
    zh="代理机构信息不完整：缺少 {missing}",
    en="The agency data is incomplete: {missing} missing",
)
def agency_fields(c: Check) -> Iterator[Hit]:
    agency = c.form.agency
    if not _filled(agency):
        return
    if not agency.name:
        yield hit("agency.name", missing="agency.name")
    if not agency.code:
        yield hit("agency.code", missing="agency.code")
    if not agency.agents:
        yield hit("agency.agents.0.name", missing="agency.agents.0.name")
    for i, agent in enumerate(agency.agents):
        for key in ("name", "licence"):
            if not getattr(agent, key):
                yield hit(f"agency.agents.{i}.{key}", missing=f"agency.agents.{i}.{key}")


@rule(
    "agency.licence",
    field="agency.agents.N.licence",
    zh="代理师 {i} 的执业证号 {value} 格式不正确",
    en="Agent {i}'s licence number {value} is not in the right format",
)
def agency_licence(c: Check) -> Iterator[Hit]:
    if c.form.agency is None:
        return
    pattern = re.compile(c.settings["agent_licence_pattern"])
    for i, agent in enumerate(c.form.agency.agents):
        if agent.licence and not pattern.match(agent.licence):
            yield hit(f"agency.agents.{i}.licence", i=i + 1, value=agent.licence)


# The rules on attachments and on follow-up business live in their own modules.
from patentdesk.packages import (  # noqa: E402, F401
    rules_business,
    rules_claims,
    rules_description,
    rules_documents,
)
