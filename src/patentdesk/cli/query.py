"""``patentdesk query`` (高级查询) and ``patentdesk stats`` (统计).

The options are the parameters of ``GET /api/v1/cases`` (``_`` written ``-``); the server
checks them and names a bad one. ``--json`` prints one JSON list of cases, each with at least
``application_number``, ``title``, ``status`` and ``internal_number`` (SPEC §10); ``--csv``
prints CSV with a header row.
"""

from __future__ import annotations

import csv
import io
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl, urlencode

import typer

from patentdesk.cli.common import ServerOpt
from patentdesk.cli.output import JsonOpt, emit, err_console, errors_reported, fail
from patentdesk.query.language import CSV_COLUMNS

if TYPE_CHECKING:
    from patentdesk.cli.client import Api

CsvOpt = Annotated[bool, typer.Option("--csv", help="print CSV (with a header row)")]
Opt = Annotated[str | None, typer.Option(show_default=False)]

PAGE_SIZE = 500  # the server's largest page


def _api(server: str | None) -> Api:
    from patentdesk.cli.client import Api

    api = Api(server)
    api.require_login()
    return api


def _find_saved(api: Any, name: str) -> dict[str, Any]:
    from patentdesk.errors import NotFound

    for saved in api.get("/api/v1/queries"):
        if saved["name"] == name or saved["id"] == name:
            return dict(saved)
    raise NotFound(
        "没有名为“{name}”的保存的查询（patentdesk query --list-saved 可列出）",
        "No saved query named '{name}' (patentdesk query --list-saved lists them)",
        name=name,
    )


def _fetch(api: Any, params: list[tuple[str, str]], limit: int | None) -> tuple[list[Any], bool]:
    """Follows the keyset cursor until ``limit`` rows (or all of them when ``None``)."""
    rows: list[Any] = []
    cursor: str | None = None
    while True:
        want = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(rows))
        page_params = [*params, ("limit", str(want))]
        if cursor:
            page_params.append(("cursor", cursor))
        page = api.get("/api/v1/cases", params=page_params)
        rows.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows, False
        if limit is not None and len(rows) >= limit:
            return rows, True


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        sub = r.get("sub_account") or {}
        writer.writerow(
            [
                r["application_number"],
                r["title"],
                r["status"],
                r.get("internal_number") or "",
                r.get("kind", ""),
                r.get("filing_date", ""),
                "；".join(r.get("applicants", [])),
                "；".join(r.get("inventors", [])),
                sub.get("name") or "",
                r.get("domain_name") or "",
            ]
        )
    return buffer.getvalue()


def _print_table(rows: list[dict[str, Any]], more: bool) -> None:
    from rich.table import Table

    from patentdesk.cli.output import console
    from patentdesk.query.labels import kind_label, status_label

    table = Table("申请号", "发明创造名称", "机构内部编号", "类型", "状态", "申请日")
    for r in rows:
        table.add_row(
            r["application_number"],
            r["title"],
            r.get("internal_number") or "",
            kind_label(r.get("kind", "")),
            status_label(r["status"]),
            r.get("filing_date", ""),
        )
    console.print(table)
    console.print(f"共 {len(rows)} 件" + ("（还有更多，可用 --limit N 或 --all）" if more else ""))


def query(
    application_number: Annotated[
        str | None, typer.Option(help="full (check character optional) or partial number")
    ] = None,
    title: Annotated[str | None, typer.Option(help="title contains (words: all of them)")] = None,
    applicant: Annotated[str | None, typer.Option(help="an applicant's name contains")] = None,
    inventor: Annotated[str | None, typer.Option(help="an inventor's name contains")] = None,
    internal_number: Annotated[
        str | None, typer.Option(help="机构内部编号, exact; * is a wildcard (AG-2026-*)")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="invention,utility,design,pct,pct-national")
    ] = None,
    business_type: Annotated[
        str | None, typer.Option(help="cases with a submission of this business type")
    ] = None,
    status: Annotated[str | None, typer.Option(help="case status(es), comma-separated")] = None,
    filed_from: Annotated[str | None, typer.Option(help="filing date from, YYYY-MM-DD")] = None,
    filed_to: Annotated[str | None, typer.Option(help="filing date to, YYYY-MM-DD")] = None,
    dispatched_from: Annotated[str | None, typer.Option(help="a notice dispatched from")] = None,
    dispatched_to: Annotated[str | None, typer.Option(help="a notice dispatched up to")] = None,
    sub_account: Annotated[
        str | None, typer.Option(help="submitted by this sub-account id")
    ] = None,
    notice_code: Annotated[str | None, typer.Option(help="with a notice of this type")] = None,
    deadline_from: Annotated[str | None, typer.Option(help="a notice deadline from")] = None,
    deadline_to: Annotated[str | None, typer.Option(help="a notice deadline up to")] = None,
    deadline_within: Annotated[
        int | None, typer.Option(help="a notice deadline within N days from today")
    ] = None,
    notice_unconfirmed: Annotated[
        bool,
        typer.Option("--notice-unconfirmed", help="with a notice not yet confirmed (接收确认)"),
    ] = False,
    sort: Annotated[
        str | None,
        typer.Option(
            help="-filing_date (default), filing_date, application_number, -application_number"
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="print at most N cases", min=1)] = 50,
    all_rows: Annotated[bool, typer.Option("--all", help="print every matching case")] = False,
    saved: Annotated[
        str | None, typer.Option(help="run this saved query (options given here add to it)")
    ] = None,
    save: Annotated[str | None, typer.Option(help="save the query under this name")] = None,
    list_saved: Annotated[bool, typer.Option("--list-saved", help="list saved queries")] = False,
    delete_saved: Annotated[str | None, typer.Option(help="delete this saved query")] = None,
    csv_out: CsvOpt = False,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Advanced query (高级查询) over the cases of your permission domain."""
    if csv_out and json_out:
        fail(
            "OPTIONS_CONFLICT",
            "--json 与 --csv 只能选一个",
            json_out,
            message_en="choose one of --json and --csv",
        )
    given = {
        "application_number": application_number,
        "title": title,
        "applicant": applicant,
        "inventor": inventor,
        "internal_number": internal_number,
        "kind": kind,
        "business_type": business_type,
        "status": status,
        "filed_from": filed_from,
        "filed_to": filed_to,
        "dispatched_from": dispatched_from,
        "dispatched_to": dispatched_to,
        "sub_account": sub_account,
        "notice_code": notice_code,
        "deadline_from": deadline_from,
        "deadline_to": deadline_to,
        "deadline_within": None if deadline_within is None else str(deadline_within),
        "notice_unconfirmed": "1" if notice_unconfirmed else None,
        "sort": sort,
    }
    with errors_reported(json_out), _api(server) as api:
        if list_saved:
            emit(api.get("/api/v1/queries"), json_out)
            return
        if delete_saved:
            found = _find_saved(api, delete_saved)
            api.request("DELETE", f"/api/v1/queries/{found['id']}")
            emit({"deleted": found["id"], "name": found["name"]}, json_out)
            return
        params: dict[str, str] = {}
        if saved:
            params.update(parse_qsl(_find_saved(api, saved)["query"]))
        params.update({k: v for k, v in given.items() if v is not None})
        if save:
            body = {"name": save, "query": urlencode(params)}
            emit(api.post("/api/v1/queries", json=body), json_out)
            return
        rows, more = _fetch(api, list(params.items()), None if all_rows else limit)
    if more and (json_out or csv_out):
        # The document on stdout stays the contract's list; a script reading it learns on
        # stderr that it is not every case.
        err_console.print(
            f"[yellow]只输出了前 {len(rows)} 条，还有更多：加 --all 或 --limit N / "
            f"only the first {len(rows)} cases; more match: add --all or --limit N[/]"
        )
    if json_out:
        emit(rows, True)
    elif csv_out:
        sys.stdout.write(_csv_text(rows))
    else:
        _print_table(rows, more)


def stats(
    csv_out: CsvOpt = False,
    lang: Annotated[str, typer.Option(help="labels in zh or en")] = "zh",
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Statistics (统计) of your permission domain: cases by status, type and month,
    submissions per sub-account, notices by type, deadlines due, fees paid (confirmed
    payments and yuan, in total, by method and by month)."""
    with errors_reported(json_out), _api(server) as api:
        if csv_out:
            body = api.get("/api/v1/stats.csv", params={"lang": lang})
            sys.stdout.write(body.decode("utf-8-sig").replace("\r\n", "\n"))
            return
        data = api.get("/api/v1/stats")
    if json_out:
        emit(data, True)
        return
    from rich.table import Table

    from patentdesk.cli.output import console

    console.print(f"统计（截至 {data['as_of']}）：案件总数 {data['total_cases']}")
    for section, caption in (
        ("by_status", "按状态"),
        ("by_kind", "按类型"),
        ("by_month", "按申请月份"),
        ("submissions_by_sub_account", "各子账户提交数"),
        ("notices_by_type", "按通知书类型"),
        ("deadlines_due", "即将到期的期限"),
        ("fees_paid", "已缴费用"),
    ):
        counts = data.get(section)
        if counts is None:  # fees paid, for an office user: fees belong to the domain
            console.print(f"{caption}：局方用户不显示（缴费属于案件所属的权限域）")
            continue
        money = section == "fees_paid"
        table = Table("项目", *(("笔数", "金额（元）") if money else ("数量",)), title=caption)
        for c in counts:
            label = c["label"] if lang == "zh" else c["label_en"]
            amount = (f"{Decimal(c['amount']):,.2f}",) if money and c.get("amount") else ()
            table.add_row(label, str(c["count"]), *amount)
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("query")(query)
    app.command("stats")(stats)
