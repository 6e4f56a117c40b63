"""Serves the release repository read-only: TUF metadata, targets, and the trusted root.

Only names the repository resolves are served (see ``ReleaseRepository.metadata_file``
and ``target_file``), so no request can read outside the repository's folders.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from patentdesk.updates.repository import ReleaseRepository

router = APIRouter(tags=["updates"])


def _repository(request: Request) -> ReleaseRepository:
    return ReleaseRepository.in_data(request.app.state.settings.data)


@router.get("/updates/metadata/{name}", summary="TUF metadata (root, timestamp, snapshot, targets)")
def metadata(name: str, request: Request) -> FileResponse:
    path = _repository(request).metadata_file(name)
    # Metadata changes in place (timestamp.json); caches must ask every time.
    return FileResponse(path, media_type="application/json", headers={"Cache-Control": "no-cache"})


@router.get("/updates/targets/{target:path}", summary="a client package, patch or index")
def target(target: str, request: Request) -> FileResponse:
    path = _repository(request).target_file(target)
    # Targets are stored under their hash (consistent snapshots): never change.
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.get(
    "/api/v1/updates/root.json",
    summary="the newest trusted root metadata, to ship with a client build",
)
def trusted_root(request: Request) -> Response:
    data = _repository(request).root_bytes()
    return Response(data, media_type="application/json")
