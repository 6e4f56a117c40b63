"""``patentdesk fees``: fee sheets offline; ``patentdesk admin fees``: schedules on the server.

``fees quote`` and ``fees compare`` need no server: the schedules ship with the client (plus,
when run on a server machine with ``PATENTDESK_DATA`` set, the operators' schedules of the
server's database and ``PATENTDESK_DATA/fees``). ``fees pay``, ``fees show`` and
``fees authorization`` talk to the server as the logged-in user (their domain's fees).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from patentdesk.cli.common import ServerOpt
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported, fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as Db

    from patentdesk.cli.client import Api
    from patentdesk.fees.schemas import FeeInput

app = typer.Typer(
    help="Fees: fee calculation sheets (费用计算页) and schedules.", no_args_is_help=True
)
authorization_app = typer.Typer(
    help="Authorized-deduction accounts (授权扣款) of your permission domain.",
    no_args_is_help=True,
)
app.add_typer(authorization_app, name="authorization")
fees_admin_app = typer.Typer(
    help="Fee schedules of the server, shared by every server of its database.",
    no_args_is_help=True,
)

DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Beijing date YYYY-MM-DD whose schedule applies; default: today"),
]
InputOpt = Annotated[
    Path | None,
    typer.Option("--input", help="a FeeInput JSON file instead of a case package (for scripts)"),
]
PackageArg = Annotated[Path | None, typer.Argument(help="the case package (ZIP)")]


def _date(value: str | None, as_json: bool) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(
            "INVALID_DATE",
            f"日期 {value} 格式不正确，应为 YYYY-MM-DD",
            as_json,
            message_en=f"Date {value} is not YYYY-MM-DD",
        )


def _fee_input(package: Path | None, input_file: Path | None, as_json: bool) -> FeeInput:
    from pydantic import ValidationError

    from patentdesk.fees import FeeInput, FeeInputInvalid, fee_input_from_package

    if (package is None) == (input_file is None):
        fail(
            "USAGE",
            "请给出案卷包文件或 --input FeeInput JSON 文件（二者选一）",
            as_json,
            message_en="Give either a case package FILE or --input FEE_INPUT.json (one of them)",
        )
    if package is not None:
        return fee_input_from_package(package)
    assert input_file is not None
    try:
        return FeeInput.model_validate_json(input_file.read_bytes())
    except OSError as exc:
        raise FeeInputInvalid(problems=f"{input_file}: {exc.strerror}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise FeeInputInvalid(problems=f"{input_file}: {problems}") from None


@contextmanager
def _local_schedules() -> Iterator[tuple[Path | None, Db | None]]:
    """Where this machine's schedules are: the bundled ones only, or on a server machine
    (``PATENTDESK_DATA`` set) also its data folder's and its database's, when it has one."""
    from patentdesk.fees.schedules import default_data_dir

    data_dir = default_data_dir()
    if data_dir is None:
        yield None, None
        return
    from patentdesk.config import load_settings

    settings = load_settings()
    if not settings.database_url and not (settings.data / "patentdesk.db").is_file():
        yield data_dir, None  # no server database here: nothing to create
        return
    from sqlalchemy import inspect

    with _server_session(settings) as db:
        # A database the server has not migrated yet has no shared schedules to add.
        yield data_dir, db if inspect(db.connection()).has_table("fee_schedules") else None


@contextmanager
def _server_session(settings: Any) -> Iterator[Db]:
    from patentdesk.db import Database

    database = Database(settings.sqlalchemy_url)
    try:
        with database.unit_of_work(write=False) as db:
            yield db
    finally:
        database.dispose()


def _show_sheet(data: dict[str, Any]) -> None:
    from rich.table import Table

    schedule = data["schedule"]
    table = Table(
        title=f"费用计算页 Fee sheet — {schedule['id']}（{schedule['effective_from']} 起施行）"
    )
    table.add_column("代码 code")
    table.add_column("费用名称 fee")
    table.add_column("数量 count", justify="right")
    table.add_column("金额 CNY", justify="right")
    for item in data["items"]:
        table.add_row(item["code"], item["name"], str(item["count"]), f"{item['amount']:,}")
    reduction = data["reduction"]
    if reduction["amount"]:
        rate = f"{reduction['rate'] * 100:.0f}%"
        table.add_row("reduction", f"费用减缴 {rate}", "", f"-{reduction['amount']:,}")
    table.add_row("total", "合计 total", "", f"{data['total']:,}", style="bold")
    console.print(table)
    for note in data.get("notes", []):
        console.print(f"[dim]{note['zh']} / {note['en']}[/]")


@app.command("quote")
def quote(
    package: PackageArg = None,
    date: DateOpt = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The fee calculation sheet of a package by the schedule in force on --date (Beijing).

    Without --date: the FeeInput's filing_date (with --input), else today in Beijing.
    """
    with errors_reported(as_json):
        from patentdesk.fees import calculate

        fee_input = _fee_input(package, input_file, as_json)
        # --date, else the input's filing_date, else today in Beijing
        with _local_schedules() as (data_dir, db):
            sheet = calculate(fee_input, _date(date, as_json), data_dir=data_dir, db=db)
        emit(sheet.to_json(), as_json, _show_sheet)


@app.command("compare")
def compare(
    sheet: Annotated[Path, typer.Argument(help="the submitted fee sheet (JSON)")],
    package: PackageArg = None,
    date: DateOpt = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Checks a fee sheet (e.g. for authorized deduction) against the correct amounts.

    Exit status 0 when it matches; otherwise the error lists the correct amounts.
    """
    with errors_reported(as_json):
        from patentdesk.fees import calculate, check_sheet, parse_sheet

        submitted = parse_sheet(sheet)
        fee_input = _fee_input(package, input_file, as_json)
        with _local_schedules() as (data_dir, db):
            correct = calculate(fee_input, _date(date, as_json), data_dir=data_dir, db=db)
        check_sheet(submitted, correct)
        emit(
            {"ok": True, "schedule": correct.schedule.id, "total": correct.to_json()["total"]},
            as_json,
            lambda d: console.print(f"费用计算页正确 / the sheet matches {d['schedule']}"),
        )


def _schedule_rows(
    kind: str | None, data_dir: Path | None, db: Db | None = None
) -> list[dict[str, Any]]:
    from patentdesk.fees.schedules import ScheduleBook

    rows = []
    for entry in ScheduleBook.load(data_dir, db).entries:
        s = entry.schedule
        if kind is None or s.kind == kind:
            rows.append(
                {
                    "id": s.id,
                    "kind": s.kind,
                    "effective_from": s.effective_from.isoformat(),
                    "currency": s.currency,
                    "origin": entry.origin,
                    "replaces": s.replaces,
                    "source": s.source,
                }
            )
    return rows


def _show_rows(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="收费标准 Fee schedules")
    for column in ("id", "kind", "effective_from", "origin"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["kind"], row["effective_from"], row["origin"])
    console.print(table)


KindOpt = Annotated[
    Literal["domestic", "pct"] | None, typer.Option("--kind", help="domestic or pct")
]


@app.command("schedules")
def schedules(kind: KindOpt = None, as_json: JsonOpt = False) -> None:
    """The fee schedules this client knows, oldest first."""
    with errors_reported(as_json), _local_schedules() as (data_dir, db):
        emit(_schedule_rows(kind, data_dir, db), as_json, _show_rows)


def _server_settings() -> Any:
    from patentdesk.bootstrap import prepare
    from patentdesk.config import load_settings

    settings = load_settings()
    prepare(settings)  # as every admin command: the schema, and the keys audit anchors need
    return settings


@fees_admin_app.command("add")
def admin_add(
    file: Annotated[Path, typer.Argument(help="the schedule file (YAML)")],
    replace: Annotated[
        bool, typer.Option("--replace", help="overwrite an operator-added schedule of the same id")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Validates a schedule file and adds it to the server's database: in effect on every
    server of the installation at once (no code change, no restart)."""
    with errors_reported(as_json):
        from patentdesk import audit
        from patentdesk.audit_anchor import database as anchored_database
        from patentdesk.fees import add_shared_schedule

        if not file.is_file():
            fail(
                "FILE_NOT_FOUND",
                f"文件 {file} 不存在",
                as_json,
                message_en=f"File {file} does not exist",
            )
        settings = _server_settings()
        database = anchored_database(settings)
        try:
            with database.unit_of_work() as db:
                schedule, replaced = add_shared_schedule(db, settings.data, file, replace=replace)
                audit.record(
                    db,
                    "fees.schedule_added",
                    environment=settings.environment,
                    target=f"fee_schedule:{schedule.id}",
                    kind=schedule.kind,
                    effective_from=schedule.effective_from.isoformat(),
                    replaced=replaced,
                )
        finally:
            database.dispose()
        result = {
            "id": schedule.id,
            "kind": schedule.kind,
            "effective_from": schedule.effective_from.isoformat(),
            "items": len(schedule.items),
            "replaced": replaced,
        }
        emit(
            result,
            as_json,
            lambda d: console.print(
                f"已添加收费标准 {d['id']}（{d['kind']}，{d['effective_from']} 起施行）"
                f" / schedule {d['id']} added"
            ),
        )


@fees_admin_app.command("list")
def admin_list(kind: KindOpt = None, as_json: JsonOpt = False) -> None:
    """The schedules the server uses: bundled ones (origin bundled), those operators added
    (database) and older ones in its data folder (data)."""
    with errors_reported(as_json):
        settings = _server_settings()
        with _server_session(settings) as db:
            rows = _schedule_rows(kind, settings.data, db)
        emit(rows, as_json, _show_rows)


# ---------------------------------------------------------------- on the server: paying


def _api(server: str | None) -> Api:
    from patentdesk.cli.client import Api

    api = Api(server)
    api.require_login()
    return api


def _case_id(api: Any, application_number: str) -> str:
    return str(api.get(f"/api/v1/cases/by-number/{application_number.strip()}")["id"])


MethodOpt = Annotated[
    Literal["online-banking", "payment-notice", "authorized-deduction"],
    typer.Option("--method", help="online-banking (网银) | payment-notice | authorized-deduction"),
]


def _show_payment(d: dict[str, Any]) -> None:
    console.print(
        f"缴费 {d['payment_id']}：{d['status']}，{d['amount']} 元 / payment {d['status']}"
    )
    if d.get("pay_url"):
        console.print(f"请在银行页面完成支付 / pay at the bank: {d['pay_url']}")


@app.command("pay")
def pay(
    application_number: Annotated[str, typer.Argument(help="application or PCT number")],
    method: MethodOpt,
    notice: Annotated[
        str | None, typer.Option("--notice", help="payment-notice: the 缴费通知书's serial")
    ] = None,
    sheet: Annotated[
        Path | None,
        typer.Option("--sheet", help="authorized-deduction: the fee sheet JSON (fees quote)"),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option("--amount", help="online-banking: CNY to pay (default: what is owed)"),
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="retry safely: same key, same payment")
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pays fees of a case: pending until the bank confirms. Online banking and payment
    notices print the bank's pay_url; an authorized deduction is asked of the bank, or
    refused with the correct amounts when the sheet's amounts are wrong."""
    with errors_reported(as_json), _api(server) as api:
        body: dict[str, Any] = {"method": method}
        if sheet is not None:
            import json

            from patentdesk.fees import parse_sheet

            parse_sheet(sheet)  # a clear error for an unreadable or malformed file
            body["sheet"] = json.loads(sheet.read_text("utf-8"))
        if notice is not None:
            body["notice_serial"] = notice
        if amount is not None:
            from patentdesk.fees.amounts import payment_fen

            payment_fen(amount)  # the server's own format: a clear error before any request
            body["amount"] = amount.strip()
        if idempotency_key:
            body["idempotency_key"] = idempotency_key
        case_id = _case_id(api, application_number)
        emit(api.post(f"/api/v1/cases/{case_id}/payments", json=body), as_json, _show_payment)


def _show_fees(d: dict[str, Any]) -> None:
    case = d["case"]
    console.print(
        f"{case['application_number']}  应缴 due {d['due']}  已缴 paid {d['paid']}  "
        f"余额 balance {d['balance']}  ({d['state']})  缴费期限 pay by {d['due_on'] or '—'}"
    )
    if d.get("sheet"):
        _show_sheet(d["sheet"])
    if d.get("explanation"):
        console.print(f"[dim]{d['explanation']['zh']}[/]")
    for p in d["payments"]:
        console.print(
            f"  {p['created_at']}  {p['payment_id']}  {p['method']}  {p['amount']}  {p['status']}"
        )
    pending = d.get("pending_payment")
    if pending:
        console.print(
            f"待银行确认 / awaiting the bank: {pending['payment_id']} ({pending['amount']} 元)；"
            "完成支付或撤销 / finish it or cancel it: "
            f"patentdesk fees cancel {case['application_number']}"
        )
        if pending.get("pay_url"):
            console.print(f"  {pending['pay_url']}")
    if d.get("refund"):
        console.print(f"[yellow]{d['refund']['zh']}[/]")
        console.print(f"[yellow]{d['refund']['en']}[/]")


@app.command("show")
def show(
    application_number: Annotated[str, typer.Argument(help="application or PCT number")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A case's fees: the sheet, which schedule applies and why, payments and the balance."""
    with errors_reported(as_json), _api(server) as api:
        case_id = _case_id(api, application_number)
        emit(api.get(f"/api/v1/cases/{case_id}/fees"), as_json, _show_fees)


@app.command("cancel")
def cancel(
    application_number: Annotated[str, typer.Argument(help="application or PCT number")],
    payment_id: Annotated[
        str | None,
        typer.Option("--payment", help="the payment id (default: the one awaiting the bank)"),
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancels the case's payment awaiting the bank, so that its fees can be paid another
    way (a case has at most one such payment; `fees show` names it)."""
    with errors_reported(as_json), _api(server) as api:
        case_id = _case_id(api, application_number)
        chosen = (payment_id or "").strip().lower()
        if not chosen:
            pending = api.get(f"/api/v1/cases/{case_id}/fees").get("pending_payment")
            if not pending:
                from patentdesk.fees.errors import PaymentNotFound

                raise PaymentNotFound(
                    "申请 {n} 没有待银行确认的缴费",
                    "Application {n} has no payment awaiting the bank",
                    n=application_number,
                )
            chosen = pending["payment_id"]
        elif len(chosen) < 36:  # a unique prefix of an id `fees show` printed
            ids = [
                p["payment_id"]
                for p in api.get(f"/api/v1/cases/{case_id}/fees")["payments"]
                if p["payment_id"].startswith(chosen)
            ]
            if len(ids) != 1:
                from patentdesk.fees.errors import PaymentNotFound

                raise PaymentNotFound()
            chosen = ids[0]
        emit(
            api.post(f"/api/v1/cases/{case_id}/payments/{chosen}/cancel"),
            as_json,
            _show_payment,
        )


@authorization_app.command("add")
def authorization_add(
    account_name: Annotated[str, typer.Option("--account-name", help="账户名称")],
    account_number: Annotated[str, typer.Option("--account-number", help="账号")],
    bank: Annotated[str, typer.Option("--bank", help="开户行")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Authorises an account for deductions of your domain's fees; it deducts nothing until
    you confirm it at the bank (the printed verify_url) and the bank verifies it."""
    with errors_reported(as_json), _api(server) as api:
        body = {"account_name": account_name, "account_number": account_number, "bank": bank}
        emit(api.post("/api/v1/fees/authorizations", json=body), as_json, _show_authorization)


def _show_authorization(d: dict[str, Any]) -> None:
    console.print(
        f"授权扣款账户 {d['account_number']}：{d['status']} / authorization {d['id']}: "
        f"{d['status']}"
    )
    if d.get("verify_url"):
        console.print(
            f"请在银行页面确认授权，确认前不会扣款 / confirm at the bank: {d['verify_url']}"
        )


@authorization_app.command("list")
def authorization_list(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Your domain's authorized-deduction accounts."""
    with errors_reported(as_json), _api(server) as api:
        emit(api.get("/api/v1/fees/authorizations"), as_json)


@authorization_app.command("revoke")
def authorization_revoke(
    authorization_id: Annotated[str, typer.Argument(help="the authorization id")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revokes an authorization: no more deductions from that account."""
    with errors_reported(as_json), _api(server) as api:
        emit(api.request("DELETE", f"/api/v1/fees/authorizations/{authorization_id}"), as_json)
