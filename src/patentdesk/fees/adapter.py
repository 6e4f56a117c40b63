"""Reads the fee-relevant facts of a case package (案卷包) into a :class:`FeeInput`.

The package reader is built in parallel (``patentdesk.packages``); until the two are
aligned this module reads the ZIP directly and defensively. Fields read (docs/fees.md):

``forms/request.json``
    ``business_type`` (or ``type``, else the manifest's ``business_type``); ``patent_type``,
    else ``entry_kind`` (PCT national phase), else the type digit of ``application_number``
    (1/8 invention, 2/9 utility, 3 design); ``claims_count`` or
    ``claims`` (a number or a list), else the claims attachment is counted; ``priorities``
    (a list, or a number); ``applicants`` (a list; ``fee_reduction`` truthy on an applicant
    means it qualifies for 费用减缴); ``fee_reduction`` (the request form's own flag: reduction
    requested, and every applicant declared qualifying unless applicants carry flags);
    ``fee_reduction_requested`` (default: that flag, else some applicant qualifies); ``annual_fee_year``, ``granted_in_year``, ``extension_months``,
    ``international_search_by`` (or ``isa``), ``efiling_format``, ``request_examination``
    (default: whether the package holds the related ``forms/substantive_examination.json``),
    ``sheets`` / ``request_sheets`` (PCT), ``changes`` (a list of ``{"item": ...}`` or
    strings), ``fees`` / ``requested_items`` (a list of ``{"code", "count"}`` or codes).
attachments
    roles from ``manifest.json`` (``{"files": [{"path", "role", "pages"}]}``), else from the
    path (``attachments/<role>/…``, ``<role>.pdf``, or a form code such as ``100002``);
    page counts from the manifest, else counted (PDF pages; text rendered as the client
    renders it; an image is one page). A text attachment stored next to the PDF the client
    rendered from it (``claims.txt`` and ``claims.pdf``) is counted once, as the PDF.

The excess-pages fee counts the description including drawings (说明书含附图); a PCT
application's sheets count description, claims, abstract and drawings (+ request sheets).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from patentdesk.fees.errors import FeeInputInvalid, PackageUnreadable
from patentdesk.fees.schemas import FeeInput

if TYPE_CHECKING:
    from patentdesk.packages import Package

REQUEST_PATHS = ("forms/request.json", "request.json")
EXAMINATION_FORM = "forms/substantive_examination.json"
MANIFEST_PATHS = ("manifest.json", "META-INF/manifest.json")
FORM_CODE_ROLES = {
    "100001": "claims",
    "100002": "description",
    "100003": "drawings",
    "100004": "abstract",
    "100005": "abstract_drawing",
}
ROLES = {"claims", "description", "drawings", "abstract", "abstract_drawing"}
PAGE_ROLES = ("description", "drawings")  # 说明书（含附图）
PCT_SHEET_ROLES = ("description", "claims", "abstract", "drawings")
TYPE_DIGITS = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp"}


def _unreadable(path: Path, zh: str, en: str) -> PackageUnreadable:
    return PackageUnreadable(path=str(path), reason_zh=zh, reason_en=en)


def _role_of(name: str) -> str | None:
    pure = PurePosixPath(name)
    for part in (*pure.parent.parts, pure.stem):
        key = part.lower()
        if key in ROLES:
            return key
        if key in FORM_CODE_ROLES:
            return FORM_CODE_ROLES[key]
    return None


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _text_pages(text: str) -> int:
    from patentdesk import pdf

    try:
        return _pdf_pages(pdf.render_text(text))
    except pdf.FontMissing:
        # Without the font, estimate as the renderer lays out A4: ~40 lines of ~38 characters.
        lines = sum(max(1, -(-len(line) // 38)) for line in text.splitlines() or [""])
        return max(1, -(-lines // 40))


def _count_pages(name: str, data: bytes) -> int:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return 1
    if data.startswith(b"%PDF"):
        return _pdf_pages(data)
    return _text_pages(data.decode("utf-8", errors="replace"))


def _text_of(name: str, data: bytes) -> str:
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader

        return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8", errors="replace")


def _count_claims(text: str) -> int:
    """The real number of claims, as the validation rules read them (a claim numbered out of
    sequence still counts: the office charges for every claim filed)."""
    from patentdesk.packages.claims import analyse

    return analyse(text).count


def _manifest(archive: zipfile.ZipFile) -> Any:
    for path in MANIFEST_PATHS:
        if path in archive.namelist():
            try:
                return json.loads(archive.read(path))
            except (ValueError, UnicodeDecodeError):
                return None
    return None


def _manifest_entries(archive: zipfile.ZipFile) -> list[dict[str, Any]]:
    data = _manifest(archive)
    files = data.get("files", data) if isinstance(data, dict) else data
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []


def _renditions(found: list[tuple[str, str, int | None]]) -> list[tuple[str, str, int | None]]:
    """Drops a text attachment whose PDF rendition sits next to it (same role and stem): the
    client stores both, and the PDF is what the office counts."""
    pdfs = {
        (role, str(PurePosixPath(name).with_suffix("")))
        for name, role, _ in found
        if name.lower().endswith(".pdf")
    }
    return [
        (name, role, pages)
        for name, role, pages in found
        if not (
            PurePosixPath(name).suffix.lower() == ".txt"
            and (role, str(PurePosixPath(name).with_suffix(""))) in pdfs
        )
        # A Word or XML source and its structure (.json) are kept beside what the office
        # reads; an ST.26 sequence listing in XML has no pages to count.
        and PurePosixPath(name).suffix.lower() not in (".docx", ".json", ".xml")
    ]


def _attachments(archive: zipfile.ZipFile) -> list[tuple[str, str, int | None]]:
    """(zip member, role, pages if the manifest says) for each recognised attachment."""
    result: list[tuple[str, str, int | None]] = []
    listed: set[str] = set()
    names = set(archive.namelist())
    for entry in _manifest_entries(archive):
        member = entry.get("path") or entry.get("name")
        role = entry.get("role")
        if not isinstance(member, str) or member not in names:
            continue
        role = role if isinstance(role, str) else _role_of(member)
        if role in ROLES:
            pages = entry.get("pages")
            result.append((member, role, pages if isinstance(pages, int) else None))
            listed.add(member)
    for member in sorted(names - listed):
        if member.startswith(("forms/", "META-INF/")) or member.endswith("/"):
            continue
        role = _role_of(member)
        if role is not None:
            result.append((member, role, None))
    return _renditions(result)


def _int(value: Any, field: str, path: Path) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _unreadable(path, f"字段 {field} 不是数字", f"field {field} is not a number")
    try:
        return int(value)
    except ValueError:
        raise _unreadable(
            path, f"字段 {field} 不是数字", f"field {field} is not a number"
        ) from None


def _requested(request: dict[str, Any]) -> list[dict[str, Any]]:
    raw = request.get("requested_items", request.get("fees")) or []
    items = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, str):
            items.append({"code": entry})
        elif isinstance(entry, dict) and "code" in entry:
            items.append({"code": entry["code"], "count": entry.get("count", 1)})
    return items


def _qualifies(applicant: Any) -> bool:
    flag = applicant.get("fee_reduction") if isinstance(applicant, dict) else None
    if isinstance(flag, dict):
        return bool(flag.get("qualifies", flag.get("eligible", True)))
    return bool(flag)


def fee_input_from_package(path: Path) -> FeeInput:
    """The :class:`FeeInput` of the case package at ``path`` (a ZIP)."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        raise _unreadable(
            path, "不是可读的 ZIP 案卷包", "not a readable ZIP case package"
        ) from None
    with archive:
        member = next((p for p in REQUEST_PATHS if p in archive.namelist()), None)
        if member is None:
            raise _unreadable(path, "缺少 forms/request.json", "forms/request.json is missing")
        try:
            request = json.loads(archive.read(member))
        except (ValueError, UnicodeDecodeError):
            raise _unreadable(
                path, "forms/request.json 不是 JSON", "forms/request.json is not JSON"
            ) from None
        if not isinstance(request, dict):
            raise _unreadable(path, "forms/request.json 不是对象", "request.json is not an object")
        manifest = _manifest(archive)
        if not (request.get("business_type") or request.get("type")) and isinstance(manifest, dict):
            # The package format keeps the business type in the manifest, not in the form.
            request = {**request, "business_type": manifest.get("business_type")}
        if "request_examination" not in request:
            # Substantive examination is requested by its own form (实质审查请求书 110401),
            # filed with the application as a related business, or later: its fee is due
            # only then (a notice charging it otherwise asks for money not owed).
            request = {**request, "request_examination": EXAMINATION_FORM in archive.namelist()}
        pages_by_role: dict[str, int] = {}
        claims_text = ""
        try:
            for name, role, listed_pages in _attachments(archive):
                data = archive.read(name)
                pages = listed_pages if listed_pages is not None else _count_pages(name, data)
                pages_by_role[role] = pages_by_role.get(role, 0) + pages
                if role == "claims":
                    claims_text += _text_of(name, data) + "\n"
        except Exception as exc:  # a damaged attachment must not surface as a traceback
            raise _unreadable(
                path,
                f"附件无法读取（{type(exc).__name__}）",
                f"an attachment is unreadable ({exc})",
            ) from None
    return _build(request, pages_by_role, claims_text, path)


def fee_input_from_verified(package: Package) -> FeeInput:
    """The :class:`FeeInput` of a package the submission has already read and verified: no
    second pass over the archive, images are not read at all, PDFs are parsed in place and
    only text attachments (small by nature) are read whole — a 200 MB package is never in
    memory."""
    request = dict(package.form)
    if not (request.get("business_type") or request.get("type")):
        request["business_type"] = package.business_type
    if "request_examination" not in request:  # as fee_input_from_package decides it
        request["request_examination"] = EXAMINATION_FORM in {f.path for f in package.files}
    found: list[tuple[str, str, int | None]] = [
        (f.path, f.role, None) for f in package.files if f.role in ROLES
    ]
    # A claims PDF rendered from a text source kept next to it: the source is its text,
    # read as is rather than extracted from the PDF again.
    text_sources = {
        PurePosixPath(name).with_suffix(""): name
        for name, role, _ in found
        if role == "claims" and PurePosixPath(name).suffix.lower() == ".txt"
    }
    pages_by_role: dict[str, int] = {}
    claims: list[str] = []
    source = package.source or Path(package.package_id)
    try:
        for name, role, _ in _renditions(found):
            if PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES:
                pages, text = 1, ""
            else:
                pages, text = _pages_and_text(package, name, want_text=role == "claims")
            if role == "claims":
                kept = text_sources.get(PurePosixPath(name).with_suffix(""))
                if kept is not None and kept != name:
                    with package.open(kept) as stream:
                        text = stream.read().decode("utf-8", errors="replace")
                claims.append(text)
            pages_by_role[role] = pages_by_role.get(role, 0) + pages
    except Exception as exc:  # a damaged attachment must not surface as a traceback
        raise _unreadable(
            source,
            f"附件无法读取（{type(exc).__name__}）",
            f"an attachment is unreadable ({exc})",
        ) from None
    return _build(request, pages_by_role, "".join(t + "\n" for t in claims), source)


def _pages_and_text(package: Package, name: str, *, want_text: bool) -> tuple[int, str]:
    """Pages of a PDF (parsed in place) or of a text file, and its text when asked."""
    text_wanted = want_text and not _has_text_source(package, name)
    counted = package.page_counts.get(name)
    if counted is not None and not text_wanted and name.lower().endswith(".pdf"):
        return counted, ""  # the rules parsed it already
    with package.open_seekable(name) as stream:
        is_pdf = stream.read(4) == b"%PDF"
        stream.seek(0)
        if not is_pdf:
            text = stream.read().decode("utf-8", errors="replace")
            return _text_pages(text), text
        from pypdf import PdfReader

        reader = PdfReader(stream)
        pages = len(reader.pages)
        # A claims PDF with a text source next to it is not extracted (see the caller).
        if not text_wanted:
            return pages, ""
        return pages, "\n".join(p.extract_text() or "" for p in reader.pages)


def _has_text_source(package: Package, name: str) -> bool:
    stem = PurePosixPath(name).with_suffix("")
    return any(
        f.path != name
        and PurePosixPath(f.path).with_suffix("") == stem
        and PurePosixPath(f.path).suffix.lower() == ".txt"
        for f in package.files
    )


def _build(
    request: dict[str, Any], pages_by_role: dict[str, int], claims_text: str, path: Path
) -> FeeInput:
    business = request.get("business_type") or request.get("type")
    fields: dict[str, Any] = {
        "business_type": business.replace("_", "-") if isinstance(business, str) else business
    }
    patent_type = request.get("patent_type")
    if not patent_type and fields["business_type"] == "pct-national":
        patent_type = request.get("entry_kind")
    number = str(request.get("application_number") or "")
    digits = re.sub(r"\D", "", number.split(".")[0])
    if not patent_type and len(digits) in (8, 12):
        patent_type = TYPE_DIGITS.get(digits[2] if len(digits) == 8 else digits[4])
    if patent_type:
        fields["patent_type"] = patent_type
    if "claims_count" in request:
        fields["claims"] = _int(request["claims_count"], "claims_count", path)
    elif isinstance(request.get("claims"), int | list):
        fields["claims"] = _int(request["claims"], "claims", path)
    elif claims_text:
        fields["claims"] = _count_claims(claims_text)
    fields["pages"] = sum(pages_by_role.get(r, 0) for r in PAGE_ROLES)
    if "sheets" in request:
        fields["sheets"] = _int(request["sheets"], "sheets", path)
    else:
        extra = _int(request.get("request_sheets", 0), "request_sheets", path)
        fields["sheets"] = sum(pages_by_role.get(r, 0) for r in PCT_SHEET_ROLES) + extra
    priorities = request.get("priorities", request.get("priority_claims"))
    if priorities is not None:
        fields["priority_claims"] = _int(priorities, "priorities", path)
    declared = request.get("fee_reduction")
    declared = declared if isinstance(declared, bool) else None
    applicants = request.get("applicants")
    if isinstance(applicants, list) and applicants:
        fields["applicants"] = len(applicants)
        flagged = any(isinstance(a, dict) and "fee_reduction" in a for a in applicants)
        # The request form's own 费减 flag declares every applicant qualifying (the office's
        # 费减备案 decides); flags on the applicants, where given, say it one by one.
        fields["qualifying_applicants"] = (
            sum(_qualifies(a) for a in applicants)
            if flagged
            else (len(applicants) if declared else 0)
        )
    requested = request.get("fee_reduction_requested", declared)
    fields["reduction_requested"] = (
        bool(requested) if requested is not None else bool(fields.get("qualifying_applicants"))
    )
    for key in ("annual_fee_year", "granted_in_year", "extension_months"):
        if request.get(key) is not None:
            fields[key] = _int(request[key], key, path)
    isa = request.get("international_search_by", request.get("isa"))
    if isa:
        fields["international_search_by"] = str(isa)
    if request.get("efiling_format"):
        fields["efiling_format"] = str(request["efiling_format"]).lower()
    if "request_examination" in request:
        fields["request_examination"] = bool(request["request_examination"])
    changes = request.get("changes")
    if isinstance(changes, list):
        fields["changes"] = [
            c.get("item") if isinstance(c, dict) else c
            for c in changes
            if isinstance(c, str) or (isinstance(c, dict) and isinstance(c.get("item"), str))
        ]
    fields["requested_items"] = _requested(request)
    try:
        return FeeInput.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise FeeInputInvalid(problems=f"{path}: {problems}") from None
