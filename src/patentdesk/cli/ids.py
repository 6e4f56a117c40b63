"""Ids read back as the CLI prints them: a full id, or a unique prefix of one.

Tables show the first eight characters of an id (``notices list``); whatever a command
prints, another command accepts. A prefix is looked up among the rows the user may see and
must name exactly one of them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from patentdesk.errors import NotFound, ValidationFailed

SHORT = 8  # the characters of an id a table shows
MIN_PREFIX = 4
_PREFIX_RE = re.compile(r"^[0-9a-f]+$")


class AmbiguousId(ValidationFailed):
    code = "AMBIGUOUS_ID"
    message_zh = "编号“{text}”对应多个对象，请多写几位：{candidates}"
    message_en = "'{text}' matches several: {candidates}; type more of the id"


class IdPrefixInvalid(ValidationFailed):
    code = "ID_INVALID"
    message_zh = "“{text}”不是编号，也不是至少 {n} 位的编号开头"
    message_en = "'{text}' is neither an id nor the first {n} or more characters of one"


def full_id(text: str) -> str | None:
    """The id in canonical form when ``text`` is a whole UUID, else None."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None


def _prefix(text: str) -> str | None:
    value = text.strip().lower().replace("-", "")
    return value if len(value) >= MIN_PREFIX and _PREFIX_RE.match(value) else None


def pick(
    text: str,
    rows: Iterable[dict[str, Any]],
    *,
    what: tuple[str, str],
    also: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """The one row whose ``id`` is or starts with ``text``, or that ``also`` matches.

    ``what`` names the kind of object (Chinese, English) in the error messages."""
    prefix = _prefix(text)
    matches = {
        str(r["id"]): r
        for r in rows
        if (prefix is not None and str(r["id"]).replace("-", "").startswith(prefix))
        or (also is not None and also(r))
    }
    if not matches:
        if prefix is None and also is None:
            raise IdPrefixInvalid(text=text, n=MIN_PREFIX, details={"id": text})
        raise NotFound(
            "没有找到{what}“{text}”",
            "No {what_en} '{text}'",
            what=what[0],
            what_en=what[1],
            text=text,
            details={"id": text},
        )
    if len(matches) > 1:
        ids = sorted(matches)
        raise AmbiguousId(
            text=text,
            candidates=", ".join(i[:13] for i in ids[:5]),
            details={"candidates": ids},
        )
    return next(iter(matches.values()))
