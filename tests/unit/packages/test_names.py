"""One rule for the characters of a name (issue 15, item 9), shared by the server and the
offline client, and the parties of a case package checked with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patentdesk.packages import editing, read_package, validate
from patentdesk.packages.text import NAME_MAX_BYTES, forbidden_character
from patentdesk.packages.validation import ValidationContext

HOSTILE = {
    "NUL": "张\x00三",
    "BEL": "张三\x07",
    "RLO": "张\u202e三",
    "LRI": "\u2066张三",
    "ZWSP": "张\u200b三",
    "ZWJ": "张\u200d三",
    "BOM": "\ufeff张三",
    "line separator": "张\u2028三",
    "private use": "张\ue000三",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_control_bidi_and_invisible_characters_are_named(value: str) -> None:
    found = forbidden_character(value)
    assert found is not None and found.startswith("U+")


@pytest.mark.parametrize(
    "value",
    ["张三", "欧阳娜娜", "阿卜杜热依木·艾买提", "Mary O'Neil-Smith", "José Müller", "김민준"],
)
def test_real_names_pass(value: str) -> None:
    assert forbidden_character(value) is None


def test_the_certificate_limit_is_in_bytes() -> None:
    assert NAME_MAX_BYTES == 64
    assert len(("张" * 21).encode()) <= NAME_MAX_BYTES < len(("张" * 22).encode())


def test_package_parties_with_hostile_names_are_errors(invention: Path) -> None:
    editing.set_fields(
        invention, ["applicants.0.name=杭州\u202e某某科技有限公司", "inventors.0.name=张\x07三"]
    )
    with read_package(invention) as package:
        report = validate(package, ValidationContext(filing_date=dt.date(2026, 3, 1)))
    found = {(f.rule, f.field) for f in report.errors}
    assert ("party.name.characters", "applicants.0.name") in found
    assert ("party.name.characters", "inventors.0.name") in found
    message = next(f for f in report.errors if f.field == "applicants.0.name").message_zh
    assert "U+202E" in message
