"""``patentdesk sign FILE``: signs a case package (scan on the phone, or no scan inside an
open no-scan window). The signature covers META-INF/manifest.json and thereby every file.

``patentdesk sign FILE --verify`` asks the server to check the package's signatures
(this environment's CA, validity, revocation, and the role and domain each signer acted in).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.common import NoProxyOpt, ServerOpt, apply_no_proxy
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported
from patentdesk.errors import PatentDeskError


class PackageChanged(PatentDeskError):
    code = "PACKAGE_CHANGED"
    status = 409
    message_zh = "签名期间案卷包已被修改，签名未写入：请重新签名"
    message_en = "The package changed while it was being signed; nothing was added: sign again"


# The window ended between asking and signing: ask again, which means a scan.
_WINDOW_GONE = {"SIGN_WINDOW_CLOSED", "CERTIFICATE_EXPIRED", "CERTIFICATE_REVOKED"}


def _describe(path: Path) -> tuple[bytes, str | None, str | None, list[str]]:
    """The manifest's exact bytes, the title, the business type and the applicants' names
    (shown on the phone)."""
    from patentdesk.packages import read_package
    from patentdesk.packages.registry import MAIN_FORM

    with read_package(path) as package:
        form = package.forms.get(MAIN_FORM, {})
        title = form.get("title")
        applicants = form.get("applicants")
        names = [
            a["name"]
            for a in (applicants if isinstance(applicants, list) else [])
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
        ]
        return (
            package.manifest_bytes,
            title if isinstance(title, str) else None,
            package.manifest.business_type,
            names,
        )


def _sign_in_window(api: Any, started: dict[str, Any], manifest: bytes) -> tuple[bytes, str]:
    """Signs with this session's key under the window's delegated certificate."""
    from patentdesk.cli.client import home
    from patentdesk.pki.clientkey import ClientKeyStore
    from patentdesk.pki.signing import WindowClosed

    store = ClientKeyStore(home())
    store.save_certificate(started["delegated_certificate_pem"])
    signer = store.signer()
    if signer is None:  # the window ended by this computer's clock
        raise WindowClosed()
    signature = signer.sign_detached(manifest)
    done = api.post(
        f"/api/v1/signing-requests/{started['request_id']}/complete",
        json={"secret": started["secret"], "signature": base64.b64encode(signature).decode()},
    )
    return signature, str(done["certificate_serial"])


def sign_package(
    path: Path, *, server: str | None, qr_text: str | None, qr_png: str | None, timeout: int
) -> dict[str, Any]:
    from patentdesk.authz import not_logged_in_signing
    from patentdesk.cli.client import Api, load_session
    from patentdesk.cli.qrlogin import poll_request, show_qr
    from patentdesk.packages import add_signature, manifest_bytes

    session = load_session()
    if session is None:
        raise not_logged_in_signing()  # never a silent no-op (C2)
    manifest, title, business_type, applicants = _describe(path)
    digest = hashlib.sha256(manifest).hexdigest()
    request = {
        "digest": digest,
        "title": title,
        "business_type": business_type,
        "manifest": base64.b64encode(manifest).decode(),
        "applicants": applicants,
    }
    with Api(server) as api:
        started = api.post("/api/v1/signing-requests", json=request)
        if started["mode"] == "window":
            try:
                signature, serial = _sign_in_window(api, started, manifest)
            except PatentDeskError as exc:  # ServerError included
                if exc.code not in _WINDOW_GONE:
                    raise
                started = api.post("/api/v1/signing-requests", json=request)
                if started["mode"] != "scan":
                    raise
        method = started["mode"]
        if method == "scan":
            show_qr(
                started["payload"],
                started["short_code"],
                qr_text=qr_text,
                qr_png=qr_png,
                what="签名",
            )
            result = poll_request(
                api,
                f"/api/v1/signing-requests/{started['request_id']}/poll",
                started["secret"],
                timeout,
            )
            signature = base64.b64decode(result["signature"])
            serial = str(result["certificate_serial"])
    if manifest_bytes(path) != manifest:  # edited while the phone was signing
        raise PackageChanged()
    entry = add_signature(path, signature)
    return {
        "signer": session.get("name"),
        "user_id": session.get("user_id"),
        "role": session.get("role"),
        "domain": session.get("domain"),
        "certificate_serial": serial,
        "method": method,
        "signature": entry,
        "digest": digest,
        "path": str(path),
    }


def verify_package(path: Path, *, server: str | None) -> dict[str, Any]:
    """Every signature of the package, checked by the server; the first refusal raises."""
    from patentdesk.cli.client import Api
    from patentdesk.errors import ValidationFailed
    from patentdesk.packages import read_package

    with read_package(path) as package:
        manifest = package.manifest_bytes
        signatures = [(s.name, s.der) for s in package.signatures]
    if not signatures:
        raise ValidationFailed(
            "案卷包中没有签名：{p}", "The package has no signature: {p}", p=str(path)
        )
    checked = []
    with Api(server) as api:
        api.require_login()
        for name, der in signatures:
            result = api.post(
                "/api/v1/signatures/verify",
                json={
                    "manifest": base64.b64encode(manifest).decode(),
                    "signature": base64.b64encode(der).decode(),
                },
            )
            checked.append({"entry": name, **result})
    return {"path": str(path), "valid": True, "signatures": checked}


def _show_verified(data: dict[str, Any]) -> None:
    for s in data["signatures"]:
        console.print(
            f"[green]有效[/] {s['entry']}: {s['signer']}（{s['role']}），"
            f"证书 {s['certificate_serial']}，{s['method']}"
        )


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
        verify: Annotated[
            bool, typer.Option("--verify", help="check the package's signatures, do not sign")
        ] = False,
        timeout: Annotated[int, typer.Option(help="seconds to wait for the phone")] = 120,
        server: ServerOpt = None,
        no_proxy: NoProxyOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Signs a case package by the logged-in handler or sub-account (or natural person).
        The main account cannot sign: «查询用户 ID 失败» (A10)."""
        apply_no_proxy(no_proxy)
        with errors_reported(json_out):
            if verify:
                checked = verify_package(file, server=server)
                emit(checked, json_out, _show_verified)
                return
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
