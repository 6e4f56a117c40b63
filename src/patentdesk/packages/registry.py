"""The business types (业务类型) a case package can carry, their forms and attachment roles.

This table is the one place that says which form model, which attachment roles (required or
optional) and which related businesses (关联业务) belong to each business type; the editor,
the validation rules, the legacy importer and the server all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from patentdesk.packages import forms
from patentdesk.packages.errors import IcLayoutNotSupported, UnknownBusinessType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
TEXT = "text/plain"
XML = "application/xml"  # ST.26 sequence listings (kept as XML) and CNIPA XML sources
IMAGES = frozenset({PNG, JPEG, TIFF})
DOCS = frozenset({PDF})
ANY = DOCS | IMAGES


@dataclass(frozen=True)
class Role:
    """An attachment role: the folder ``attachments/<name>/`` and what it may hold."""

    name: str
    zh: str
    en: str
    media_types: frozenset[str]
    form_code: str | None = None
    text_source: bool = False  # plain text is rendered to PDF and its source kept

    def label(self) -> str:
        return f"{self.zh} {self.en}"


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("claims", "权利要求书", "claims", DOCS, "100001", text_source=True),
        Role("description", "说明书", "description", DOCS, "100002", text_source=True),
        Role("drawings", "说明书附图", "drawings", ANY, "100003"),
        Role("abstract", "说明书摘要", "abstract", DOCS, "100004", text_source=True),
        Role("abstract_drawing", "摘要附图", "abstract drawing", ANY, "100005"),
        Role("power_of_attorney", "专利代理委托书", "power of attorney", ANY, "100007"),
        Role("design_views", "外观设计图片或照片", "design views", ANY, "130001"),
        Role("brief_description", "简要说明", "brief description", DOCS, text_source=True),
        Role("response", "意见陈述书", "response", DOCS, text_source=True),
        Role("correction", "补正书", "correction", DOCS, "100006", text_source=True),
        Role("amendment", "修改对照页", "amendment pages", DOCS, "100042", text_source=True),
        Role("statement", "理由陈述", "statement of grounds", DOCS, text_source=True),
        Role("evidence", "证据", "evidence", ANY),
        Role("priority_document", "在先申请文件副本", "priority document", ANY),
        Role("sequence_listing", "序列表", "sequence listing", DOCS | {XML}, text_source=True),
        Role("translation", "国际申请文件译文", "translation", DOCS, text_source=True),
        Role("proof", "证明文件", "supporting document", ANY),
        Role("other", "其他文件", "other document", ANY, text_source=True),
    )
}


@dataclass(frozen=True)
class Related:
    """A related business (关联业务) that can be filed together with a case."""

    kind: str
    zh: str
    en: str
    form_code: str | None = None


RELATED: dict[str, Related] = {
    r.kind: r
    for r in (
        Related("substantive_examination", "实质审查请求书", "substantive examination", "110401"),
        Related("early_publication", "提前公布声明", "early publication"),
        Related("search_report", "实用新型专利检索报告请求书", "search report request", "120701"),
        Related("extension", "延长期限请求书", "extension of time request", "100009"),
        Related("restoration", "恢复权利请求书", "restoration request", "100010"),
    )
}


@dataclass(frozen=True)
class BusinessType:
    name: str
    zh: str
    en: str
    model: type[BaseModel]
    form_code: str | None = None
    required_roles: tuple[str, ...] = ()
    optional_roles: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    priority_months: int | None = None  # None: no priority claims on this form
    is_application: bool = False  # a new application (title, applicants, inventors)

    @property
    def roles(self) -> tuple[str, ...]:
        return self.required_roles + self.optional_roles

    def label(self) -> str:
        return f"{self.zh} {self.en}"


_COMMON = ("power_of_attorney", "proof", "other")
BUSINESS_TYPES: dict[str, BusinessType] = {
    b.name: b
    for b in (
        BusinessType(
            "invention",
            "发明专利申请",
            "invention application",
            forms.InventionForm,
            "110101",
            ("claims", "description", "abstract"),
            ("drawings", "abstract_drawing", "sequence_listing", "priority_document", *_COMMON),
            ("substantive_examination", "early_publication"),
            priority_months=12,
            is_application=True,
        ),
        BusinessType(
            "utility",
            "实用新型专利申请",
            "utility model application",
            forms.UtilityForm,
            "120101",
            # drawings are required too, by their own rule (utility.drawings)
            ("claims", "description", "abstract"),
            ("drawings", "abstract_drawing", "priority_document", *_COMMON),
            ("search_report",),
            priority_months=12,
            is_application=True,
        ),
        BusinessType(
            "design",
            "外观设计专利申请",
            "design application",
            forms.DesignForm,
            "130101",
            ("design_views", "brief_description"),
            ("priority_document", *_COMMON),
            priority_months=6,
            is_application=True,
        ),
        BusinessType(
            "change",
            "著录项目变更",
            "bibliographic data change",
            forms.ChangeForm,
            None,
            (),
            _COMMON,
        ),
        BusinessType(
            "response",
            "答复通知书（意见陈述/补正）",
            "response to a notice",
            forms.ResponseForm,
            None,
            ("response",),
            ("correction", "amendment", "claims", "description", "drawings", "abstract", *_COMMON),
            ("extension", "restoration"),
        ),
        BusinessType(
            "reexam",
            "复审请求",
            "reexamination request",
            forms.ReexamForm,
            None,
            ("statement",),
            ("amendment", "claims", "evidence", *_COMMON),
        ),
        BusinessType(
            "invalidation",
            "无效宣告请求",
            "invalidation request",
            forms.InvalidationForm,
            None,
            ("statement",),
            ("evidence", *_COMMON),
        ),
        BusinessType("fee", "缴费", "fee payment", forms.FeeForm, None, (), ("proof", "other")),
        BusinessType(
            "pct",
            "PCT 国际申请",
            "PCT international application",
            forms.PctForm,
            None,
            ("claims", "description", "abstract"),
            ("drawings", "sequence_listing", "priority_document", *_COMMON),
            priority_months=12,
            is_application=True,
        ),
        BusinessType(
            "pct-national",
            "PCT 国际申请进入中国国家阶段",
            "PCT national phase entry",
            forms.PctNationalForm,
            None,
            ("claims", "description", "abstract"),
            ("drawings", "abstract_drawing", "translation", "priority_document", *_COMMON),
            ("substantive_examination",),
            priority_months=12,
            is_application=True,
        ),
    )
}

# Business types that exist elsewhere and are refused with their own message (seed C5).
REFUSED: dict[str, type[Exception]] = {"ic-layout": IcLayoutNotSupported}

MAIN_FORM = "forms/request.json"


def get_business_type(name: str) -> BusinessType:
    """The business type called ``name``; IC layout designs and unknown names are refused."""
    key = (name or "").strip().lower().replace("_", "-")
    if key in REFUSED or key in {"ic", "iclayout", "集成电路布图设计", "布图设计"}:
        raise IcLayoutNotSupported()
    try:
        return BUSINESS_TYPES[key]
    except KeyError:
        raise UnknownBusinessType(
            name=name, choices=", ".join([*BUSINESS_TYPES, "ic-layout"])
        ) from None


def related_form_path(kind: str) -> str:
    return f"forms/{kind}.json"
