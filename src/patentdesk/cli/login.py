"""``patentdesk login`` / ``logout`` / ``whoami`` / ``sessions``: the desktop client's login."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from patentdesk.cli.common import NoProxyOpt, ServerOpt, apply_no_proxy, read_password_stdin
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported


def _session_summary(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_id": data["user_id"],
        "role": data["role"],
        "domain": data.get("domain"),
        "domain_name": data.get("domain_name"),
        "org_id": data.get("org_id"),
        "org_name": data.get("org_name"),
        "account_id": data.get("account_id"),
        "name": data.get("name"),
        "session_id": data.get("session_id"),
        "environment": data.get("environment"),
    }


def _show_login(data: dict[str, Any]) -> None:
    where = data.get("org_name") or ""
    console.print(
        f"[green]已登录[/] {data.get('name')} — 身份 [bold]{data['role']}[/] {where} "
        f"(domain {data.get('domain_name') or data.get('domain')})"
    )


def save_login(api_server: str, data: dict[str, Any]) -> dict[str, Any]:
    from patentdesk.cli.client import save_session

    record = dict(data)
    record["server"] = api_server
    save_session(record)
    return _session_summary(data)


def register(app: typer.Typer) -> None:
    @app.command()
    def login(
        account: Annotated[
            str | None,
            typer.Option(help="password login: office user (phone) or main account (USCC)"),
        ] = None,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="read the password from stdin")
        ] = False,
        as_role: Annotated[
            str | None,
            typer.Option("--as", help="natural | handler:ORG | sub:ACCOUNT (default: natural)"),
        ] = None,
        qr_text: Annotated[
            str | None, typer.Option("--qr-text", help="also write the QR payload to this file")
        ] = None,
        qr_png: Annotated[
            str | None, typer.Option("--qr-png", help="also write the QR code as a PNG file")
        ] = None,
        timeout: Annotated[int, typer.Option(help="seconds to wait for the phone")] = 120,
        server: ServerOpt = None,
        no_proxy: NoProxyOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Logs in: by scanning a QR code with the mobile app, or with a password where that
        is allowed (office users, an organisation's main account)."""
        from patentdesk.cli.client import Api

        apply_no_proxy(no_proxy)
        with errors_reported(json_out):
            if account:
                password = (
                    read_password_stdin()
                    if password_stdin
                    else typer.prompt("密码 Password", hide_input=True)
                )
                with Api(server, use_session=False) as api:
                    data = api.post(
                        "/api/v1/auth/password-login",
                        json={
                            "account": account,
                            "password": password,
                            "client_kind": "desktop",
                            "role": as_role,
                            "device_name": "patentdesk-cli",
                        },
                    )
                    summary = save_login(api.server, data)
                emit(summary, json_out, lambda _: _show_login(data))
                return
            from patentdesk.cli.qrlogin import qr_login

            data, api_server = qr_login(
                server=server,
                role=as_role,
                qr_text=qr_text,
                qr_png=qr_png,
                timeout=timeout,
                json_out=json_out,
            )
            summary = save_login(api_server, data)
            emit(summary, json_out, lambda _: _show_login(data))

    @app.command()
    def logout(server: ServerOpt = None, json_out: JsonOpt = False) -> None:
        """Ends this computer's session on the server and forgets it here."""
        from patentdesk.cli.client import Api, ServerError, clear_session, home, load_session

        with errors_reported(json_out):
            ended = None
            if load_session():
                with Api(server) as api:
                    try:
                        ended = api.post("/api/v1/auth/logout").get("ended")
                    except ServerError:
                        ended = None  # already ended on the server: forgetting it is enough
            clear_session()
            from patentdesk.pki.clientkey import ClientKeyStore

            ClientKeyStore(home()).clear()  # the session key dies with its session
            emit(
                {"logged_out": True, "session_id": ended},
                json_out,
                lambda _: console.print("已退出登录 Logged out"),
            )

    @app.command()
    def whoami(server: ServerOpt = None, json_out: JsonOpt = False) -> None:
        """Shows the current login and the roles this user can act in."""
        from patentdesk.cli.client import Api

        with errors_reported(json_out), Api(server) as api:
            api.require_login()
            emit(api.get("/api/v1/me"), json_out)

    @app.command()
    def sessions(
        end: Annotated[
            str | None,
            typer.Option(help="end the session with this id (or its first characters)"),
        ] = None,
        server: ServerOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Lists this user's open sessions (client, IP, time) or ends one (seed A7)."""
        from patentdesk.cli.client import Api

        with errors_reported(json_out), Api(server) as api:
            api.require_login()
            if end:
                from patentdesk.cli import ids

                whole = ids.full_id(end) or str(
                    ids.pick(end, api.get("/api/v1/me/sessions"), what=("会话", "session"))["id"]
                )
                emit(api.request("DELETE", f"/api/v1/me/sessions/{whole}"), json_out)
                return
            rows = api.get("/api/v1/me/sessions")

            def show(rows: list[dict[str, Any]]) -> None:
                from rich.table import Table

                table = Table("id", "client", "IP", "role", "since", "")
                table.columns[0].no_wrap = True  # whole: --end takes it back
                for r in rows:
                    table.add_row(
                        r["id"],
                        f"{r['client_kind']} {r.get('device_name') or ''}",
                        r.get("ip") or "",
                        r["role"],
                        r["created_at"],
                        "← this" if r["current"] else "",
                    )
                console.print(table)

            emit(rows, json_out, show)
