"""Editing case packages: new, set fields, add and remove attachments and related business,
export. Used by the offline client and the web portal alike.

Every edit verifies the package first and rewrites it atomically. An edit changes the
manifest, so the signatures of a signed package no longer cover it: they are dropped and the
result says how many (sign again before submitting).

Who edits matters (seed C1, C3, C8): without a login the client acts as a natural person and
can build a complete package, but the agency section (``agency.*``) can be filled only by an
agency handler or sub-account.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from patentdesk.packages import errors as e
from patentdesk.packages.attachments import (
    MAX_TEXT_ATTACHMENT,
    decode_text,
    render_text_attachment,
    safe_filename,
    sniff,
    with_extension,
)
from patentdesk.packages.container import (
    NewFile,
    Package,
    Progress,
    copy_files,
    form_bytes,
    read_package,
    write_package,
)
from patentdesk.packages.fields import Assignment, apply
from patentdesk.packages.registry import (
    MAIN_FORM,
    PDF,
    RELATED,
    ROLES,
    TEXT,
    get_business_type,
    related_form_path,
)
from patentdesk.packages.textin import convert
from patentdesk.packages.textparts import SOURCE_SUFFIXES
from patentdesk.timeutil import iso, now

JSON = "application/json"
FORM_ROLE = "form"
RELATED_ROLE = "related"


@dataclass(frozen=True)
class Editor:
    """Who edits: from the client's session (None: not logged in, a natural person)."""

    role: str = "natural"
    org_kind: str | None = None
    user_id: str | None = None
    name: str | None = None

    @classmethod
    def from_session(cls, session: dict[str, Any] | None) -> Editor:
        if not session:
            return cls()
        name = (
            session.get("name")
            or session.get("user_name")
            or session.get("account_name")
            or session.get("org_name")
            or session.get("domain_name")
        )
        return cls(
            role=str(session.get("role") or "natural"),
            org_kind=session.get("org_kind"),
            user_id=session.get("account_id") or session.get("user_id"),
            name=name,
        )

    @property
    def logged_in(self) -> bool:
        return self.user_id is not None

    @property
    def can_edit_agency(self) -> bool:
        return self.role in ("handler", "sub") and self.org_kind == "agency"

    def label(self, lang: str = "zh") -> str:
        if not self.logged_in:
            return "未登录，按自然人处理" if lang == "zh" else "not logged in, a natural person"
        return self.role + (f"/{self.org_kind}" if self.org_kind else "")


@dataclass
class EditResult:
    path: Path
    signatures_dropped: int = 0
    entries: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": str(self.path)}
        if self.entries:
            body["entries"] = self.entries
        if self.signatures_dropped:
            body["signatures_dropped"] = self.signatures_dropped
        return body


def _staging(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent)
    os.close(fd)
    return Path(name)


def _rewrite(
    package: Package,
    target: Path,
    *,
    files: Iterable[NewFile] = (),
    remove: Iterable[str] = (),
    keep_signatures: bool = False,
    progress: Progress | None = None,
) -> int:
    """Writes ``package`` with changes to ``target``; returns how many signatures were dropped."""
    new = list(files)
    exclude = set(remove) | {f.path for f in new}
    staging = _staging(target)
    try:
        write_package(
            staging,
            package_id=package.package_id,
            business_type=package.business_type,
            created_at=package.manifest.created_at,
            files=[*copy_files(package, exclude), *new],
            signatures=[s.der for s in package.signatures] if keep_signatures else (),
            progress=progress,
        )
        package.close()  # so that the rename also works where open files cannot be replaced
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return 0 if keep_signatures else len(package.signatures)


def _check_output(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise e.OutputExists(path=str(out))
    if not out.parent.exists():
        raise e.PackageError(
            f"目录不存在：{out.parent}", f"The folder does not exist: {out.parent}"
        )


def new_package(
    business_type: str,
    out: str | os.PathLike[str],
    editor: Editor | None = None,
    *,
    force: bool = False,
) -> EditResult:
    """Creates an empty package of ``business_type`` (ic-layout is refused, seed C5)."""
    editor = editor or Editor()
    business = get_business_type(business_type)
    out = Path(out)
    _check_output(out, force)
    form = business.model().model_dump(mode="json", exclude_none=True)
    if business.name == "change" and editor.logged_in:
        # Seed C4: the e-filing user after the change starts as the current login, editable.
        form["efiling_user_after"] = {
            k: v for k, v in (("user_id", editor.user_id), ("name", editor.name)) if v
        }
    write_package(
        out,
        package_id=uuid.uuid4(),
        business_type=business.name,
        created_at=iso(now().replace(microsecond=0)) or "",
        files=[NewFile(MAIN_FORM, FORM_ROLE, JSON, data=form_bytes(form))],
    )
    return EditResult(out)


def check_agency_permission(path: str, editor: Editor) -> None:
    if path.split(".")[0] == "agency" and not editor.can_edit_agency:
        raise e.AgencyLoginRequired.bilingual(
            {"field": path, "role": editor.label("zh")}, {"field": path, "role": editor.label("en")}
        )


def set_fields(
    path: str | os.PathLike[str],
    assignments: Iterable[str | Assignment],
    editor: Editor | None = None,
) -> EditResult:
    """Sets form fields (``title=…``, ``applicants.0.uscc=…``); all or nothing."""
    editor = editor or Editor()
    path = Path(path)
    package = read_package(path)
    try:
        business = get_business_type(package.business_type)
        data = dict(package.form)
        for item in assignments:
            assignment = item if isinstance(item, Assignment) else Assignment.parse(item)
            check_agency_permission(assignment.path, editor)
            data = apply(business.model, data, assignment)
        files = [NewFile(MAIN_FORM, FORM_ROLE, JSON, data=form_bytes(data))]
        dropped = _rewrite(package, path, files=files)
    finally:
        package.close()
    return EditResult(path, dropped)


def add_attachment(
    path: str | os.PathLike[str],
    role: str,
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> EditResult:
    """Adds a PDF, PNG, JPEG or TIFF file, or UTF-8 text (rendered to PDF), under ``role``."""
    path = Path(path)
    package = read_package(path)
    try:
        business = get_business_type(package.business_type)
        if role not in business.roles:
            raise e.UnknownRole(
                business_type=business.name, role=role, choices=", ".join(business.roles)
            )
        spec = ROLES[role]
        if isinstance(source, bytes):
            name = safe_filename(filename or "attachment")
            head, size = source[:512], len(source)
        else:
            src = Path(source)
            name = safe_filename(filename or src.name)
            try:
                with open(src, "rb") as fh:
                    head = fh.read(512)
                size = src.stat().st_size
            except OSError as exc:
                raise e.AttachmentRejected(name=str(src), reason=exc.strerror or str(exc)) from exc
        media = sniff(head)
        files: list[NewFile]
        converted = None if media is not None else convert(name, role, source, size, head)
        if converted is not None:
            files = converted
        elif media is not None:
            if media not in spec.media_types:
                raise e.AttachmentRejected(
                    name=name,
                    reason=f"角色 {role} 只接受 / role {role} takes "
                    + ", ".join(sorted(spec.media_types)),
                )
            entry = f"attachments/{role}/{with_extension(name, media)}"
            if isinstance(source, bytes):
                files = [NewFile(entry, role, media, data=source)]
            else:
                files = [
                    NewFile(
                        entry,
                        role,
                        media,
                        opener=lambda p=Path(source): open(p, "rb"),  # type: ignore[misc]  # noqa: SIM115
                        size_hint=size,
                    )
                ]
        else:
            files = _text_files(name, role, source, size)
        for f in files:
            if package.manifest.file(f.path) is not None and not replace:
                raise e.EntryExists(name=f.path)
        # Replacing a converted document replaces all it made (a figure fewer is gone too).
        stale = _stale_parts(package, files) if replace else []
        dropped = _rewrite(package, path, files=files, remove=stale, progress=progress)
    finally:
        package.close()
    return EditResult(path, dropped, [f.path for f in files])


def _stale_parts(package: Package, files: list[NewFile]) -> list[str]:
    new = {f.path for f in files}
    stems = {_stem_of(f.path) for f in files}
    return [
        f.path for f in package.attachments() if f.path not in new and _stem_of(f.path) in stems
    ]


def _stem_of(path: str) -> str:
    """``attachments/drawings/fig`` for ``…/fig.pdf``, ``…/fig.json`` and ``…/fig-fig-2.png``."""
    stem = str(PurePosixPath(path).with_suffix(""))
    base, sep, number = stem.rpartition("-fig-")
    return base if sep and number.isdigit() else stem


def _text_files(
    name: str, role: str, source: str | os.PathLike[str] | bytes, size: int
) -> list[NewFile]:
    spec = ROLES[role]
    if size > MAX_TEXT_ATTACHMENT:
        raise e.AttachmentRejected(
            name=name, reason="不是 PDF/PNG/JPEG/TIFF 文件 / not a PDF, PNG, JPEG or TIFF file"
        )
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = decode_text(data)
    if text is None or PDF not in spec.media_types:
        raise e.AttachmentRejected(
            name=name,
            reason="只接受 PDF、PNG、JPEG、TIFF 或 UTF-8 纯文本 / only PDF, PNG, JPEG, TIFF or "
            "plain UTF-8 text is accepted",
        )
    pdf_name = with_extension(name, PDF)
    files = [
        NewFile(
            f"attachments/{role}/{pdf_name}", role, PDF, data=render_text_attachment(text, spec.zh)
        )
    ]
    if spec.text_source:
        # The source text is kept for the rules that read it (claim numbering, abstract length).
        txt = str(PurePosixPath(pdf_name).with_suffix(".txt"))
        files.append(NewFile(f"attachments/{role}/{txt}", role, TEXT, data=text.encode("utf-8")))
    return files


def add_related(path: str | os.PathLike[str], kind: str, note: str | None = None) -> EditResult:
    """Adds a related business (关联业务) form such as ``substantive_examination``."""
    path = Path(path)
    package = read_package(path)
    try:
        business = get_business_type(package.business_type)
        if kind not in business.related or kind not in RELATED:
            raise e.RelatedNotAllowed(
                business_type=business.name, kind=kind, choices=", ".join(business.related) or "-"
            )
        data = {"kind": kind, **({"note": note} if note else {})}
        entry = related_form_path(kind)
        dropped = _rewrite(
            package, path, files=[NewFile(entry, RELATED_ROLE, JSON, data=form_bytes(data))]
        )
    finally:
        package.close()
    return EditResult(path, dropped, [entry])


def resolve_entries(package: Package, name: str) -> list[str]:
    """What ``remove NAME`` means: an entry path, a related business, a file name or a role."""
    paths = [f.path for f in package.manifest.files]
    if name in paths:
        found = [name]
    elif related_form_path(name) in paths:
        found = [related_form_path(name)]
    else:
        found = [p for p in paths if p.startswith("attachments/") and p.rsplit("/", 1)[1] == name]
        if len(found) > 1:
            raise e.EntryNotFound(
                name=name, hint=f"：有多个同名文件，请写完整路径 / ambiguous: {', '.join(found)}"
            )
        if not found:
            found = [p for p in paths if p.startswith(f"attachments/{name}/")]
    if MAIN_FORM in found:
        raise e.EntryProtected(name=MAIN_FORM)
    if not found:
        choices = ", ".join(p for p in paths if p != MAIN_FORM) or "-"
        raise e.EntryNotFound(name=name, hint=f"（现有 / present: {choices}）")
    # A rendered PDF and its kept text source go together.
    twins = {
        str(PurePosixPath(p).with_suffix(s))
        for p in found
        if p.startswith("attachments/")
        for s in (".pdf", *SOURCE_SUFFIXES)
    }
    # A Word document's drawings go with it; one figure removed alone stays alone.
    sources = {str(PurePosixPath(p).with_suffix("")) for p in found if p.endswith(SOURCE_SUFFIXES)}
    figures = {p for p in paths if _stem_of(p) in sources and _stem_of(p) != p.rsplit(".", 1)[0]}
    return sorted(set(found) | (twins & set(paths)) | figures)


def remove_entry(path: str | os.PathLike[str], name: str) -> EditResult:
    """Removes attachments or a related business, e.g. a defective file of an imported case."""
    path = Path(path)
    package = read_package(path)
    try:
        removed = resolve_entries(package, name)
        dropped = _rewrite(package, path, remove=removed)
    finally:
        package.close()
    return EditResult(path, dropped, removed)


def export_package(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> EditResult:
    """Writes a verified copy; the manifest bytes, and so the signatures, stay valid."""
    out = Path(out)
    _check_output(out, force)
    package = read_package(path)
    try:
        staging = _staging(out)
        try:
            manifest = write_package(
                staging,
                package_id=package.package_id,
                business_type=package.business_type,
                created_at=package.manifest.created_at,
                files=copy_files(package),
                signatures=[s.der for s in package.signatures],
                progress=progress,
            )
            if manifest.to_bytes() != package.manifest_bytes:
                raise e.ManifestInvalid(reason="导出后清单不同 / manifest changed on export")
            package.close()
            os.replace(staging, out)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
    finally:
        package.close()
    return EditResult(out)


def describe(package: Package) -> dict[str, Any]:
    """A summary for ``package show`` and the web page."""
    business = get_business_type(package.business_type)
    return {
        "path": str(package.source) if package.source else None,
        "package_id": package.package_id,
        "business_type": business.name,
        "business_type_name": business.zh,
        "created_at": package.manifest.created_at,
        "form": package.form,
        "related": package.related,
        "files": [f.model_dump() for f in package.manifest.files],
        "signatures": [s.name for s in package.signatures],
    }
