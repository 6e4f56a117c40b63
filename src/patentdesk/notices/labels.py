"""What pages say about a notice: its name in the page's language, and which work it can
start (答复 for a notice, 请求复审 for a rejection decision). Template globals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patentdesk.errors import PatentDeskError
from patentdesk.notices.types import is_rejection_decision, notice_type


def notice_name(notice: Any, lang: str) -> str:
    """The registry's English name on English pages (or the row's own ``name_en``, e.g. a
    fee deadline's); the stored (Chinese) name otherwise, and for a legacy notice of a type
    the registry does not know."""

    def read(key: str) -> str:
        value = notice.get(key) if isinstance(notice, Mapping) else getattr(notice, key, None)
        return str(value or "")

    stored = read("name")
    if lang == "zh":
        return stored
    if read("name_en"):
        return read("name_en")
    try:
        return notice_type(read("code")).name_en
    except PatentDeskError:
        return stored


def is_rejection(code: str) -> bool:
    try:
        return is_rejection_decision(code)
    except PatentDeskError:
        return False


def is_decision(code: str) -> bool:
    try:
        return notice_type(code).is_decision
    except PatentDeskError:
        return False


def register(env: Any) -> None:
    env.globals.setdefault("notice_name", notice_name)
    env.globals.setdefault("is_rejection", is_rejection)
    env.globals.setdefault("notice_is_decision", is_decision)
