"""Validation rules on the attachments: required parts, types, readability, abstract."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from patentdesk.packages.attachments import check_readable, decode_text, sniff
from patentdesk.packages.registry import RELATED, ROLES, TEXT, XML
from patentdesk.packages.textin import looks_like_xml
from patentdesk.packages.textparts import DOCX, FORMAT, STRUCTURED, is_source
from patentdesk.packages.validation import Check, Hit, hit, rule


@rule(
    "parts.required",
    field="attachments/{role}",
    zh="缺少必需的文件：{label}（package add --role {role}）",
    en="A required part is missing: {label_en} (package add --role {role})",
    needs_form=False,
)
def parts_required(c: Check) -> Iterator[Hit]:
    for role in c.business.required_roles:
        if not c.documents(role):
            r = ROLES[role]
            yield hit(f"attachments/{role}", role=role, label=r.zh, label_en=r.en)


@rule(
    "utility.drawings",
    field="attachments/drawings",
    types=("utility",),
    zh="实用新型专利申请必须有说明书附图（package add --role drawings）",
    en="A utility model application needs drawings (package add --role drawings)",
    needs_form=False,
)
def utility_drawings(c: Check) -> Iterator[Hit]:
    if not c.documents("drawings"):
        yield hit()


@rule(
    "attachment.role",
    field="{path}",
    zh="{path}：业务类型 {business} 不接受附件角色 {role}",
    en="{path}: business type {business} takes no attachment role {role}",
    needs_form=False,
)
def attachment_role(c: Check) -> Iterator[Hit]:
    allowed = set(c.business.roles)
    for f in c.files():
        folder = f.path.split("/")[1]
        if f.role not in allowed or folder != f.role:
            yield hit(f.path, path=f.path, business=c.business.name, role=f.role)


@rule(
    "attachment.type",
    field="{path}",
    zh="{path}：文件类型不允许或与内容不符（{reason}）；接受 PDF、PNG、JPEG、TIFF",
    en="{path}: file type not allowed or not matching its content ({reason}); "
    "PDF, PNG, JPEG and TIFF are accepted",
    needs_form=False,
)
def attachment_type(c: Check) -> Iterator[Hit]:
    for f in c.files():
        role = ROLES.get(f.role)
        if role is None:
            continue  # attachment.role reports it
        if is_source(f.media_type, f.role):
            if not _has_rendition(c, f.path, f.media_type):
                yield hit(
                    f.path,
                    path=f.path,
                    reason="文本、Word 或 XML 源文件只能与其转换结果一起存放 / a text, Word or "
                    "XML source only beside what was converted from it",
                )
                continue
            head = c.package.head(f.path)
            if not _source_matches(f.media_type, head):
                yield hit(f.path, path=f.path, reason=f"{f.media_type} ≠ content")
            continue
        if f.media_type not in role.media_types:
            yield hit(f.path, path=f.path, reason=f"{f.media_type} ∉ {role.name}")
            continue
        head = c.package.head(f.path)
        actual = sniff(head[:16]) or (XML if looks_like_xml(head) else None)
        if actual != f.media_type:
            yield hit(f.path, path=f.path, reason=f"{f.media_type} ≠ {actual or 'unknown'}")


def _has_rendition(c: Check, path: str, media_type: str) -> bool:
    """A kept source sits beside its PDF, or (a Word document of drawings) its figures."""
    stem = str(PurePosixPath(path).with_suffix(""))
    if c.package.manifest.file(stem + ".pdf") is not None:
        return media_type != TEXT or ROLES[path.split("/")[1]].text_source
    if media_type == TEXT:
        return False
    return any(
        f.path.startswith(stem + "-fig-") and not is_source(f.media_type, f.role) for f in c.files()
    )


def _source_matches(media_type: str, head: bytes) -> bool:
    if media_type == DOCX:
        return head.startswith(b"PK\x03\x04")
    if media_type in (XML, STRUCTURED):
        return looks_like_xml(head) if media_type == XML else head.lstrip()[:1] == b"{"
    return True  # text: attachment.readable decodes it


@rule(
    "attachment.readable",
    field="{path}",
    zh="{path}：文件无法打开（{reason}）",
    en="{path}: the file cannot be opened ({reason})",
    needs_form=False,
)
def attachment_readable(c: Check) -> Iterator[Hit]:
    limit = int(c.settings["max_decode_pixels"])
    for f in c.files():
        if f.role not in ROLES:
            continue
        if f.media_type == TEXT:
            if decode_text(c.package.read_bytes(f.path)) is None:
                yield hit(f.path, path=f.path, reason="不是 UTF-8 文本 / not UTF-8 text")
            continue
        if f.media_type == STRUCTURED:
            if not _structure_readable(c.package.read_bytes(f.path)):
                yield hit(f.path, path=f.path, reason=f"不是 {FORMAT} / not {FORMAT}")
            continue
        if f.media_type in (DOCX, XML):
            continue  # checked when added; sequence_listing.st26 checks listings
        if sniff(c.package.head(f.path, 16)) != f.media_type:
            continue  # attachment.type reports it
        with c.package.open_seekable(f.path) as stream:
            result = check_readable(stream, f.media_type, limit)
        if not result.ok:
            yield hit(f.path, path=f.path, reason=result.reason)
        elif result.pages is not None:
            c.package.page_counts[f.path] = result.pages


def _structure_readable(data: bytes) -> bool:
    import json

    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(value, dict) and value.get("format") == FORMAT


@rule(
    "sequence_listing.st26",
    field="{path}",
    zh="{path}：序列表不符合 WIPO ST.26：{reason}",
    en="{path}: the sequence listing does not conform to WIPO ST.26: {reason}",
    needs_form=False,
)
def sequence_listing_st26(c: Check) -> Iterator[Hit]:
    from patentdesk.packages.st26 import check_st26

    for f in c.files("sequence_listing"):
        if f.media_type != XML:
            continue
        with c.package.open(f.path) as stream:
            report = check_st26(stream)
        if not report.ok:
            yield Hit(
                f.path,
                zh=f"{f.path}：序列表不符合 WIPO ST.26：{report.summary('zh')}",
                en=f"{f.path}: the sequence listing does not conform to WIPO ST.26: "
                f"{report.summary('en')}",
            )


@rule(
    "abstract_drawing.count",
    field="attachments/abstract_drawing",
    severity="warning",
    zh="摘要附图只能有 {limit} 幅，现有 {n} 个文件",
    en="There may be only {limit} abstract drawing; there are {n} files",
    needs_form=False,
)
def abstract_drawing_count(c: Check) -> Iterator[Hit]:
    n = len(c.documents("abstract_drawing"))
    if n > c.settings["max_abstract_drawings"]:
        yield hit(n=n, limit=c.settings["max_abstract_drawings"])


@rule(
    "related.business",
    field="forms/{kind}.json",
    zh="关联业务 {kind} 不适用于业务类型 {business}（可用：{choices}）",
    en="Related business {kind} does not apply to business type {business} (choose: {choices})",
    needs_form=False,
)
def related_business(c: Check) -> Iterator[Hit]:
    for kind in c.package.related:
        if kind not in RELATED or kind not in c.business.related:
            yield hit(
                f"forms/{kind}.json",
                kind=kind,
                business=c.business.name,
                choices=", ".join(c.business.related) or "-",
            )


# --------------------------------------------------------------------------- abstract
# The claims rules live in rules_claims, the description's in rules_description.


@rule(
    "abstract.length",
    field="attachments/abstract",
    zh="说明书摘要文字部分过长：{n} 个字，最多 {limit} 个字",
    en="The abstract is too long: {n} characters, at most {limit}",
    needs_form=False,
)
def abstract_length(c: Check) -> Iterator[Hit]:
    if "abstract" not in c.business.roles or not c.documents("abstract"):
        return
    text = c.text("abstract")
    if text is None:
        return
    n = len(re.sub(r"\s", "", text))
    if n > c.settings["abstract_max_chars"]:
        yield hit(n=n, limit=c.settings["abstract_max_chars"])


@rule(
    "abstract.text",
    field="attachments/abstract",
    severity="warning",
    zh="无法读取摘要的文字（可能是扫描件），未检查字数",
    en="The abstract has no readable text (a scan?); its length was not checked",
    needs_form=False,
)
def abstract_text(c: Check) -> Iterator[Hit]:
    if "abstract" in c.business.roles and c.documents("abstract") and c.text("abstract") is None:
        yield hit()
