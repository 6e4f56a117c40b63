"""``patentdesk office``: the office side (role ``office``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from patentdesk.cli.common import ServerOpt
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

app = typer.Typer(
    help="Office console: worklist, accept, refuse, issue notices.", no_args_is_help=True
)
_WHICH = "the submission's id (or its first characters), or the application number"
notice_app = typer.Typer(help="Issue notices and decisions.", no_args_is_help=True)
app.add_typer(notice_app, name="notice")


def _api(server: str | None):
    from patentdesk.cli.client import Api

    api = Api(server)
    api.require_login()
    return api


def _digits(number: str) -> str:
    """An application number compared as written anywhere: without CN/ZL, dots or spaces."""
    value = re.sub(r"[^0-9A-Z/]", "", number.upper())
    return value[2:] if value.startswith(("CN", "ZL")) else value


def _submission_id(api: Any, text: str) -> str:
    """A submission's full id from what the user typed: the id, its first characters as
    the worklist shows them, or the application number of its one undecided submission."""
    from patentdesk.cli import ids

    whole = ids.full_id(text)
    if whole is not None:
        return whole
    rows = api.get("/api/v1/office/worklist", params={"status": "all", "limit": 1000})
    wanted = _digits(text)
    by_number = [r for r in rows if wanted and _digits(r["application_number"]) == wanted]
    if len(by_number) > 1:
        # An application and its follow-ups share the number: the one awaiting a decision.
        by_number = [r for r in by_number if r["status"] == "received"] or by_number
    if by_number:
        rows = by_number
    return str(
        ids.pick(
            text,
            rows,
            what=("提交", "submission"),
            also=lambda r: bool(wanted) and _digits(r["application_number"]) == wanted,
        )["id"]
    )


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
            from rich import box
            from rich.table import Table

            # Whole ids and numbers (accept and refuse take either), however narrow the
            # terminal: below 110 columns the time and signer are left to --json.
            wide = console.width >= 110
            headers = ["id", "申请号", "业务", "状态"] + (["收到", "签名人"] if wide else [])
            table = Table(*headers, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
            for column in table.columns[:2]:
                column.no_wrap = True
            for r in rows:
                cells = [r["id"], r["application_number"], r["business_type"], r["status"]]
                table.add_row(*cells, *([r["received_at"], r["signer"]] if wide else []))
            console.print(table)

        emit(rows, json_out, show)


@app.command()
def accept(
    submission_id: Annotated[str, typer.Argument(help=_WHICH)],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """受理: accepts a submission (issues 200101 and the fee notice for applications)."""
    with errors_reported(json_out), _api(server) as api:
        sub = _submission_id(api, submission_id)
        emit(api.post(f"/api/v1/office/submissions/{sub}/accept"), json_out)


@app.command()
def refuse(
    submission_id: Annotated[str, typer.Argument(help=_WHICH)],
    reason: Annotated[str, typer.Option(help="why (shown in the 200102 notice)")],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """不受理: refuses a submission with 文件不受理通知书 (200102)."""
    with errors_reported(json_out), _api(server) as api:
        sub = _submission_id(api, submission_id)
        emit(
            api.post(f"/api/v1/office/submissions/{sub}/refuse", json={"reason": reason}),
            json_out,
        )


@notice_app.command("issue")
def issue(
    application_number: Annotated[str, typer.Option(help="the application")],
    code: Annotated[str, typer.Option(help="notice code, e.g. 210407")],
    text: Annotated[str, typer.Option(help="the office's text in the notice")] = "",
    delivery: Annotated[
        str, typer.Option(help="electronic (served on arrival) or paper (presumed +15 days)")
    ] = "electronic",
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Issues a notice or decision from its template."""
    with errors_reported(json_out), _api(server) as api:
        emit(
            api.post(
                "/api/v1/office/notices",
                json={
                    "application_number": application_number,
                    "code": code,
                    "text": text,
                    "delivery": delivery,
                },
            ),
            json_out,
            lambda d: console.print(f"已发文 {d['code']} 发文序列号 {d['serial']}"),
        )
