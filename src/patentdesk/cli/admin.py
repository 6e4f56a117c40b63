"""``patentdesk admin``: operator tools acting on the data folder directly."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from patentdesk.cli.alerts import alerts_app
from patentdesk.cli.fees import fees_admin_app
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported, fail
from patentdesk.cli.update import release_app

app = typer.Typer(
    help="Operator tools on the server machine (act on PATENTDESK_DATA).", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(fees_admin_app, name="fees")
app.add_typer(alerts_app, name="alerts")
numbers_app = typer.Typer(
    help="Application-number counters: never re-issue a number after a restore.",
    no_args_is_help=True,
)
app.add_typer(numbers_app, name="numbers")


def _settings():
    from patentdesk.bootstrap import prepare
    from patentdesk.config import load_settings

    settings = load_settings()
    prepare(settings)
    return settings


@app.command("create-office-user")
def create_office_user(
    phone: Annotated[str, typer.Option(help="the office user's mobile number")],
    name: Annotated[str, typer.Option(help="the office user's name")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Creates an office-side user (role office)."""
    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.cli.common import read_password_stdin
    from patentdesk.identity.service import Context, create_office_user

    with errors_reported(json_out):
        settings = _settings()
        password = (
            read_password_stdin()
            if password_stdin
            else typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
        )
        db = anchored_database(settings)
        with db.unit_of_work() as s:
            user = create_office_user(
                s, Context(settings), phone=phone, name=name, password=password
            )
            user_id = str(user.id)
        db.dispose()
        emit({"user_id": user_id}, json_out, lambda d: console.print(f"office user {d['user_id']}"))


@app.command("sms-outbox")
def sms_outbox(
    phone: Annotated[str | None, typer.Option(help="only messages to this phone")] = None,
    last_code: Annotated[
        bool,
        typer.Option("--last-code", help="print only the newest code sent to --phone (scripts)"),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Messages the default SMS gateway wrote."""
    from patentdesk.config import load_settings
    from patentdesk.identity.service import clean_phone
    from patentdesk.identity.sms import outbox_store, read_outbox

    with errors_reported(json_out):
        settings = load_settings()
        if last_code and not phone:
            fail(
                "USAGE",
                "--last-code 需要 --phone：给出收到验证码的手机号",
                json_out,
                message_en="--last-code needs --phone: the number the code was sent to",
            )
        messages = read_outbox(
            settings.data, clean_phone(phone) if phone else None, outbox_store(settings)
        )
        if last_code:
            codes = [m["code"] for m in messages if m.get("code")]
            if not codes:
                fail(
                    "SMS_CODE_NOT_FOUND",
                    f"短信发件箱中没有发给 {phone} 的验证码（数据目录 {settings.data}）",
                    json_out,
                    message_en=f"No code to {phone} in the SMS outbox (data folder "
                    f"{settings.data})",
                )
            emit({"code": codes[-1]}, json_out, lambda d: print(d["code"]))
            return

        def show(rows: list[dict[str, str]]) -> None:
            for m in rows:
                console.print(f"{m['sent_at']}  {m['phone']}  {m['text']}")

        emit(messages, json_out, show)


@app.command("import-legacy")
def import_legacy(
    archive: Annotated[str, typer.Argument(help="legacy notice archive (ZIP or folder)")],
    org: Annotated[str, typer.Option(help="organisation: USCC, agency code, name or id")],
    json_out: JsonOpt = False,
) -> None:
    """Imports a legacy archive's notices into the organisation's main institution (A11);
    running it again imports nothing twice."""

    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.blobs import blobs_for
    from patentdesk.identity.service import Context
    from patentdesk.notices.legacy_import import import_archive

    with errors_reported(json_out):
        settings = _settings()
        db = anchored_database(settings)
        with db.unit_of_work() as s:
            report = import_archive(s, Context(settings), Path(archive), org, blobs_for(settings))
        db.dispose()
        emit(
            report.__dict__,
            json_out,
            lambda d: console.print(f"导入 {d['imported']} 份，跳过 {d['skipped']} 份（已存在）"),
        )


@app.command("import-accounts")
def import_accounts(
    file: Annotated[
        Path, typer.Argument(help="UTF-8 CSV: login_name, phone, name, id_number, password_hash")
    ],
    passwords_out: Annotated[
        Path | None,
        typer.Option(
            "--passwords-out",
            help="where to write the initial passwords generated for rows without a hash "
            "(created 0600; required when there are such rows)",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Imports legacy accounts as they are; an incomplete one must complete its profile
    (补录) before it can log in (A1). One bad row: nothing is imported. Existing accounts are
    skipped, so running it again imports nothing twice."""
    import csv
    import os

    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.identity.legacy_accounts import import_accounts as run_import
    from patentdesk.identity.legacy_accounts import read_csv
    from patentdesk.identity.service import Context

    with errors_reported(json_out):
        try:
            rows = read_csv(file.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            fail("ACCOUNT_FILE_UNREADABLE", f"无法读取账户文件 Cannot read {file}: {exc}", json_out)
        needs_passwords = any(not r.get("password_hash") for r in rows)
        if needs_passwords and passwords_out is None:
            fail(
                "PASSWORDS_OUT_REQUIRED",
                "有账户没有密码哈希，将生成初始密码：请用 --passwords-out FILE 指定保存位置 / "
                "Some rows have no password hash; initial passwords will be generated: give "
                "--passwords-out FILE",
                json_out,
            )
        if passwords_out is not None and passwords_out.exists():
            fail("OUTPUT_EXISTS", f"{passwords_out} 已存在 already exists", json_out)
        settings = _settings()
        db = anchored_database(settings)
        try:
            with db.unit_of_work() as s:
                report = run_import(s, Context(settings), rows)
                generated = [a for a in report.imported if a.initial_password]
                if generated and passwords_out is not None:
                    # Written inside the transaction: no account exists whose password is lost.
                    fd = os.open(passwords_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                        writer = csv.writer(out)
                        writer.writerow(["account", "initial_password", "missing"])
                        for a in generated:
                            writer.writerow([a.account, a.initial_password, " ".join(a.missing)])
        finally:
            db.dispose()
        data = report.to_dict() | {
            "passwords_file": str(passwords_out) if generated and passwords_out else None
        }

        def show(d: dict) -> None:
            console.print(
                f"导入 {d['imported']} 个账户（其中 {d['incomplete']} 个需要补录），"
                f"跳过 {d['skipped']} 个（已存在）"
            )
            if d["passwords_file"]:
                console.print(f"初始密码 initial passwords: {d['passwords_file']}")

        emit(data, json_out, show)


@audit_app.command("verify")
def audit_verify(json_out: JsonOpt = False) -> None:
    """Recomputes the audit log's hash chain and checks it against the signed checkpoints
    kept outside the database; exit 1 at the first break."""
    from patentdesk.audit import verify_chain
    from patentdesk.audit_anchor import AnchorFailed, verify_anchors
    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.cli.output import report_error

    with errors_reported(json_out):
        settings = _settings()
        db = anchored_database(settings)
        anchor_error: AnchorFailed | None = None
        with db.unit_of_work() as s:
            report = verify_chain(s)
            anchors = None
            if report.ok:
                try:
                    anchors = verify_anchors(s, settings)
                except AnchorFailed as exc:
                    anchor_error = exc
        db.dispose()
        if not report.ok:
            fail(
                "AUDIT_CHAIN_BROKEN",
                f"审计日志哈希链断裂：事件 {report.first_bad_seq}（{report.reason}）",
                json_out,
                message_en=f"Audit chain broken at event {report.first_bad_seq}: {report.reason}",
            )
        if anchor_error is not None:
            report_error(
                anchor_error.code,
                anchor_error.zh,
                json_out,
                message_en=anchor_error.en,
                details=anchor_error.details,
            )
            raise typer.Exit(1)
        assert anchors is not None
        data = {
            "ok": True,
            "events": report.events,
            "first_bad_seq": None,
            "reason": None,
            "checkpoints": anchors.checkpoints,
            "anchored_seq": anchors.anchored_seq,
            "checkpoint_file": anchors.checkpoint_file,
        }
        emit(
            data,
            json_out,
            lambda d: console.print(
                f"audit log OK: {d['events']} events, {d['checkpoints']} signed checkpoints "
                f"(up to event {d['anchored_seq']})"
            ),
        )


@audit_app.command("checkpoint")
def audit_checkpoint(json_out: JsonOpt = False) -> None:
    """Signs a checkpoint of the audit chain's current head now (after verifying the chain):
    for a log written before checkpoints existed."""
    from patentdesk.audit import AuditEvent, AuditHead, verify_chain
    from patentdesk.audit_anchor import checkpoint_path, write_checkpoint
    from patentdesk.audit_anchor import database as anchored_database

    with errors_reported(json_out):
        settings = _settings()
        db = anchored_database(settings)
        with db.unit_of_work() as s:
            report = verify_chain(s)
            head = s.get(AuditHead, 1)
            last = s.query(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1).scalar()
        db.dispose()
        if not report.ok:
            fail(
                "AUDIT_CHAIN_BROKEN",
                f"审计日志哈希链断裂：事件 {report.first_bad_seq}（{report.reason}），不予签名",
                json_out,
                message_en=f"Audit chain broken at event {report.first_bad_seq}: "
                f"{report.reason}; not signed",
            )
        written = head is not None and last is not None
        if written:
            assert head is not None and last is not None
            written = write_checkpoint(settings, int(last), head.count, head.last_hash)
            if not written:
                fail(
                    "AUDIT_CHECKPOINT_NOT_WRITTEN",
                    f"无法写入审计检查点文件 {checkpoint_path(settings)}",
                    json_out,
                    message_en=f"Cannot write the audit checkpoint file {checkpoint_path(settings)}",
                )
        emit(
            {"written": written, "events": report.events, "file": str(checkpoint_path(settings))},
            json_out,
            lambda d: console.print(
                f"checkpoint {'written' if d['written'] else 'not needed'}: {d['events']} events"
            ),
        )


@app.command("purge")
def purge(json_out: JsonOpt = False) -> None:
    """Deletes expired QR and SMS codes, login challenges, old failed-login records and
    abandoned uploads now (the server also does it every hour)."""
    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.housekeeping import purge as run_purge

    with errors_reported(json_out):
        settings = _settings()
        db = anchored_database(settings)
        counts = run_purge(db, settings)
        db.dispose()
        emit(
            counts,
            json_out,
            lambda d: console.print(
                "已清理 purged: " + ", ".join(f"{k} {v}" for k, v in d.items())
            ),
        )


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Option("--out", help="the archive to write (.tar)")],
    json_out: JsonOpt = False,
) -> None:
    """备份: the data folder (SQLite snapshot, blobs, drafts, keys) as one verified archive;
    the server may keep running. The archive holds private keys: keep it like them."""
    from rich.progress import BarColumn, DownloadColumn, Progress

    from patentdesk.backup import create_backup
    from patentdesk.config import load_settings

    with errors_reported(json_out):
        settings = load_settings()
        if not settings.data.is_dir():
            fail(
                "DATA_FOLDER_MISSING",
                f"数据目录不存在：{settings.data}",
                json_out,
                message_en=f"No data folder at {settings.data}",
            )
        total = sum(f.stat().st_size for f in settings.data.rglob("*") if f.is_file())
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            disable=json_out,
            transient=True,
        ) as progress:
            task = progress.add_task("备份 backup", total=total)
            result = create_backup(settings, out, progress=lambda n: progress.advance(task, n))
        emit(
            result,
            json_out,
            lambda d: console.print(
                f"备份完成 {d['path']}: {d['files']} files, {d['bytes']} bytes"
                + ("" if d["database"] == "sqlite" else "（PostgreSQL 请用 pg_dump 另行备份）")
            ),
        )


@app.command("restore")
def restore(
    archive: Annotated[Path, typer.Argument(help="an archive made by `admin backup`")],
    force: Annotated[
        bool, typer.Option(help="replace a non-empty data folder (it is kept, renamed)")
    ] = False,
    number_floor: Annotated[
        list[str] | None,
        typer.Option(
            help="a number known to be issued after the backup (repeatable): "
            "new numbers continue above it"
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """恢复: checks every file of the archive, then puts it in place as the data folder.
    Stop the server first. Number counters then continue above every number the restored
    database shows, every number the object store's markers show (those of the data folder
    being replaced, too) and every --number-floor, so no number is ever issued twice."""
    from patentdesk.backup import restore_backup
    from patentdesk.blobs import blobs_for
    from patentdesk.cluster import migrate_once
    from patentdesk.config import load_settings
    from patentdesk.filing.floors import keep_markers, stored_numbers

    with errors_reported(json_out):
        settings = load_settings()  # not prepared: that would write into the folder
        floors = list(number_floor or [])
        _check_numbers(floors)
        # Read before the folder is replaced: in the embedded default the object store is
        # the data folder, and the markers of numbers issued after the backup are there.
        stored = stored_numbers(blobs_for(settings))
        result = restore_backup(archive, settings.data, force=force)
        migrate_once(settings.sqlalchemy_url)
        keep_markers(blobs_for(settings), stored)  # so the restored folder has them too
        result["numbers"] = _raise_floors(settings, floors)
        emit(result, json_out, _show_restored)


def _check_numbers(given: list[str]) -> None:
    from patentdesk.filing.floors import series_of

    for number in given:
        series_of(number)  # a typo is refused before anything changes


def _raise_floors(settings, given: list[str]) -> dict:
    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.blobs import blobs_for
    from patentdesk.filing.floors import raise_floors, stored_numbers

    every = stored_numbers(blobs_for(settings))
    db = anchored_database(settings)
    try:
        with db.unit_of_work() as s:
            return raise_floors(s, given, environment=settings.environment, stored=every)
    finally:
        db.dispose()


_SOURCES = {
    "operator": ("运维人员给出的下限", "a floor the operator gave"),
    "database": ("数据库中的编号", "the database"),
    "object_store": ("对象存储中的编号记录", "the object store's number records"),
}


def _show_numbers(d: dict) -> None:
    for change in d["raised"]:
        zh, en = _SOURCES.get(change["source"], (change["source"], change["source"]))
        console.print(
            f"编号 {change['series']} 从 {change['next_serial']} 继续（原为 "
            f"{change['next_serial_before']}；依据{zh} {change['above']}） / numbers "
            f"{change['series']} now continue at {change['next_serial']} (was "
            f"{change['next_serial_before']}; above {change['above']} from {en})"
        )
    if not d["raised"]:
        console.print("编号计数无需调整 / number counters needed no change")
    if d.get("object_store"):
        shown = ", ".join(d["object_store"].values())
        console.print(f"对象存储中各序列的最高编号 / highest numbers in the object store: {shown}")


def _show_restored(d: dict) -> None:
    console.print(f"已恢复 restored {d['files']} files into {d['data']}")
    _show_numbers(d["numbers"])


@numbers_app.command("floor")
def numbers_floor(
    numbers: Annotated[
        list[str] | None,
        typer.Argument(help="numbers already issued (e.g. 202610012345.6, PCT/CN2026/000123)"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Makes new numbers continue above the given ones and above every number in the
    database (after restoring a database from a backup, before the servers start)."""
    with errors_reported(json_out):
        given = list(numbers or [])
        _check_numbers(given)
        settings = _settings()
        emit(_raise_floors(settings, given), json_out, _show_numbers)


app.add_typer(release_app, name="release")
