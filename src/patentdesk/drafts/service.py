"""Changes to a draft, as the business collection page asks for them.

Each function reads the draft, checks what the page sent against what is really in the
package, and makes the change through :mod:`patentdesk.packages.editing` (atomic, verified).
The caller holds the owner's lock (:meth:`DraftStore.lock`) around the call, so two requests
of one user never interleave.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from patentdesk.drafts import formspec, view
from patentdesk.drafts.store import Draft, DraftStore, Owner, UploadMissing
from patentdesk.errors import Conflict, PatentDeskError, ValidationFailed
from patentdesk.packages import errors as pe
from patentdesk.packages.container import Package, read_package
from patentdesk.packages.editing import (
    Editor,
    add_attachment,
    add_related,
    remove_entry,
    set_fields,
)
from patentdesk.packages.fields import Assignment
from patentdesk.packages.registry import BusinessType, get_business_type, related_form_path


class DraftChanged(Conflict):
    code = "DRAFT_CHANGED"
    message_zh = (
        "草稿已被他人或其他页面修改，本次修改未保存：下方显示最新内容，"
        "您填写的内容列在表单上方，请核对后重新填写"
    )
    message_en = (
        "Someone (or another page) changed the draft; your changes were not saved. The "
        "latest version is shown below and what you entered is listed above the form: "
        "check it and enter it again"
    )


class AttachmentExists(pe.EntryExists):
    message_zh = "案卷包中已有同名文件 {name}；如需替换请勾选“替换同名文件”"
    message_en = (
        "The package already has a file named {name}; tick “replace a file of the same name”"
    )


class RelatedExists(pe.EntryExists):
    message_zh = "已有关联业务 {name}"
    message_en = "The related business {name} is already there"


_ACTION = re.compile(r"^(save|add|remove)(?::([a-z_]+(?:\.[a-z0-9_]+)*))?$")


def parse_action(action: str, business: BusinessType) -> tuple[str, str | None]:
    """``save``, ``add:GROUP`` or ``remove:GROUP.N`` for a repeated group of the form."""
    m = _ACTION.fullmatch(action)
    group = None
    if m and m.group(1) == "add":
        group = m.group(2)
    elif m and m.group(1) == "remove" and m.group(2):
        head, _, index = m.group(2).rpartition(".")
        group = head if index.isdigit() else None
    if m is None or (
        m.group(1) != "save" and not (group and formspec.is_repeat(business.model, group))
    ):
        raise ValidationFailed(f"无法识别的操作：{action[:80]}", f"Unknown action: {action[:80]}")
    return m.group(1), m.group(2)


def _last(values: formspec.Submitted, key: str) -> str:
    found = values.get(key) or [""]
    return found[-1].strip()


def save_form(draft: Draft, editor: Editor, values: formspec.Submitted) -> str | None:
    """Saves the fields that changed, all or nothing; ``action`` may also remove a repeated
    entry or ask for a new one. Returns the group that gets a new, empty entry on the page.

    ``rev`` (the form's hash when the page was made) must still be current: indexes of
    repeated entries mean nothing once another page has changed them."""
    with read_package(draft.path) as package:
        business = get_business_type(package.business_type)
        data = view.normalized(business, package.form)
        rev = view.rev(package)
    if _last(values, "rev") != rev:
        raise DraftChanged()
    kind, target = parse_action(_last(values, "action") or "save", business)
    submitted = values
    removal: list[Assignment] = []
    if kind == "remove" and target:
        if formspec.entry_exists(data, target):
            removal = [Assignment(target, None)]
        else:  # an entry added on the page and never saved: just forget what it held
            submitted = {k: v for k, v in values.items() if not k.startswith(f"{target}.")}
    assignments = formspec.changes(business.model, data, submitted) + removal
    if assignments:
        set_fields(draft.path, assignments, editor)
    return target if kind == "add" else None


def unsaved_values(draft: Draft, values: formspec.Submitted, lang: str) -> list[dict[str, str]]:
    """What a refused (stale) save would have changed, compared with the draft as it is now:
    shown beside the latest version so that nobody's typing is lost."""
    from patentdesk.drafts.labels import field_label

    with read_package(draft.path) as package:
        business = get_business_type(package.business_type)
        data = view.normalized(business, package.form)
    fields = {k: v for k, v in values.items() if k not in ("csrf", "rev", "action")}
    try:
        found = formspec.changes(business.model, data, fields)
    except PatentDeskError:  # a malformed value is still worth showing as typed
        found = [Assignment(k, v[-1]) for k, v in fields.items() if v and v[-1].strip()]
    return [
        {
            "path": a.path,
            "label": field_label(business.model, a.path, lang),
            "value": a.value if a.value is not None else "—",
        }
        for a in found
    ]


def upload_attachment(
    store: DraftStore,
    owner: Owner,
    draft: Draft,
    role: str,
    stream: BinaryIO | None,
    filename: str | None,
    *,
    replace: bool = False,
) -> None:
    """Adds an uploaded PDF, PNG, JPEG or TIFF file, or UTF-8 text (rendered to PDF)."""
    if stream is None or not filename:
        raise UploadMissing()
    with store.upload(owner, stream, filename) as path:
        _attach(draft, role, path, replace)


def attach_resumable(
    store: DraftStore,
    owner: Owner,
    draft: Draft,
    role: str,
    take: Callable[[Path], int],
    filename: str | None,
    *,
    replace: bool = False,
) -> None:
    """Adds a file that came up through the resumable upload API (``take`` moves the
    verified upload to the path it is given)."""
    if not filename:
        raise UploadMissing()
    with store.adopt_upload(owner, take, filename) as path:
        _attach(draft, role, path, replace)


def _attach(draft: Draft, role: str, path: Path, replace: bool) -> None:
    try:
        add_attachment(draft.path, role, path, filename=path.name, replace=replace)
    except pe.EntryExists as exc:
        raise AttachmentExists(name=path.name) from exc


def delete_attachment(draft: Draft, entry: str) -> None:
    """Deletes one attachment named by its path (and its kept text source), e.g. a defective
    file of an imported case (C9). Only attachments: never a form."""
    with read_package(draft.path) as package:
        known = {f.path for f in package.attachments()}
    if entry not in known:
        raise pe.EntryNotFound(name=entry[:200] or "-", hint="")
    remove_entry(draft.path, entry)


def add_related_business(draft: Draft, kind: str, note: str | None) -> None:
    """Adds a related business (关联业务) that the business type allows."""
    with read_package(draft.path) as package:
        if kind in package.related:
            raise RelatedExists(name=kind)
    add_related(draft.path, kind, note)


def delete_related_business(draft: Draft, kind: str) -> None:
    """Deletes a related business (C9); a name that is not one (an attachment's) is refused."""
    with read_package(draft.path) as package:
        present = set(package.related)
    if kind not in present:
        raise pe.EntryNotFound(name=kind[:80] or "-", hint="")
    remove_entry(draft.path, related_form_path(kind))


def download_name(draft: Draft, package: Package) -> str:
    """The agency's internal number when there is one, else the type and the draft id."""
    internal = str(package.form.get("internal_number") or "")
    stem = re.sub(r"[^\w.-]+", "_", internal).strip("._") if internal else ""
    return f"{stem or package.business_type + '-' + draft.id[:8]}.zip"
