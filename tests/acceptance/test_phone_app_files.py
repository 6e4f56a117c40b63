"""The phone app's files as the server hands them out: shell, manifest, service worker,
icons and the vendored QR decoder, all from this origin under the portal's CSP."""

from __future__ import annotations

import json
from typing import Any


def test_the_app_shell_and_its_manifest_are_served_for_installation(client: Any) -> None:
    r = client.get("/m/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text  # everything runs from files: no inline script
    for src in ("/m/app.js", "/m/pdcrypto.js", "/m/i18n.js", "/m/jsqr-1.4.0.js"):
        assert f'src="{src}"' in r.text
        assert client.get(src).headers["content-type"].startswith("text/javascript")
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    data = json.loads(manifest.text)
    assert data["start_url"] == "/m/" and data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200 and got.content.startswith(b"\x89PNG")


def test_the_service_worker_is_scoped_to_the_app(client: Any) -> None:
    r = client.get("/m/sw.js")
    assert r.status_code == 200
    assert r.headers["service-worker-allowed"] == "/m/"
    assert r.headers["cache-control"] == "no-cache"


def test_the_vendored_decoder_carries_its_licence_and_version(client: Any) -> None:
    assert "Apache License" in client.get("/m/jsqr-1.4.0.LICENSE.txt").text
    assert "jsQR 1.4.0" in client.get("/m/VENDORED.txt").text


def test_nothing_outside_the_app_folder_is_served(client: Any) -> None:
    for path in ("/m/..%2Fwebapp.py", "/m/webapp.py", "/m/.hidden", "/m/nope.js"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 404
    assert client.get("/m", follow_redirects=False).headers["location"] == "/m/"
