"""``patentdesk office``: the office side (role ``office``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from patentdesk.cli.common import ServerOpt
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

app = typer.Typer(
    help="Office console: worklist, accept, refuse, issue notices.", no_args_is_help=True
)
notice_app = typer.Typer(help="Issue notices and decisions.", no_args_is_help=True)
app.add_typer(notice_app, name="notice")


def _api(server: str | None):
    from patentdesk.cli.client import Api

    api = Api(server)
    api.require_login()
    return api


@app.command()
def worklist(
    status: Annotated[str, typer.Option(help="received | accepted | refused | all")] = "received",
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Incoming submissions, oldest first."""
    with errors_reported(json_out), _api(server) as api:
        rows = api.get("/api/v1/office/worklist", params={"status": status})

        def show(rows: list[dict[str, Any]]) -> None:
            from rich.table import Table

            table = Table("id", "申请号", "业务", "状态", "收到", "签名人")
            for r in rows:
                table.add_row(
                    r["id"],
                    r["application_number"],
                    r["business_type"],
                    r["status"],
                    r["received_at"],
                    r["signer"],
                )
            console.print(table)

        emit(rows, json_out, show)


@app.command()
def accept(
    submission_id: Annotated[str, typer.Argument()],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """受理: accepts a submission (issues 200101 and the fee notice for applications)."""
    with errors_reported(json_out), _api(server) as api:
        emit(api.post(f"/api/v1/office/submissions/{submission_id}/accept"), json_out)


@app.command()
def refuse(
    submission_id: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option(help="why (shown in the 200102 notice)")],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """不受理: refuses a submission with 文件不受理通知书 (200102)."""
    with errors_reported(json_out), _api(server) as api:
        emit(
            api.post(f"/api/v1/office/submissions/{submission_id}/refuse", json={"reason": reason}),
            json_out,
        )


@notice_app.command("issue")
def issue(
    application_number: Annotated[str, typer.Option(help="the application")],
    code: Annotated[str, typer.Option(help="notice code, e.g. 210407")],
    text: Annotated[str, typer.Option(help="the office's text in the notice")] = "",
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Issues a notice or decision from its template."""
    with errors_reported(json_out), _api(server) as api:
        emit(
            api.post(
                "/api/v1/office/notices",
                json={"application_number": application_number, "code": code, "text": text},
            ),
            json_out,
            lambda d: console.print(f"已发文 {d['code']} 发文序列号 {d['serial']}"),
        )
