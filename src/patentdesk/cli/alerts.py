"""``patentdesk admin alerts``: the alert queue (e-mail and SMS) on the server machine."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

alerts_app = typer.Typer(help="Alerts (提醒): send the queue, list it.", no_args_is_help=True)


def _database() -> tuple[Any, Any]:
    from patentdesk.audit_anchor import database as anchored_database
    from patentdesk.bootstrap import prepare
    from patentdesk.config import load_settings

    settings = load_settings()
    prepare(settings)
    return settings, anchored_database(settings)


@alerts_app.command("send")
def send(
    now: Annotated[
        bool,
        typer.Option(
            "--now", help="also alerts waiting for their next try (e.g. the SMTP server is back)"
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Queues today's deadline alerts and sends the queue through PATENTDESK_SMTP_URL (what
    the server does every PATENTDESK_ALERTS_INTERVAL_SECONDS). Safe to run at any time, on
    several machines at once: no alert goes twice."""
    from patentdesk.alerts.sweep import sweep

    with errors_reported(json_out):
        settings, db = _database()
        try:
            report = sweep(db, settings, force=now)
        finally:
            db.dispose()

        def show(d: dict[str, Any]) -> None:
            console.print(
                f"期限提醒入队 deadline alerts queued: {d['queued_deadline_alerts']}  "
                f"已发送 sent: {d['sent']}  待重试 retry later: {d['retry_later']}  "
                f"失败 failed: {d['failed']}"
            )
            if d["waiting_for_smtp"]:
                console.print(
                    f"{d['waiting_for_smtp']} 封邮件等待配置 PATENTDESK_SMTP_URL / "
                    "e-mails wait for PATENTDESK_SMTP_URL to be set"
                )
            for error in d["errors"]:
                console.print(f"SMTP: {error}")

        emit(asdict(report), json_out, show)


@alerts_app.command("list")
def list_queue(
    status: Annotated[
        str | None, typer.Option(help="pending, sent or failed (default: all)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    json_out: JsonOpt = False,
) -> None:
    """The newest alerts with their status, tries and last error."""
    from patentdesk.alerts.service import alert_out, list_alerts
    from patentdesk.errors import ValidationFailed

    with errors_reported(json_out):
        if status not in (None, "pending", "sent", "failed"):
            raise ValidationFailed(
                "状态只能是 pending、sent 或 failed：{value}",
                "status must be pending, sent or failed: {value}",
                value=status,
                details={"field": "status"},
            )
        from patentdesk.config import load_settings
        from patentdesk.db import Database

        db = Database(load_settings().sqlalchemy_url)  # reads only: no set-up steps
        try:
            with db.unit_of_work(write=False) as s:
                rows = [alert_out(a) for a in list_alerts(s, status, limit)]
        finally:
            db.dispose()

        def show(items: list[dict[str, Any]]) -> None:
            for a in items:
                console.print(
                    f"{a['created_at']}  {a['status']:<7}  {a['channel']:<5}  "
                    f"{a['recipient']}  {a['subject']}"
                    + (f"  ({a['last_error']})" if a["last_error"] else "")
                )

        emit(rows, json_out, show)
