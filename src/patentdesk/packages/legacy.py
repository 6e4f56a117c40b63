"""Import of legacy CPC e-filing packages (``list.xml``) that agencies' tools still produce.

Such a package is a ZIP with a ``list.xml`` description (root ``data-bus``: a package header
``BAOTOUXX`` with the case id ``DIANZISQAJID``, business type ``YEWULX``, title ``FAMINGMC``,
application number ``SHENQINGH``, internal number ``NEIBUBH``; one entry per file with its form
code ``BIAOGEDM``, relative path ``XIANGDUILJ`` like ``100001\\100001.xml``, format ``GESHILX``,
page count ``PAGES`` and name ``WENJIANMC``) and one folder per form code holding the form as
XML (ST.36-like ``cn-application-body``) or PDF, with its images beside it.

The importer applies the same hostile-archive checks as the package reader, then builds a
case package: form codes map to attachment roles, XML text is rendered to PDF (the text is
kept for the rules), images are kept, and related-business forms (实质审查请求书 …) become
related forms that can be deleted before re-signing (seed C9).
"""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from patentdesk.packages import errors as e
from patentdesk.packages.attachments import (
    decode_text,
    render_text_attachment,
    safe_filename,
    sniff,
    with_extension,
)
from patentdesk.packages.cnipa_xml import find_part, from_element, parse_xml
from patentdesk.packages.container import NewFile, form_bytes, write_package
from patentdesk.packages.registry import (
    BUSINESS_TYPES,
    MAIN_FORM,
    PDF,
    RELATED,
    ROLES,
    TEXT,
    XML,
    related_form_path,
)
from patentdesk.packages.textin import XML_TEXT_ROLES, files_for
from patentdesk.packages.zipsafe import DEFAULT_LIMITS, Limits, check_entries, open_checked
from patentdesk.timeutil import iso, now

LEGACY_NAMESPACE = uuid.UUID("6f1f3f52-6a43-4c1e-9d0b-2d3c6b1f6a10")
REQUEST_CODES = {"110101": "invention", "120101": "utility", "130101": "design"}
ROLE_CODES = {r.form_code: r.name for r in ROLES.values() if r.form_code}
RELATED_CODES = {r.form_code: r.kind for r in RELATED.values() if r.form_code}
XML_TEXT_TAGS = ("claim", "p", "heading", "invention-title")


@dataclass
class LegacyImport:
    business_type: str
    package_id: str
    files: list[NewFile]
    form: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].upper()


def _find_text(root: ET.Element, name: str) -> str | None:
    for el in root.iter():
        if _local(el.tag) == name and el.text and el.text.strip():
            return el.text.strip()
    return None


def _parse_xml(data: bytes, what: str) -> ET.Element:
    # Expat reads no multi-byte code pages, and Windows tools write GBK: the shared parser
    # decodes first, then defusedxml refuses DTDs and entities (XML bombs, external entities).
    return parse_xml(data, what, _refuse)


def _refuse(zh: str, en: str) -> e.PackageError:
    return e.LegacyPackageInvalid.bilingual({"reason": zh}, {"reason": en})


def find_list_xml(zf: zipfile.ZipFile) -> str | None:
    """The path of ``list.xml`` at the root or inside one top folder, if any."""
    candidates = [
        i.filename
        for i in zf.infolist()
        if i.filename.rsplit("/", 1)[-1].lower() == "list.xml" and i.filename.count("/") <= 1
    ]
    return min(candidates, key=len) if candidates else None


def is_legacy(path: str | os.PathLike[str]) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = {i.filename for i in zf.infolist()}
            return "mimetype" not in names and find_list_xml(zf) is not None
    except (OSError, zipfile.BadZipFile, ValueError, UnicodeDecodeError):
        return False


def _xml_text(root: ET.Element) -> str:
    """Readable text of a ``cn-application-body`` form; claims keep their numbers."""
    lines: list[str] = []
    in_claims = {
        id(inner) for claim in root.iter() if _local(claim.tag) == "CLAIM" for inner in claim.iter()
    }
    for el in root.iter():
        tag = _local(el.tag).lower()
        if tag == "claim":
            text = " ".join(t.strip() for t in el.itertext() if t.strip())
            lines.append(f"{el.get('num', len(lines) + 1)}. {text}")
        elif tag in ("p", "heading", "invention-title") and id(el) not in in_claims:
            text = "".join(el.itertext()).strip()
            if text:
                lines.append(text)
    if not lines:
        lines = [t.strip() for t in root.itertext() if t.strip()]
    return "\n".join(lines)


def read_legacy(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> LegacyImport:
    """Reads a legacy package into the files and form of a case package (not yet written)."""
    with open(path, "rb") as fp:
        size = os.fstat(fp.fileno()).st_size
        zf = open_checked(fp, size, limits)
        infos = {i.filename.lower(): i for i in check_entries(zf, limits)}
        list_name = find_list_xml(zf)
        if list_name is None:
            raise e.LegacyPackageInvalid(reason="缺少 list.xml / no list.xml")
        base = list_name.rsplit("/", 1)[0] + "/" if "/" in list_name else ""
        list_info = infos[list_name.lower()]
        root = _parse_xml(_read(zf, list_info, limits.max_form_size), "list.xml")
        return _convert(zf, infos, base, root, limits)


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise e.EntryTooLarge(entry=info.filename, size=info.file_size, limit=limit)
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise e.CorruptArchive(entry=info.filename, reason=str(exc)) from exc


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """A listed file: PDFs and images up to the entry limit; anything else is XML or text,
    parsed or rendered in memory, so it is held to the form size."""
    if info.file_size > limits.max_form_size:
        try:
            with zf.open(info) as fh:
                head = fh.read(16)
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise e.CorruptArchive(entry=info.filename, reason=str(exc)) from exc
        if sniff(head) is None:
            raise e.EntryTooLarge(
                entry=info.filename, size=info.file_size, limit=limits.max_form_size
            )
    return _read(zf, info, limits.max_entry_size)


def _entries(root: ET.Element) -> list[dict[str, str]]:
    items = []
    for el in root.iter():
        children = {_local(c.tag): (c.text or "").strip() for c in el}
        if children.get("BIAOGEDM") and children.get("XIANGDUILJ"):
            items.append(children)
    return items


def _business_type(codes: list[str], application_number: str | None) -> str:
    for code in codes:
        if code in REQUEST_CODES:
            return REQUEST_CODES[code]
    if application_number:
        return "response"
    raise e.LegacyPackageInvalid(
        reason="无法判断业务类型：没有请求书也没有申请号 / cannot tell the business type: "
        "no request form and no application number"
    )


def _convert(
    zf: zipfile.ZipFile,
    infos: dict[str, zipfile.ZipInfo],
    base: str,
    root: ET.Element,
    limits: Limits,
) -> LegacyImport:
    if _local(root.tag) != "DATA-BUS":
        raise e.LegacyPackageInvalid(reason=f"list.xml 根元素为 {root.tag}，应为 data-bus")
    entries = _entries(root)
    if not entries:
        raise e.LegacyPackageInvalid(reason="list.xml 没有列出文件 / list.xml lists no file")
    case_id = _find_text(root, "DIANZISQAJID")
    application_number = _find_text(root, "SHENQINGH")
    business = BUSINESS_TYPES[_business_type([x["BIAOGEDM"] for x in entries], application_number)]
    try:
        package_id = str(uuid.UUID(case_id or ""))
    except ValueError:
        package_id = str(uuid.uuid5(LEGACY_NAMESPACE, case_id or str(uuid.uuid4())))
    form = business.model().model_dump(mode="json", exclude_none=True)
    for key, tag in (
        ("title", "FAMINGMC"),
        ("internal_number", "NEIBUBH"),
        ("application_number", "SHENQINGH"),
    ):
        value = _find_text(root, tag)
        if value and key in business.model.model_fields:
            form[key] = value
    result = LegacyImport(business.name, package_id, [], form)
    used: set[str] = set()
    for item in entries:
        _convert_entry(zf, infos, base, item, business.name, result, used, limits)
    return result


def _convert_entry(
    zf: zipfile.ZipFile,
    infos: dict[str, zipfile.ZipInfo],
    base: str,
    item: dict[str, str],
    business_type: str,
    result: LegacyImport,
    used: set[str],
    limits: Limits,
) -> None:
    code = item["BIAOGEDM"]
    rel = item["XIANGDUILJ"].replace("\\", "/").lstrip("/")
    info = infos.get((base + rel).lower())
    if info is None:
        raise e.LegacyPackageInvalid(
            reason=f"list.xml 列出的文件不存在 / listed file is missing: {rel}"
        )
    data = _read_entry(zf, info, limits)
    name = PurePosixPath(rel).name
    business = BUSINESS_TYPES[business_type]
    if code in RELATED_CODES:
        kind = RELATED_CODES[code]
        if kind in business.related:
            path = related_form_path(kind)
            result.files.append(
                NewFile(path, "related", "application/json", data=form_bytes({"kind": kind}))
            )
            return
    # A request form's data goes into forms/request.json; its text is kept as "other".
    role = "other" if code in REQUEST_CODES else ROLE_CODES.get(code, "other")
    if role not in business.roles:
        role = "other"
    media = sniff(data[:16])
    spec = ROLES[role]
    if media is not None:
        if media not in spec.media_types:
            role, spec = "other", ROLES["other"]
        _add(result, used, role, with_extension(safe_filename(name), media), media, data)
        return
    if name.lower().endswith(".xml"):
        root = _parse_xml(data, rel)
        images = _images_beside(infos, base, rel)
        if role in ("drawings", "abstract_drawing", "design_views") and images:
            for image in images:
                img = _read(zf, image, limits.max_entry_size)
                image_type = sniff(img[:16])
                if image_type is not None:
                    _add(
                        result,
                        used,
                        role,
                        safe_filename(PurePosixPath(image.filename).name),
                        image_type,
                        img,
                    )
            return
        if role in XML_TEXT_ROLES and find_part(root, role) is not None:
            # Claims, description and abstract become the same structured parts as an XML
            # or Word document added by hand: rendering, text, structure and the XML kept.
            doc = from_element(root, role, _refuse)
            stem = PurePosixPath(safe_filename(name)).stem
            for f in files_for(doc, role, stem, f"{stem}.xml", XML, data, len(data)):
                _add(result, used, role, f.path.rsplit("/", 1)[1], f.media_type, f.data or b"")
            return
        text = _xml_text(root)
    else:
        decoded = decode_text(data)
        if decoded is None:
            result.notes.append(f"skipped {rel}: not PDF, image, XML or text")
            return
        text = decoded
    pdf_name = f"{code}.pdf" if code in REQUEST_CODES else with_extension(safe_filename(name), PDF)
    _add(result, used, role, pdf_name, PDF, render_text_attachment(text, spec.zh))
    if spec.text_source and code not in REQUEST_CODES:
        txt = str(PurePosixPath(pdf_name).with_suffix(".txt"))
        _add(result, used, role, txt, TEXT, text.encode("utf-8"))


def _images_beside(infos: dict[str, zipfile.ZipInfo], base: str, rel: str) -> list[zipfile.ZipInfo]:
    folder = (base + rel).rsplit("/", 1)[0].lower() + "/"
    found = [
        info
        for key, info in infos.items()
        if key.startswith(folder)
        and "/" not in key[len(folder) :]
        and key.rsplit(".", 1)[-1] in ("jpg", "jpeg", "tif", "tiff", "png")
    ]
    return sorted(found, key=lambda i: i.filename)


def _add(
    result: LegacyImport, used: set[str], role: str, name: str, media: str, data: bytes
) -> None:
    path = f"attachments/{role}/{name}"
    if path in used:
        stem, _, ext = name.rpartition(".")
        n = 2
        while f"attachments/{role}/{stem}-{n}.{ext}" in used:
            n += 1
        path = f"attachments/{role}/{stem}-{n}.{ext}"
    used.add(path)
    result.files.append(NewFile(path, role, media, data=data))


def import_legacy(
    source: str | os.PathLike[str], out: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS
) -> LegacyImport:
    """Converts a legacy package at ``source`` into a case package written to ``out``."""
    converted = read_legacy(source, limits)
    write_package(
        Path(out),
        package_id=converted.package_id,
        business_type=converted.business_type,
        created_at=iso(now().replace(microsecond=0)) or "",
        files=[
            NewFile(MAIN_FORM, "form", "application/json", data=form_bytes(converted.form)),
            *converted.files,
        ],
    )
    return converted
