from __future__ import annotations

import json
from pathlib import Path

from patentdesk.packages.registry import BUSINESS_TYPES
from patentdesk.packages.schemas import render, schemas

DOCS = Path(__file__).resolve().parents[3] / "docs" / "schemas"


def test_published_schemas_are_up_to_date() -> None:
    generated = schemas()
    assert {f"form-{name}.schema.json" for name in BUSINESS_TYPES} <= set(generated)
    for file_name, schema in generated.items():
        published = DOCS / file_name
        assert published.exists(), (
            f"run: python -m patentdesk.packages.schemas docs/schemas ({file_name})"
        )
        assert published.read_text("utf-8") == render(schema), (
            f"{file_name} is stale: run python -m patentdesk.packages.schemas docs/schemas"
        )
    assert {p.name for p in DOCS.glob("*.json")} == set(generated)


def test_schemas_forbid_unknown_fields() -> None:
    schema = json.loads((DOCS / "form-invention.schema.json").read_text("utf-8"))
    assert schema["additionalProperties"] is False
    assert "applicants" in schema["properties"]
