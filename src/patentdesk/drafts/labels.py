"""What users read about a field: its human label and help, never its path.

The form models' titles are ``"中文 / English (help)"``; a validation finding names its
field by path (``applicants.0.uscc``, ``applicants.N.uscc``, ``attachments/claims``) and its
message may end with the offline client's hint (``（package add --role drawings）``,
``(application_number)``). On the web the path becomes «申请人 1 · 统一社会信用代码» and the
command-line hint is left out; the command-line client keeps both.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import BaseModel

from patentdesk.drafts.formspec import split_title
from patentdesk.packages.fields import is_model, list_item, unwrap
from patentdesk.packages.registry import ROLES

_HELP = re.compile(r"^(?P<label>[^(（]*?)\s*[(（](?P<help>.+)[)）]\s*$")
_PATH = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.(?:[0-9]+|N|[a-z][a-z0-9_]*))*")
_PAREN = re.compile(r"\s*[（(]([^（）()]*)[）)]")
_SEPARATOR = re.compile(r"(\s*[，,、;；]\s*|\s+/\s+)")
_TRAILING_PATH = re.compile(r"\s*[：:]\s*[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\s*$")
_ASSIGNMENT = re.compile(r"\b[a-z][a-z0-9_]*=")


@functools.cache
def _field_names() -> frozenset[str]:
    """Every field name of every business type's form (``title``, ``uscc``, ``requester``)."""
    from patentdesk.packages.registry import BUSINESS_TYPES

    names: set[str] = set()

    def walk(model: Any) -> None:
        for name, info in model.model_fields.items():
            names.add(name)
            annotation = unwrap(info.annotation)
            inner = list_item(annotation) or annotation
            if is_model(inner):
                walk(inner)

    for business in BUSINESS_TYPES.values():
        walk(business.model)
    return frozenset(names)


def _is_technical(part: str) -> bool:
    """A field path, a field name or a command-line hint, as the offline client writes them."""
    text = part.strip()
    if "--" in text or text.startswith("package "):
        return True
    if not _PATH.fullmatch(text):
        return False
    return "_" in text or "." in text or text in _field_names()


def _paren(m: re.Match[str]) -> str:
    parts = _SEPARATOR.split(m.group(1))
    words, seps = parts[0::2], parts[1::2]
    kept = [(w, seps[i - 1] if i else "") for i, w in enumerate(words) if not _is_technical(w)]
    if not kept:
        return ""
    if len(kept) == len(words):
        return m.group(0)
    body = kept[0][0] + "".join(sep + w for w, sep in kept[1:])
    opening = m.group(0).lstrip()[0]
    return (" (" if opening == "(" else "（") + body + (")" if opening == "(" else "）")


def split_help(text: str) -> tuple[str, str]:
    """``"Filing method (paper | online)"`` → (``Filing method``, ``paper | online``)."""
    m = _HELP.match(text)
    if m is None or not m.group("label"):
        return text, ""
    return m.group("label"), m.group("help")


def web_message(message: str) -> str:
    """A rule's message without the command-line client's hints and field paths: the page
    shows the field's label beside it and links to the field."""
    text = _PAREN.sub(_paren, message)
    text = _TRAILING_PATH.sub("", text)
    return _ASSIGNMENT.sub("", text).strip()


def field_label(model: type[BaseModel], path: str, lang: str) -> str:
    """«申请人 1 · 统一社会信用代码» for ``applicants.0.uscc`` (``N`` for any entry gives
    «申请人 · 统一社会信用代码»); an attachment role by its name; the path itself only when
    the model does not know it."""
    if path.startswith("attachments/"):
        role, _, part = path.split("/", 2)[1].partition("#")
        info = ROLES.get(role)
        if info is None:
            return role
        name = info.zh if lang == "zh" else info.en[:1].upper() + info.en[1:]
        return f"{name} · {_part_label(role, part, lang)}" if part else name
    parts: list[str] = []
    current: Any = model
    for part in path.split("."):
        if part.isdigit():
            if parts:
                parts[-1] = f"{parts[-1]} {int(part) + 1}"
            continue
        if part == "N":
            continue
        if not is_model(current) or part not in current.model_fields:
            return " · ".join(parts) if parts else path
        info = current.model_fields[part]
        zh, en = split_title(info, part)
        parts.append(split_help(zh if lang == "zh" else en)[0])
        annotation = unwrap(info.annotation)
        item = list_item(annotation)
        current = item if item is not None else annotation
    return " · ".join(parts) if parts else path


def _part_label(role: str, part: str, lang: str) -> str:
    """«权利要求 3» for ``claims#3``; «[0012]» or «第 5 段» for ``description#0012`` / ``#p5``."""
    if role == "claims":
        return f"权利要求 {part}" if lang == "zh" else f"claim {part}"
    if part.startswith("p") and part[1:].isdigit():
        return f"第 {part[1:]} 段" if lang == "zh" else f"paragraph {part[1:]}"
    return f"[{part}]"


def anchor(path: str, rule: str = "") -> str:
    """The page element a finding points to: the field's input, a claim in the claim tree, a
    paragraph of the description's findings, or the attachments."""
    if path.startswith("attachments/claims#"):
        return "claim-" + path.split("#", 1)[1]
    if path.startswith("attachments/description#"):
        return "desc-" + path.split("#", 1)[1]
    if path == "attachments/description" and rule.startswith("description."):
        # The description's own checks (sections, numbering) are listed with its paragraphs;
        # a missing description (parts.required) stays with the attachments.
        return "description-findings"
    if path.startswith("attachments"):
        return "attachments-section"
    return "f-" + path.replace(".N.", ".0.").removesuffix(".N")
