"""The phone app as an installable web app (PWA), served at ``/m/``.

Everything the app runs is in ``mobile/pwa/`` and is served from this origin only (the
portal's Content-Security-Policy: no inline script, no CDN). The app speaks the same
HTTP API as the command-line phone (:mod:`patentdesk.mobile.app`); its keys are made in
the browser with WebCrypto (``extractable: false``) and never leave it.

The service worker lives at ``/m/sw.js`` so that its scope is ``/m/``: it caches the app
shell (so the app opens without a network) and never touches ``/api``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from patentdesk.errors import NotFound

router = APIRouter(include_in_schema=False)

FOLDER = Path(__file__).parent / "pwa"

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}
# Short caching: the service worker decides what the phone keeps offline, and a new
# server version must reach phones on their next start.
_CACHE = "no-cache"


def _file(name: str, **headers: str) -> Response:
    path = FOLDER / name
    if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in _TYPES:
        raise NotFound()
    return FileResponse(
        path, media_type=_TYPES[path.suffix], headers={"Cache-Control": _CACHE, **headers}
    )


@router.get("/m")
def app_root() -> RedirectResponse:
    return RedirectResponse("/m/", status_code=308)


@router.get("/m/")
def app_shell() -> Response:
    return _file("index.html")


@router.get("/m/sw.js")
def service_worker() -> Response:
    return _file("sw.js", **{"Service-Worker-Allowed": "/m/"})


@router.get("/m/{name}")
def app_file(name: str) -> Response:
    return _file(name)


def app_url(base_url: str) -> str:
    """Where a phone opens the app, for the address ``serve`` prints and shows as a QR."""
    return base_url.rstrip("/") + "/m/"
