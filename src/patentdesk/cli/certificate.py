"""``patentdesk certificate list|download``: the logged-in user's certificates (desktop).

The signing key stays on the phone; what can be downloaded is the certificate the CA
issued for it (PEM), e.g. to hand to a verifier or to check its validity.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.common import NoProxyOpt, ServerOpt, apply_no_proxy
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

app = typer.Typer(help="Your certificates (数字证书): list and download.", no_args_is_help=True)


def parse_serial(text: str) -> int:
    """A serial as the API lists it (decimal) or as certificate viewers show it (hex)."""
    from patentdesk.errors import ValidationFailed

    value = text.strip()
    if value.isdigit():
        return int(value)
    hex_text = value.removeprefix("0x").removeprefix("0X").replace(":", "")
    if hex_text and all(c in string.hexdigits for c in hex_text):
        return int(hex_text, 16)
    raise ValidationFailed(
        "证书序列号格式不正确：{v}（应为十进制或十六进制）",
        "Not a certificate serial number: {v} (decimal or hex expected)",
        v=value[:60],
        details={"field": "serial"},
    )


def _show(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("serial", "hex", "purpose", "valid from", "valid to", "status")
    for r in rows:
        table.add_row(
            r["serial"],
            r["serial_hex"],
            r["purpose"],
            r["not_before"],
            r["not_after"],
            "revoked" if r.get("revoked_at") else "ok",
        )
    console.print(table)


@app.command("list")
def list_certificates(
    server: ServerOpt = None, no_proxy: NoProxyOpt = False, json_out: JsonOpt = False
) -> None:
    """Lists your signing certificates (newest first)."""
    from patentdesk.cli.client import Api

    apply_no_proxy(no_proxy)
    with errors_reported(json_out), Api(server) as api:
        api.require_login()
        emit(api.get("/api/v1/me/certificates"), json_out, _show)


@app.command()
def download(
    serial: Annotated[str, typer.Argument(help="the certificate's serial (decimal or hex)")],
    out: Annotated[Path, typer.Option("--out", help="where to write the PEM file")],
    server: ServerOpt = None,
    no_proxy: NoProxyOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Downloads one of your certificates as a PEM file."""
    from patentdesk.cli.client import Api
    from patentdesk.pki.keys import load_certificate
    from patentdesk.pki.profiles import describe_certificate

    apply_no_proxy(no_proxy)
    with errors_reported(json_out), Api(server) as api:
        api.require_login()
        number = parse_serial(serial)
        pem = api.get(f"/api/v1/me/certificates/{number}")
        data = pem if isinstance(pem, bytes) else str(pem).encode("ascii")
        info = describe_certificate(load_certificate(data))  # a certificate, not an error page
        out.write_bytes(data)
        emit(
            {
                "path": str(out),
                "certificate_serial": str(info.serial),
                "environment": info.environment,
                "purpose": info.purpose,
                "not_after": info.not_after.isoformat(),
            },
            json_out,
            lambda d: console.print(
                f"[green]已下载[/] 证书 {d['certificate_serial']} → {d['path']}"
            ),
        )
