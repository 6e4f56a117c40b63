"""JSON Schemas of the package forms and manifest, generated from the Pydantic models.

``python -m patentdesk.packages.schemas docs/schemas`` writes them; a test checks that the
published files are up to date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from patentdesk.packages.container import Manifest
from patentdesk.packages.forms import RelatedForm
from patentdesk.packages.registry import BUSINESS_TYPES

BASE_ID = "https://patentdesk.example/schemas/"


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema, for every business type's form, related forms and the manifest."""
    result: dict[str, dict[str, Any]] = {}
    for name, business in BUSINESS_TYPES.items():
        schema = business.model.model_json_schema()
        schema["title"] = f"{business.zh} / {business.en} (forms/request.json)"
        result[f"form-{name}.schema.json"] = schema
    result["form-related.schema.json"] = RelatedForm.model_json_schema()
    result["manifest.schema.json"] = Manifest.model_json_schema()
    for file_name, schema in result.items():
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = BASE_ID + file_name
    return result


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, schema in schemas().items():
        path = folder / file_name
        path.write_text(render(schema), "utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)
