"""The web form of a business type, generated from its Pydantic form model.

Two directions, both keyed by the same dotted field paths as ``patentdesk package set``
(``title``, ``applicants.0.postal_code``, ``agency.agents.1.name``):

- :func:`build_view` turns a model and the saved form data into a tree of widgets (fields,
  groups, repeated groups with one entry per item) that a template renders. Labels come from
  the fields' titles (``"发明创造名称 / Title"``), so the web and the JSON Schemas agree.
- :func:`changes` turns a submitted form into the :class:`Assignment` list that differs
  from the saved data. Only what the browser sent counts — the disabled agency section of a
  natural person is not sent and so never cleared — and everything is then applied by
  :func:`patentdesk.packages.editing.set_fields`, all or nothing, with the same checks as
  the offline client (field types, the agency permission of seed C8).
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

# The packages library's own reading of form annotations (Optional, Annotated, list[...]).
from patentdesk.packages.fields import Assignment, is_model, list_item, unwrap

Submitted = Mapping[str, Sequence[str]]  # field path -> the values the browser sent

AGENCY = "agency"

# What a field wants, where its title does not say (shown under the field on the page).
HELP: dict[str, tuple[str, str]] = {
    "internal_number": (
        "机构自己的案卷编号，可在高级查询中按它检索",
        "Your own file reference; advanced query finds cases by it",
    ),
    "application_number": ("例如 201710601862.3", "e.g. 201710601862.3"),
    "patent_number": ("例如 201710601862.3", "e.g. 201710601862.3"),
    "notice_serial": (
        "通知书上的发文序列号（通知书页面列出）",
        "The dispatch serial printed on the notice (listed on the notices page)",
    ),
    "rejection_notice_serial": (
        "驳回决定的发文序列号；旧版客户端下载过的通知书可在“通知书 → 云端二次下载”中找回",
        "The rejection decision's dispatch serial; a notice fetched with the old client is "
        "found again under Notices → Cloud re-download",
    ),
    "decision_serial": ("授权公告等决定的发文序列号", "The dispatch serial of the decision"),
    "uscc": ("18 位，单位申请人填写", "18 characters, for organisations"),
    "id_number": ("18 位，个人填写", "18 characters, for persons"),
    "postal_code": ("6 位数字", "6 digits"),
    "general_poa_number": (
        "例如 ZW2026000123；填写后须选择备案方式（任一均可）",
        "e.g. ZW2026000123; then choose a filing method (any of the three)",
    ),
    "licence": ("代理师执业证号", "The agent's practising licence number"),
    "before": ("变更前的内容，与著录项目一致", "As the bibliographic data shows it now"),
    "after": ("变更后的内容", "What it becomes"),
}


def split_title(info: FieldInfo, name: str) -> tuple[str, str]:
    """``"发明创造名称 / Title"`` → (``发明创造名称``, ``Title``)."""
    title = info.title or name
    zh, sep, en = title.partition(" / ")
    return zh.strip(), (en.strip() if sep else zh.strip())


@dataclass
class Widget:
    kind: str  # field | group | repeat | entry
    path: str
    name: str
    label_zh: str = ""
    label_en: str = ""
    input: str = "text"  # text | number | decimal | date | checkbox | select | lines
    value: str = ""
    options: list[str] = field(default_factory=list)
    blank_option: bool = False
    children: list[Widget] = field(default_factory=list)
    index: int = 0
    new: bool = False  # an entry the user added on the page, not saved yet
    agency: bool = False  # part of the agency section (seed C8)

    def label(self, lang: str) -> str:
        """The title without its help: «备案方式», not «备案方式 (纸件请求 | …)»."""
        text = self.label_zh if lang == "zh" else self.label_en
        return text.partition(" (")[0].strip() or text

    def help(self, lang: str) -> str:
        """The help a title carries in parentheses (a format, an example); a choice list
        shows its options instead."""
        if self.input in ("select", "checkbox"):
            return ""
        for text in (self.label_en, self.label_zh):
            _head, sep, rest = text.partition(" (")
            if sep and rest.endswith(")"):
                return rest[:-1]
        zh, en = HELP.get(self.name, ("", ""))
        return zh if lang == "zh" else en


def _input_kind(annotation: Any) -> tuple[str, list[str]]:
    if get_origin(annotation) is typing.Literal:
        return "select", [str(v) for v in get_args(annotation)]
    if annotation is bool:
        return "checkbox", []
    if annotation is int:
        return "number", []
    if annotation is Decimal:
        return "decimal", []
    if annotation is dt.date:
        return "date", []
    if list_item(annotation) is not None:
        return "lines", []
    return "text", []


def _render(value: Any, kind: str) -> str:
    """A saved value as the browser shows and sends it back."""
    if value is None:
        return ""
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    return model().model_dump(mode="json", exclude_none=True)


def build_view(
    model: type[BaseModel],
    data: Mapping[str, Any],
    *,
    overrides: Submitted | None = None,
    extra: str | None = None,
    prefix: str = "",
    in_agency: bool = False,
) -> list[Widget]:
    """Widgets for ``model`` filled from ``data``; ``overrides`` (a submitted form that
    could not be saved) wins over it, and ``extra`` names a repeated group that gets one
    more, empty entry (the "add" button)."""
    widgets = []
    for name, info in _ordered(model):
        path = f"{prefix}{name}"
        annotation = unwrap(info.annotation)
        item = list_item(annotation)
        zh, en = split_title(info, name)
        agency = in_agency or path == AGENCY
        value = data.get(name) if isinstance(data, Mapping) else None
        if is_model(annotation):
            children = build_view(
                annotation,
                value if isinstance(value, Mapping) else {},
                overrides=overrides,
                extra=extra,
                prefix=f"{path}.",
                in_agency=agency,
            )
            widgets.append(Widget("group", path, name, zh, en, children=children, agency=agency))
        elif item is not None and is_model(item):
            saved = value if isinstance(value, list) else []
            count = max(len(saved), _submitted_count(overrides, path))
            entries = []
            for i in range(count + (1 if extra == path else 0)):
                entry_data = saved[i] if i < len(saved) else _defaults(item)
                children = build_view(
                    item,
                    entry_data if isinstance(entry_data, Mapping) else {},
                    overrides=overrides,
                    extra=extra,
                    prefix=f"{path}.{i}.",
                    in_agency=agency,
                )
                entries.append(
                    Widget(
                        "entry",
                        f"{path}.{i}",
                        name,
                        zh,
                        en,
                        children=children,
                        index=i,
                        new=i >= len(saved),
                        agency=agency,
                    )
                )
            widgets.append(Widget("repeat", path, name, zh, en, children=entries, agency=agency))
        else:
            kind, options = _input_kind(annotation)
            if value is None and info.default is not None and not info.is_required():
                value = info.get_default(call_default_factory=True)
            shown = _render(value, kind)
            if overrides is not None and path in overrides and overrides[path]:
                shown = overrides[path][-1]
            widgets.append(
                Widget(
                    "field",
                    path,
                    name,
                    zh,
                    en,
                    input=kind,
                    value=shown,
                    options=options,
                    blank_option=_optional(info),
                    agency=agency,
                )
            )
    return widgets


def _ordered(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    """The model's fields with the agency section last: the common fields come first in
    the models (inherited), but on a request form the agency follows the parties."""
    items = list(model.model_fields.items())
    return [i for i in items if i[0] != AGENCY] + [i for i in items if i[0] == AGENCY]


def _optional(info: FieldInfo) -> bool:
    return info.default is None


_INDEX = re.compile(r"^(\d+)\.")


def _entry_indexes(submitted: Submitted | None, path: str) -> list[int]:
    if not submitted:
        return []
    found = set()
    head = f"{path}."
    for key in submitted:
        if key.startswith(head):
            m = _INDEX.match(key[len(head) :])
            if m:
                found.add(int(m.group(1)))
    return sorted(found)


def _submitted_count(submitted: Submitted | None, path: str) -> int:
    indexes = _entry_indexes(submitted, path)
    return indexes[-1] + 1 if indexes else 0


def changes(
    model: type[BaseModel],
    data: Mapping[str, Any],
    submitted: Submitted,
    *,
    source: str = "",
    target: str = "",
) -> list[Assignment]:
    """The assignments that turn the saved ``data`` into what was ``submitted``.

    Fields the browser did not send are left alone. A new entry of a repeated group that
    the user left as it came (all defaults) is dropped; new entries that were filled in are
    numbered after the saved ones, so gaps never reach the package.
    """
    out: list[Assignment] = []
    for name, info in model.model_fields.items():
        src, dst = f"{source}{name}", f"{target}{name}"
        annotation = unwrap(info.annotation)
        item = list_item(annotation)
        value = data.get(name)
        if is_model(annotation):
            out += changes(
                annotation,
                value if isinstance(value, Mapping) else {},
                submitted,
                source=f"{src}.",
                target=f"{dst}.",
            )
        elif item is not None and is_model(item):
            saved = value if isinstance(value, list) else []
            next_index = len(saved)
            for i in _entry_indexes(submitted, src):
                if i < len(saved):
                    current = saved[i] if isinstance(saved[i], Mapping) else {}
                    out += changes(
                        item, current, submitted, source=f"{src}.{i}.", target=f"{dst}.{i}."
                    )
                    continue
                # Clearing a field of an entry that does not exist yet just leaves it empty.
                added = [
                    a
                    for a in changes(
                        item,
                        _defaults(item),
                        submitted,
                        source=f"{src}.{i}.",
                        target=f"{dst}.{next_index}.",
                    )
                    if a.value is not None
                ]
                if added:
                    out += added
                    next_index += 1
        elif src in submitted:
            out += _field_changes(dst, info, annotation, value, submitted[src])
    return out


def _field_changes(
    path: str, info: FieldInfo, annotation: Any, value: Any, sent: Sequence[str]
) -> list[Assignment]:
    kind, _ = _input_kind(annotation)
    text = (sent[-1] if sent else "").strip()  # a checkbox sends "false" then "true"
    if value is None and info.default is not None and not info.is_required():
        value = info.get_default(call_default_factory=True)
    if kind == "lines":
        old = [str(v) for v in value] if isinstance(value, list) else []
        new = [line.strip() for line in text.splitlines() if line.strip()]
        if old == new:
            return []
        result = [
            Assignment(f"{path}.{i}", v) for i, v in enumerate(new) if i >= len(old) or old[i] != v
        ]
        # Trailing items go last to first, so that each index is still there when removed.
        result += [Assignment(f"{path}.{i}", None) for i in range(len(old) - 1, len(new) - 1, -1)]
        return result
    if text == _render(value, kind):
        return []
    return [Assignment(path, text or None)]


def entry_exists(data: Mapping[str, Any], path: str) -> bool:
    """Whether ``path`` (``inventors.1``, ``agency.agents.0``) names a saved entry."""
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit():
            index = int(part)
            if index >= len(node):
                return False
            node = node[index]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False
    return True


def repeat_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The repeated groups of a form with ``N`` for indexes: ``applicants``,
    ``agency.agents`` — what the add and remove buttons may name."""
    paths = []
    for name, info in model.model_fields.items():
        annotation = unwrap(info.annotation)
        item = list_item(annotation)
        if is_model(annotation):
            paths += repeat_paths(annotation, f"{prefix}{name}.")
        elif item is not None and is_model(item):
            paths.append(f"{prefix}{name}")
            paths += repeat_paths(item, f"{prefix}{name}.N.")
    return paths


def is_repeat(model: type[BaseModel], path: str) -> bool:
    """``inventors`` or ``agency.agents`` (indexes as digits) is a repeated group."""
    return re.sub(r"\.\d+(?=\.|$)", ".N", path) in repeat_paths(model)
