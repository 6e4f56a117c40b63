"""Liveness and identity of this deployment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from patentdesk import __version__
from patentdesk.timeutil import iso, now

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "status": "ok",
        "version": __version__,
        "environment": settings.environment,
        "server_time": iso(now()),
    }
