"""What users read about a field: its human label and help, never its path.

The form models' titles are ``"中文 / English (help)"``; a validation finding names its
field by path (``applicants.0.uscc``, ``applicants.N.uscc``, ``attachments/claims``) and its
message may end with the offline client's hint (``（package add --role drawings）``,
``(application_number)``). On the web the path becomes «申请人 1 · 统一社会信用代码» and the
command-line hint is left out; the command-line client keeps both.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from patentdesk.drafts.formspec import split_title
from patentdesk.packages.fields import _is_model, _list_item, _unwrap
from patentdesk.packages.registry import ROLES

_HELP = re.compile(r"^(?P<label>[^(（]*?)\s*[(（](?P<help>.+)[)）]\s*$")
# A parenthesis holding a field path or a command-line hint: ASCII with an underscore, a
# dot between words, "--", or one lower-case word (a field name such as "title").
_CLI_HINT = re.compile(
    r"\s*[（(](?=[\x20-\x7e]*[）)])"
    r"(?:[^（）()]*(?:--|_|\bpackage\b)[^（）()]*|[a-z]+)"
    r"[）)]"
)


def split_help(text: str) -> tuple[str, str]:
    """``"Filing method (paper | online)"`` → (``Filing method``, ``paper | online``)."""
    m = _HELP.match(text)
    if m is None or not m.group("label"):
        return text, ""
    return m.group("label"), m.group("help")


def web_message(message: str) -> str:
    """A rule's message without the command-line client's hints and field paths."""
    return _CLI_HINT.sub("", message).strip()


def field_label(model: type[BaseModel], path: str, lang: str) -> str:
    """«申请人 1 · 统一社会信用代码» for ``applicants.0.uscc`` (``N`` for any entry gives
    «申请人 · 统一社会信用代码»); an attachment role by its name; the path itself only when
    the model does not know it."""
    if path.startswith("attachments/"):
        role = path.split("/", 2)[1]
        info = ROLES.get(role)
        if info is None:
            return role
        return info.zh if lang == "zh" else info.en[:1].upper() + info.en[1:]
    parts: list[str] = []
    current: Any = model
    for part in path.split("."):
        if part.isdigit():
            if parts:
                parts[-1] = f"{parts[-1]} {int(part) + 1}"
            continue
        if part == "N":
            continue
        if not _is_model(current) or part not in current.model_fields:
            return " · ".join(parts) if parts else path
        info = current.model_fields[part]
        zh, en = split_title(info, part)
        parts.append(split_help(zh if lang == "zh" else en)[0])
        annotation = _unwrap(info.annotation)
        item = _list_item(annotation)
        current = item if item is not None else annotation
    return " · ".join(parts) if parts else path


def anchor(path: str) -> str:
    """The page element a finding points to: the field's input, or the attachments."""
    if path.startswith("attachments"):
        return "attachments-section"
    return "f-" + path.replace(".N.", ".0.").removesuffix(".N")
