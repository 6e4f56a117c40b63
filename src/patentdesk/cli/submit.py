"""``patentdesk submit`` and ``patentdesk receipt``: upload with progress (resumable), the
receipt, and offline verification of a receipt with only the environment's CA certificate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.common import NoProxyOpt, ServerOpt, apply_no_proxy
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

CHUNK = 4 * 1024 * 1024
receipt_app = typer.Typer(
    help="Receipts (电子申请回执): download and verify offline.", no_args_is_help=True
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _upload(api: Any, path: Path, sha: str, quiet: bool) -> str:
    """Resumable: the upload id is remembered per package, so a rerun after a broken
    connection continues where the server stopped."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from patentdesk.cli.client import ServerError, home

    size = path.stat().st_size
    state_file = home() / "uploads" / f"{sha}.json"
    state_file.parent.mkdir(parents=True, exist_ok=True)
    upload_id = None
    offset = 0
    if state_file.exists():
        try:
            upload_id = json.loads(state_file.read_text())["upload_id"]
            offset = api.get(f"/api/v1/uploads/{upload_id}")["offset"]
        except (ServerError, KeyError, ValueError):
            upload_id = None
    if upload_id is None:
        upload_id = api.post("/api/v1/uploads", json={"size": size, "sha256": sha})["upload_id"]
        offset = 0
        state_file.write_text(json.dumps({"upload_id": upload_id}))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        disable=quiet,
        transient=True,
    ) as progress:
        task = progress.add_task(f"上传 {path.name}", total=size, completed=offset)
        with path.open("rb") as fh:
            fh.seek(offset)
            while offset < size:
                chunk = fh.read(CHUNK)
                state = api.request(
                    "PUT",
                    f"/api/v1/uploads/{upload_id}",
                    params={"offset": offset},
                    content=chunk,
                    headers={"Content-Type": "application/octet-stream"},
                )
                offset = state["offset"]
                progress.update(task, completed=offset)
    return str(upload_id)


def register(app: typer.Typer) -> None:
    @app.command()
    def submit(
        file: Annotated[
            Path, typer.Argument(help="the signed case package", exists=True, dir_okay=False)
        ],
        idempotency_key: Annotated[
            str | None,
            typer.Option(
                help="the same key again returns the same result (default: the package's SHA-256)"
            ),
        ] = None,
        server: ServerOpt = None,
        no_proxy: NoProxyOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Submits a signed case package and prints the receipt (application number, filing
        date). Safe to rerun: the same package returns the same number."""
        from patentdesk.authz import not_logged_in_signing
        from patentdesk.cli.client import Api, home, load_session

        apply_no_proxy(no_proxy)
        with errors_reported(json_out):
            if load_session() is None:
                raise not_logged_in_signing()
            sha = _sha256(file)
            with Api(server, timeout=300) as api:
                upload_id = _upload(api, file, sha, quiet=json_out)
                result = api.post(
                    "/api/v1/submissions",
                    json={"upload_id": upload_id, "idempotency_key": idempotency_key or sha},
                )
            (home() / "uploads" / f"{sha}.json").unlink(missing_ok=True)
            emit(
                result,
                json_out,
                lambda d: console.print(
                    f"[green]提交成功[/] 申请号 [bold]{d['application_number']}[/]，申请日 "
                    f"{d['filing_date']}，回执 {d['receipt_id']}"
                ),
            )

    app.add_typer(receipt_app, name="receipt")


@receipt_app.command("download")
def download(
    receipt_id: Annotated[str, typer.Argument(help="receipt id")],
    out: Annotated[Path, typer.Option(help="file to write: .zip (bundle), .pdf or .json")],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Downloads a receipt of your domain: the signed bundle (.zip), the PDF or the JSON."""
    from patentdesk.cli.client import Api, home

    with errors_reported(json_out), Api(server) as api:
        api.require_login()
        fmt = {".pdf": "pdf", ".json": "json"}.get(out.suffix.lower(), "bundle")
        data = api.get(f"/api/v1/receipts/{receipt_id}", params={"format": fmt})
        out.write_bytes(
            data
            if isinstance(data, bytes)
            else json.dumps(data, ensure_ascii=False, indent=2).encode()
        )
        ca = api.get("/api/v1/pki/ca.pem")
        (home() / "ca.pem").write_bytes(ca if isinstance(ca, bytes) else str(ca).encode())
        emit({"path": str(out), "format": fmt, "size": out.stat().st_size}, json_out)


@receipt_app.command("verify")
def verify(
    file: Annotated[
        Path, typer.Argument(help="a receipt bundle (.zip)", exists=True, dir_okay=False)
    ],
    ca: Annotated[
        Path | None,
        typer.Option(
            help="the environment's CA certificate (PEM); default: the one saved at download"
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Verifies a receipt offline: both office signatures against the CA certificate."""
    from patentdesk.cli.client import home
    from patentdesk.errors import PatentDeskError
    from patentdesk.filing.receipts import verify_bundle
    from patentdesk.pki.keys import load_certificate

    with errors_reported(json_out):
        ca_path = ca or home() / "ca.pem"
        if not ca_path.exists():
            raise PatentDeskError(
                "缺少 CA 证书：请用 --ca 指定本环境的 CA 证书",
                "No CA certificate: name this environment's with --ca",
            )
        record = verify_bundle(file.read_bytes(), load_certificate(ca_path.read_bytes()))
        emit(
            {
                "valid": True,
                "application_number": record["application_number"],
                "filing_date": record["filing_date"],
                "filed_at": record.get("filed_at"),
                "business_type": record.get("business_type"),
                "environment": record.get("environment"),
            },
            json_out,
            lambda d: console.print(
                f"[green]回执有效[/] {d['application_number']} {d['filing_date']}"
            ),
        )
