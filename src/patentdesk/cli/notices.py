"""``patentdesk notices``: the domain's notices (通知书) and deadlines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.common import ServerOpt
from patentdesk.cli.ids import SHORT
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

app = typer.Typer(
    help="Notices (通知书): list, confirm receipt, download, deadlines.", no_args_is_help=True
)


def _api(server: str | None):
    from patentdesk.cli.client import Api

    api = Api(server)
    api.require_login()
    return api


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("id", "代码", "发文序列号", "申请号", "发文日", "期限", "确认")
    for r in rows:
        table.add_row(
            r["id"][:SHORT],
            r["code"],
            r["serial"],
            r["application_number"],
            r["dispatch_date"],
            r.get("deadline") or "",
            "✓" if r.get("confirmed_at") else "",
        )
    console.print(table)


PAGE = 1000  # the server's largest page
NOTICE = ("通知书", "notice")


def _all_notices(api: Any, params: dict[str, Any], limit: int | None = None) -> list[dict]:
    rows: list[dict] = []
    params = dict(params)
    while limit is None or len(rows) < limit:
        size = PAGE if limit is None else min(PAGE, limit - len(rows))
        page = api.get("/api/v1/notices", params=params | {"limit": size})
        rows += page
        if len(page) < size:
            break
        params["before"] = page[-1]["id"]
    return rows


def _notice_ids(api: Any, texts: list[str]) -> list[str]:
    """Full notice ids for ``texts``: each a full id, or the first characters of the one
    notice of the domain it starts (the table shows eight)."""
    from patentdesk.cli import ids

    rows: list[dict] | None = None
    out = []
    for text in texts:
        whole = ids.full_id(text)
        if whole is None:
            rows = _all_notices(api, {}) if rows is None else rows
            whole = str(ids.pick(text, rows, what=NOTICE)["id"])
        out.append(whole)
    return out


@app.command("list")
def list_notices(
    code: Annotated[str | None, typer.Option(help="notice code, e.g. 210407")] = None,
    application_number: Annotated[str | None, typer.Option(help="application number")] = None,
    unconfirmed: Annotated[bool, typer.Option(help="only those not yet confirmed")] = False,
    source: Annotated[str | None, typer.Option(help="office | legacy")] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all", help="also notices fetched through a legacy channel (cloud re-download list)"
        ),
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="dispatched on or after this date (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="dispatched on or before this date (YYYY-MM-DD)")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="at most N notices (default: every one)")
    ] = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The domain's notices, newest first: every one that matches, fetched page by page."""
    with errors_reported(json_out), _api(server) as api:
        params = {
            "code": code,
            "application_number": application_number,
            "unconfirmed": unconfirmed,
            "source": source,
            "since": since,
            "until": until,
        }
        params = {k: v for k, v in params.items() if v}
        del all_  # every notice of the domain is listed; the flag reads as users expect
        emit(_all_notices(api, params, limit), json_out, _table)


@app.command()
def confirm(
    notice_id: Annotated[
        str, typer.Argument(help="the notice's id, or its first characters as listed")
    ],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """接收确认: confirms receipt of a notice."""
    with errors_reported(json_out), _api(server) as api:
        emit(
            api.post(f"/api/v1/notices/{_notice_ids(api, [notice_id])[0]}/confirm"),
            json_out,
            lambda d: console.print(f"已确认 {d['code']} {d['serial']}"),
        )


@app.command()
def download(
    notice_ids: Annotated[
        list[str], typer.Argument(help="one or more notice ids (or their first characters)")
    ],
    out: Annotated[Path, typer.Option(help="PDF for one notice, ZIP for several")],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Downloads notices (again, at any time: 云端二次下载)."""
    with errors_reported(json_out), _api(server) as api:
        notice_ids = _notice_ids(api, notice_ids)
        if len(notice_ids) == 1 and out.suffix.lower() != ".zip":
            data = api.get(f"/api/v1/notices/{notice_ids[0]}/pdf")
        else:
            data = api.post("/api/v1/notices/download", json={"ids": notice_ids})
        out.write_bytes(data)
        emit({"path": str(out), "count": len(notice_ids), "size": len(data)}, json_out)


@app.command()
def deadlines(
    days: Annotated[int | None, typer.Option(help="only those due within N days")] = None,
    ics: Annotated[Path | None, typer.Option(help="also export as iCalendar to this file")] = None,
    alarm_days: Annotated[
        int, typer.Option(help="with --ics: the calendar reminds this many days before")
    ] = 7,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Response deadlines of the domain, soonest first."""
    with errors_reported(json_out), _api(server) as api:
        rows = api.get("/api/v1/deadlines", params={"days": days} if days is not None else {})
        if ics is not None:
            ics.write_bytes(api.get("/api/v1/deadlines.ics", params={"alarm_days": alarm_days}))
        emit(rows, json_out, _table)
