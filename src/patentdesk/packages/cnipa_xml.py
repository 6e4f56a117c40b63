"""CNIPA XML text parts in: claims, description and abstract as the CNIPA client writes them
(``cn-application-body`` with ``cn-claims`` / ``cn-description`` / ``cn-abstract``, close to
WIPO ST.36), parsed safely and turned into a :class:`TextDocument`.

XML is parsed with defusedxml (no DTD, no entities: no XML bombs, no external entities),
after decoding the declared encoding ourselves (Windows tools write GBK, which expat does not
read). The same parser serves the legacy CPC package importer.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from patentdesk.packages import errors as e
from patentdesk.packages.registry import ROLES
from patentdesk.packages.textparts import (
    Block,
    Picture,
    TextDocument,
    section_key,
    strip_paragraph_number,
)

MAX_XML = 16 * 1024 * 1024
_ASCII = bytes(range(0x80))
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']")

# ST.36 / CNIPA element names of the description's sections.
SECTION_ELEMENTS = {
    "technical-field": "technical_field",
    "background-art": "background_art",
    "disclosure": "summary",
    "summary-of-invention": "summary",
    "description-of-drawings": "drawings_description",
    "mode-for-invention": "embodiments",
    "description-of-embodiments": "embodiments",
}
PART_ELEMENTS = {
    "claims": ("cn-claims", "claims"),
    "description": ("cn-description", "description"),
    "abstract": ("cn-abstract", "abstract"),
}
ROOTS = ("cn-application-body", "application-body")


def _ascii_compatible(encoding: str) -> bool:
    """True when every ASCII byte means the same ASCII character in ``encoding``: only then
    do the declaration we read and the markup the parser sees agree (in UTF-7 or EBCDIC a
    ``<!ENTITY`` need not contain those bytes at all)."""
    try:
        return _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        return False


def parse_xml(data: bytes, what: str, refuse: Callable[[str, str], Exception]) -> ET.Element:
    """Parses XML safely; ``refuse(zh, en)`` builds the error for the caller's context."""
    declared = _XML_DECLARATION.match(data[:512])
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding in ("gbk", "gb2312", "gb18030", "cp936"):
        encoding = "gb18030"
    if not _ascii_compatible(encoding):
        raise refuse(
            f"{what}: 不支持的编码 {encoding.upper()}（仅接受 UTF-8、GBK 等与 ASCII 兼容的编码）",
            f"{what}: unsupported encoding {encoding.upper()} (only ASCII-compatible encodings "
            "such as UTF-8 and GBK are accepted)",
        )
    try:
        text = data.decode("utf-8-sig" if encoding in ("utf-8", "utf8") else encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise refuse(f"{what}: 编码错误 {encoding}", f"{what}: bad encoding {encoding}") from exc
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root: ET.Element = defused_fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise refuse(
            f"{what}: 不接受 XML 实体或 DTD", f"{what}: XML entities and DTDs not accepted"
        ) from exc
    except ET.ParseError as exc:
        raise refuse(f"{what}: XML 格式错误（{exc}）", f"{what}: malformed XML ({exc})") from exc
    return root


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _text(el: ET.Element) -> str:
    """Readable text of an element: tags dropped, ``<br/>`` as a line break, spaces tidied."""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            name = local(child.tag)
            if name == "br":
                parts.append("\n")
            elif name in ("img", "maths", "tables", "chemistry"):
                pass  # kept as their own blocks
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return re.sub(
        r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", re.sub(r"[ \t\r\f\v]+", " ", "".join(parts))
    ).strip()


def find_part(root: ET.Element, role: str) -> ET.Element | None:
    names = PART_ELEMENTS.get(role, ())
    if local(root.tag) in names:
        return root
    for el in root.iter():
        if local(el.tag) in names:
            return el
    return None


def _objects(el: ET.Element, doc: TextDocument) -> None:
    """Tables, formulas and images inside a paragraph or claim, after it."""
    for child in el.iter():
        name = local(child.tag)
        if name == "table" or name == "tables":
            if name == "tables" and any(
                local(c.tag) == "table" for c in child.iter() if c is not child
            ):
                continue
            rows = []
            for row in child.iter():
                if local(row.tag) in ("row", "tr"):
                    rows.append([_text(c) for c in row if local(c.tag) in ("entry", "td", "th")])
            if rows:
                doc.blocks.append(Block("table", rows=rows))
        elif name in ("maths", "chemistry"):
            img = next((c for c in child.iter() if local(c.tag) == "img"), None)
            label = (img.get("file") if img is not None else None) or name
            doc.blocks.append(
                Block("picture", picture=Picture(label, "image/x-referenced", None, "formula"))
            )
            doc.notes.append(
                f"{label}: 公式图像未随 XML 提供 / formula image not supplied with the XML"
            )


def read_cnipa_xml(data: bytes, name: str, role: str) -> TextDocument:
    """Reads a CNIPA XML text part as ``role`` (claims, description or abstract)."""
    spec = ROLES[role]

    def refuse(zh: str, en: str) -> e.DocumentInvalid:
        return e.DocumentInvalid.bilingual(  # type: ignore[return-value]
            {"name": name, "role": spec.zh, "reason": zh},
            {"name": name, "role": spec.en, "reason": en},
        )

    if len(data) > MAX_XML:
        raise refuse(
            f"XML 文件过大（上限 {MAX_XML} 字节）",
            f"the XML file is too large (limit {MAX_XML} bytes)",
        )
    root = parse_xml(data, name, refuse)
    return from_element(root, role, refuse)


def from_element(
    root: ET.Element, role: str, refuse: Callable[[str, str], Exception]
) -> TextDocument:
    if local(root.tag) not in ROOTS and not any(
        local(root.tag) in v for v in PART_ELEMENTS.values()
    ):
        raise refuse(
            f"根元素为 <{local(root.tag)}>，应为 cn-application-body",
            f"the root element is <{local(root.tag)}>, expected cn-application-body",
        )
    part = find_part(root, role)
    if part is None:
        wanted = "/".join(PART_ELEMENTS.get(role, (role,)))
        raise refuse(f"XML 中没有 <{wanted}> 部分", f"the XML has no <{wanted}> part")
    doc = TextDocument(role)
    if role == "claims":
        _claims(part, doc, refuse)
    elif role == "description":
        _description(part, doc)
    else:
        for p in part.iter():
            if local(p.tag) == "p":
                text = _text(p)
                if text:
                    doc.blocks.append(Block("paragraph", text))
    if not doc.blocks:
        raise refuse("XML 中没有文字", "the XML holds no text")
    return doc


def _claims(part: ET.Element, doc: TextDocument, refuse: Callable[[str, str], Exception]) -> None:
    for i, claim in enumerate((c for c in part.iter() if local(c.tag) == "claim"), start=1):
        num = claim.get("num") or str(i)
        try:
            number = int(num.strip().lstrip("0") or "0")
        except ValueError:
            raise refuse(
                f'第 {i} 项权利要求的编号 num="{num}" 不是数字',
                f'claim {i} has a non-numeric num="{num}"',
            ) from None
        text = _text(claim)
        # Some tools repeat the number in the text («1. 一种…»): keep it once.
        text = re.sub(rf"^\s*0*{number}\s*[.、．]\s*", "", text)
        doc.blocks.append(Block("claim", text, number))
        _objects(claim, doc)


def _description(part: ET.Element, doc: TextDocument) -> None:
    def walk(el: ET.Element, section: str | None) -> None:
        for child in el:
            name = local(child.tag)
            if name == "invention-title":
                doc.title = _text(child) or doc.title
            elif name in SECTION_ELEMENTS:
                key = SECTION_ELEMENTS[name]
                heading = next((c for c in child if local(c.tag) == "heading"), None)
                label = _text(heading) if heading is not None else _section_label(key)
                doc.blocks.append(Block("heading", label, section=key))
                walk(child, key)
            elif name == "heading":
                # Inside a section element its heading was added with the section.
                if section is None:
                    text = _text(child)
                    doc.blocks.append(Block("heading", text, section=section_key(text)))
            elif name == "p":
                text = strip_paragraph_number(_text(child))
                if text:
                    doc.blocks.append(Block("paragraph", text, section=section))
                _objects(child, doc)
            elif name in ("tables", "maths", "chemistry"):
                _objects(child, doc)
            else:
                walk(child, section)

    walk(part, None)
    doc.number_paragraphs()
    doc.assign_sections()


def _section_label(key: str) -> str:
    from patentdesk.packages.textparts import SECTION_LABELS

    return SECTION_LABELS[key]
