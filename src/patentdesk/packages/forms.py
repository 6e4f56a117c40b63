"""Structured forms of a case package, one Pydantic model per business type.

Every field is optional at the model level so that a package can be built up step by step
(``package set``) and still be saved; what a complete filing needs is checked by the
validation rules (``rules.py``), which name the field and the rule. The models forbid
unknown keys, so a typo in a field path is an error, not a silently ignored value.

Field titles carry the Chinese name used on CNIPA forms next to the English one; they end up
in the published JSON Schemas (docs/schemas/) and label the web form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _aliases(mapping: dict[str, str]) -> BeforeValidator:
    """Accepts the Chinese words (and a few spellings) for an enumerated value."""
    folded = {k.casefold(): v for k, v in mapping.items()}

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().casefold().replace("-", "_").replace(" ", "_")
            return folded.get(key, folded.get(value.strip().casefold(), value.strip()))
        return value

    return BeforeValidator(convert)


PoaMethod = Annotated[
    Literal["paper", "online", "process_service"],
    _aliases(
        {
            "纸件请求": "paper",
            "纸件": "paper",
            "在线请求": "online",
            "在线": "online",
            "流程服务请求": "process_service",
            "流程服务": "process_service",
            "process": "process_service",
        }
    ),
]
"""备案方式 of a general power of attorney: 纸件请求 | 在线请求 | 流程服务请求 (seed C7)."""

ChangeItemKind = Annotated[
    Literal[
        "applicant",
        "applicant_name",
        "applicant_address",
        "inventor",
        "agency",
        "agent",
        "contact",
        "title",
        "priority",
        "other",
    ],
    _aliases(
        {
            "申请人": "applicant",
            "专利权人": "applicant",
            "申请人名称": "applicant_name",
            "申请人姓名或名称": "applicant_name",
            "申请人地址": "applicant_address",
            "地址": "applicant_address",
            "发明人": "inventor",
            "设计人": "inventor",
            "发明人或设计人": "inventor",
            "代理机构": "agency",
            "专利代理机构": "agency",
            "代理师": "agent",
            "代理人": "agent",
            "联系人": "contact",
            "发明创造名称": "title",
            "名称": "title",
            "优先权": "priority",
            "其他": "other",
        }
    ),
]


class FormModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text = Annotated[str, Field(max_length=2000)]


class Applicant(FormModel):
    """申请人 / 请求人."""

    name: Text | None = Field(None, title="姓名或名称 / Name")
    country: str = Field("CN", title="国籍或注册国家 / Country (ISO 3166)", pattern=r"^[A-Z]{2}$")
    uscc: str | None = Field(None, title="统一社会信用代码 / Unified social credit code")
    id_number: str | None = Field(None, title="居民身份证件号码 / Resident ID number")
    address: Text | None = Field(None, title="地址 / Address")
    postal_code: str | None = Field(None, title="邮政编码 / Postal code")
    general_poa_number: str | None = Field(
        None, title="总委托书编号 / General power of attorney number"
    )
    general_poa_method: PoaMethod | None = Field(
        None, title="备案方式 / Filing method (纸件请求 paper | 在线请求 online | 流程服务请求)"
    )


class Inventor(FormModel):
    """发明人 / 设计人."""

    name: Text | None = Field(None, title="姓名 / Name")
    country: str = Field("CN", title="国籍 / Nationality", pattern=r"^[A-Z]{2}$")
    id_number: str | None = Field(None, title="居民身份证件号码 / Resident ID number")
    withhold_name: bool = Field(False, title="不公布姓名 / Do not publish the name")


class Priority(FormModel):
    """要求优先权声明."""

    country: str | None = Field(None, title="原受理机构 / Office of first filing")
    number: str | None = Field(None, title="在先申请号 / Earlier application number")
    date: dt.date | None = Field(None, title="在先申请日 / Earlier filing date")


class Agent(FormModel):
    name: Text | None = Field(None, title="代理师姓名 / Agent name")
    licence: str | None = Field(None, title="执业证号 / Licence number")
    phone: str | None = Field(None, title="电话 / Phone")


class Agency(FormModel):
    """专利代理机构: only an agency handler or sub-account may fill it (seed C8)."""

    name: Text | None = Field(None, title="机构名称 / Agency name")
    code: str | None = Field(None, title="机构代码 / Agency code")
    agents: list[Agent] = Field(default_factory=list, title="代理师 / Agents")


class EfilingUser(FormModel):
    user_id: str | None = Field(None, title="用户代码 / User id")
    name: Text | None = Field(None, title="名称 / Name")


class Common(FormModel):
    internal_number: str | None = Field(
        None, title="机构内部编号 / Internal reference", max_length=64
    )
    agency: Agency | None = Field(None, title="专利代理机构 / Patent agency")


class ApplicationForm(Common):
    """请求书 of a national application (invention, utility model)."""

    title: Text | None = Field(None, title="发明创造名称 / Title")
    applicants: list[Applicant] = Field(default_factory=list, title="申请人 / Applicants")
    inventors: list[Inventor] = Field(default_factory=list, title="发明人 / Inventors")
    priorities: list[Priority] = Field(default_factory=list, title="优先权 / Priority claims")
    fee_reduction: bool = Field(False, title="请求费用减缓 / Request fee reduction")


class InventionForm(ApplicationForm):
    """发明专利请求书 (110101)."""

    abstract_figure: int | None = Field(
        None,
        ge=1,
        le=999,
        title="摘要附图（说明书附图的图号） / Abstract figure (its number among the drawings)",
    )


class UtilityForm(ApplicationForm):
    """实用新型专利请求书 (120101)."""

    abstract_figure: int | None = Field(
        None,
        ge=1,
        le=999,
        title="摘要附图（说明书附图的图号） / Abstract figure (its number among the drawings)",
    )


class DesignForm(ApplicationForm):
    """外观设计专利请求书; inventors are the designers (设计人)."""

    title: Text | None = Field(None, title="使用外观设计的产品名称 / Product name")
    locarno_class: str | None = Field(None, title="洛迦诺分类号 / Locarno class")
    similar_designs: int | None = Field(None, ge=1, title="相似设计项数 / Similar designs")


class ChangeItem(FormModel):
    item: ChangeItemKind | None = Field(None, title="变更项目 / Item")
    before: Text | None = Field(None, title="变更前 / Before")
    after: Text | None = Field(None, title="变更后 / After")


class ChangeForm(Common):
    """著录项目变更申报书: lists only the items that change (seed C4)."""

    application_number: str | None = Field(None, title="申请号或专利号 / Application number")
    kind: Annotated[
        Literal["normal", "third_party"],
        _aliases({"普通变更": "normal", "第三方变更": "third_party"}),
    ] = Field("normal", title="变更类型 / Kind (普通变更 | 第三方变更)")
    requester: Text | None = Field(None, title="第三方请求人 / Third-party requester")
    changes: list[ChangeItem] = Field(default_factory=list, title="变更项目 / Changes")
    efiling_user_after: EfilingUser | None = Field(
        None, title="变更后电子申请用户 / E-filing user after the change"
    )


class ResponseForm(Common):
    """意见陈述书 / 补正书: the answer to an office notice."""

    application_number: str | None = Field(None, title="申请号 / Application number")
    notice_serial: str | None = Field(None, title="通知书发文序列号 / Notice dispatch serial")
    notice_code: str | None = Field(None, title="通知书代码 / Notice code")
    kind: Annotated[
        Literal["opinion", "correction"], _aliases({"意见陈述": "opinion", "补正": "correction"})
    ] = Field("opinion", title="答复类型 / Kind (意见陈述 | 补正)")


class ReexamForm(Common):
    """复审请求书: cites the rejection decision by its dispatch serial number (seed C10)."""

    application_number: str | None = Field(None, title="申请号 / Application number")
    rejection_notice_serial: str | None = Field(
        None, title="驳回决定发文序列号 / Rejection decision dispatch serial"
    )
    applicants: list[Applicant] = Field(default_factory=list, title="复审请求人 / Requesters")


class InvalidationForm(Common):
    """无效宣告请求书."""

    patent_number: str | None = Field(None, title="专利号 / Patent number")
    decision_serial: str | None = Field(None, title="授权决定发文序列号 / Decision dispatch serial")
    patentee: Text | None = Field(None, title="专利权人 / Patentee")
    grounds: list[Text] = Field(default_factory=list, title="无效宣告理由 / Grounds")
    applicants: list[Applicant] = Field(default_factory=list, title="请求人 / Requesters")


class FeeItem(FormModel):
    code: str | None = Field(None, title="费用代码 / Fee code")
    name: Text | None = Field(None, title="费用名称 / Fee name")
    count: int = Field(1, ge=1, title="数量 / Count")
    amount: Decimal | None = Field(None, ge=0, title="金额（元） / Amount (CNY)")


class FeeForm(Common):
    """缴费 (fee payment) for an application."""

    application_number: str | None = Field(None, title="申请号 / Application number")
    payer: Text | None = Field(None, title="缴款人 / Payer")
    fee_items: list[FeeItem] = Field(default_factory=list, title="费用 / Fee items")


class PctForm(Common):
    """PCT 国际申请请求书 with CNIPA as receiving office (RO/CN)."""

    receiving_office: Literal["CN"] = Field("CN", title="受理局 / Receiving office")
    title: Text | None = Field(None, title="发明名称 / Title")
    language: Literal["zh", "en"] = Field("zh", title="申请语言 / Language")
    applicants: list[Applicant] = Field(default_factory=list, title="申请人 / Applicants")
    inventors: list[Inventor] = Field(default_factory=list, title="发明人 / Inventors")
    designations: list[str] = Field(
        default_factory=lambda: ["ALL"], title="指定国 / Designated states (ALL = 全部)"
    )
    priorities: list[Priority] = Field(default_factory=list, title="优先权 / Priority claims")


class PctNationalForm(Common):
    """PCT 进入中国国家阶段声明."""

    international_application_number: str | None = Field(
        None, title="国际申请号 / International application number (PCT/CN2024/123456)"
    )
    international_filing_date: dt.date | None = Field(None, title="国际申请日 / Filing date")
    international_publication_number: str | None = Field(
        None, title="国际公布号 / International publication number"
    )
    entry_kind: Annotated[
        Literal["invention", "utility"], _aliases({"发明": "invention", "实用新型": "utility"})
    ] = Field("invention", title="要求获得的专利类型 / Kind of patent sought")
    title: Text | None = Field(None, title="发明名称 / Title")
    applicants: list[Applicant] = Field(default_factory=list, title="申请人 / Applicants")
    inventors: list[Inventor] = Field(default_factory=list, title="发明人 / Inventors")
    priorities: list[Priority] = Field(default_factory=list, title="优先权 / Priority claims")
    fee_reduction: bool = Field(False, title="请求费用减缓 / Request fee reduction")
    abstract_figure: int | None = Field(
        None,
        ge=1,
        le=999,
        title="摘要附图（说明书附图的图号） / Abstract figure (its number among the drawings)",
    )


class RelatedForm(FormModel):
    """A related business (关联业务) filed with the case, e.g. 实质审查请求书."""

    kind: str = Field(title="关联业务 / Related business")
    note: Text | None = Field(None, title="说明 / Note")
