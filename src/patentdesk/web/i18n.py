"""Chinese first, English available: message catalogs as data (locales/*.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT = "zh"


@cache
def catalog(lang: str) -> dict[str, str]:
    path = Path(__file__).parent / "locales" / f"{lang}.json"
    data: dict[str, str] = json.loads(path.read_text("utf-8"))
    return data


def translate(lang: str, key: str, **fmt: object) -> str:
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    return text.format(**fmt) if fmt else text
