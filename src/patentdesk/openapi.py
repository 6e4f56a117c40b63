"""The published API description (``/openapi.json``) as the API really answers.

FastAPI describes every refusal as its own ``{"detail": [...]}`` shape; PatentDesk answers
every error with one envelope, ``{"error": {"code", "message", "message_en", "details"}}``
(docs/api.md). Tools that read the description (client generators, fuzzers, agencies'
scripts) must find that envelope, so the description says it for 422 and every other 4xx.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "message_en"],
            "properties": {
                "code": {"type": "string", "description": "stable, e.g. NOT_FOUND"},
                "message": {"type": "string", "description": "Chinese"},
                "message_en": {"type": "string", "description": "English"},
                "details": {"type": "object", "description": "e.g. the field at fault"},
            },
        }
    },
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_RESPONSE = {
    "description": "Refused: the error envelope, with a stable code",
    "content": {"application/json": {"schema": _ERROR_REF}},
}


def describe(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with PatentDesk's error envelope."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    # Nothing answers FastAPI's own validation shape: the app's handler replaces it.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses["422"] = {
                "description": "The input is not valid (VALIDATION_FAILED or a specific code)",
                "content": {"application/json": {"schema": _ERROR_REF}},
            }
            responses.setdefault("4XX", _ERROR_RESPONSE)
    return schema


def install(app: FastAPI) -> None:
    """Makes ``/openapi.json`` serve :func:`describe` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
