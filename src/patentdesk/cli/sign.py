"""``patentdesk sign FILE``: signs a case package (scan on the phone, or no scan inside an
open no-scan window). The signature covers META-INF/manifest.json and thereby every file."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.common import NoProxyOpt, ServerOpt, apply_no_proxy
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported


def _title(path: Path) -> tuple[str | None, str | None]:
    from patentdesk.packages import read_package

    package = read_package(path)
    forms = package.forms if hasattr(package, "forms") else {}
    request = forms.get("request", {}) if isinstance(forms, dict) else {}
    return request.get("title"), package.manifest.business_type


def sign_package(
    path: Path, *, server: str | None, qr_text: str | None, qr_png: str | None, timeout: int
) -> dict[str, Any]:
    from patentdesk.authz import not_logged_in_signing
    from patentdesk.cli.client import Api, home, load_session
    from patentdesk.cli.qrlogin import _poll, show_qr
    from patentdesk.packages import add_signature, manifest_bytes

    session = load_session()
    if session is None:
        raise not_logged_in_signing()  # never a silent no-op (C2)
    manifest = manifest_bytes(path)
    digest = hashlib.sha256(manifest).hexdigest()
    title, business_type = _title(path)
    with Api(server) as api:
        started = api.post(
            "/api/v1/signing-requests",
            json={"digest": digest, "title": title, "business_type": business_type},
        )
        if started["mode"] == "window":
            from patentdesk.pki.clientkey import ClientKeyStore

            store = ClientKeyStore(home())
            store.save_certificate(started["delegated_certificate_pem"])
            signer = store.signer()
            if signer is None:  # the window closed between the two calls
                from patentdesk.pki.signing import WindowClosed

                raise WindowClosed()
            signature = signer.sign_detached(manifest)
            done = api.post(
                f"/api/v1/signing-requests/{started['request_id']}/complete",
                json={
                    "secret": started["secret"],
                    "signature": base64.b64encode(signature).decode(),
                },
            )
            serial = done["certificate_serial"]
            method = "window"
        else:
            show_qr(
                started["payload"],
                started["short_code"],
                qr_text=qr_text,
                qr_png=qr_png,
                what="签名",
            )
            result = _poll(
                api,
                f"/api/v1/signing-requests/{started['request_id']}/poll",
                started["secret"],
                timeout,
            )
            signature = base64.b64decode(result["signature"])
            serial = result["certificate_serial"]
            method = "scan"
    entry = add_signature(path, signature)
    return {
        "signer": session.get("name"),
        "user_id": session.get("user_id"),
        "role": session.get("role"),
        "certificate_serial": serial,
        "method": method,
        "signature": entry,
        "digest": digest,
        "path": str(path),
    }


def register(app: typer.Typer) -> None:
    @app.command()
    def sign(
        file: Annotated[
            Path, typer.Argument(help="the case package (.zip)", exists=True, dir_okay=False)
        ],
        qr_text: Annotated[
            str | None, typer.Option("--qr-text", help="also write the QR payload here")
        ] = None,
        qr_png: Annotated[str | None, typer.Option("--qr-png", help="also write a PNG")] = None,
        timeout: Annotated[int, typer.Option(help="seconds to wait for the phone")] = 120,
        server: ServerOpt = None,
        no_proxy: NoProxyOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Signs a case package by the logged-in handler or sub-account (or natural person).
        The main account cannot sign: «查询用户 ID 失败» (A10)."""
        apply_no_proxy(no_proxy)
        with errors_reported(json_out):
            result = sign_package(
                file, server=server, qr_text=qr_text, qr_png=qr_png, timeout=timeout
            )
            emit(
                result,
                json_out,
                lambda d: console.print(
                    f"[green]已签名[/] {d['signer']}（{d['method']}），证书 {d['certificate_serial']}"
                ),
            )
