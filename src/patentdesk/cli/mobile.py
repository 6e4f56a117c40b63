"""``patentdesk mobile …``: the mobile app's commands (the phone side)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.common import ServerOpt, read_password_stdin
from patentdesk.cli.output import JsonOpt, console, emit, errors_reported, fail, report_error

app = typer.Typer(
    help="The mobile app (移动端 App): register, bind, scan, sign, no-scan window.",
    no_args_is_help=True,
)
window_app = typer.Typer(help="No-scan signing window (免扫码).", no_args_is_help=True)
app.add_typer(window_app, name="sign-window")

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="the phone's state folder (default: PATENTDESK_HOME)"),
]


SmsCodeOpt = Annotated[
    str | None,
    typer.Option(
        "--sms-code",
        help="the SMS code the first run had sent (omit it to have one sent)",
        show_default=False,
    ),
]


def _with_sms_code(
    run: Callable[[str | None], dict[str, Any]], sms_code: str | None, json_out: bool
) -> dict[str, Any]:
    """Runs ``run`` with the code given; when the server has just sent one, asks for it on
    a terminal, or (no terminal, e.g. a script) exits 2 with ``SMS_CODE_REQUIRED`` so the
    command is run again with ``--sms-code`` (SPEC §10)."""
    from patentdesk.mobile.app import SmsCodeRequired

    try:
        return run(sms_code)
    except SmsCodeRequired as exc:
        if sms_code is None and sys.stdin.isatty():
            code = typer.prompt(f"短信验证码 SMS code ({exc.details.get('phone', '')})")
            return run(code.strip())
        report_error(exc.code, exc.zh, json_out, message_en=exc.en, details=exc.details)
        raise typer.Exit(2) from None


def _app(home: Path | None, server: str | None) -> Any:
    from patentdesk.cli.client import home as default_home
    from patentdesk.mobile.app import MobileApp

    return MobileApp(home or default_home(), server)


@app.command()
def register(
    phone: Annotated[str, typer.Option(help="mainland mobile number")],
    name: Annotated[str, typer.Option(help="real name")],
    id_number: Annotated[str, typer.Option(help="resident ID number")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    sms_code: SmsCodeOpt = None,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Registers a natural person from the phone; creates the device and signing keys here.
    The phone number is proved by an SMS code (--sms-code, or asked for on a terminal)."""
    with errors_reported(json_out):
        password = (
            read_password_stdin()
            if password_stdin
            else typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
        )
        mobile = _app(home, server)
        result = _with_sms_code(
            lambda code: mobile.register(
                phone=phone, name=name, id_number=id_number, password=password, sms_code=code
            ),
            sms_code,
            json_out,
        )
        emit(
            result,
            json_out,
            lambda d: console.print(
                f"[green]注册成功[/] user {d['user_id']}，证书 {d['certificate_serial']}"
            ),
        )


@app.command()
def login(
    phone: Annotated[str, typer.Option(help="registered mobile number")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    device_name: Annotated[str | None, typer.Option(help="how this phone is named")] = None,
    sms_code: SmsCodeOpt = None,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Binds this phone to an existing account: the password and an SMS code sent to the
    account's phone (--sms-code, or asked for on a terminal)."""
    with errors_reported(json_out):
        password = (
            read_password_stdin()
            if password_stdin
            else typer.prompt("密码 Password", hide_input=True)
        )
        mobile = _app(home, server)
        result = _with_sms_code(
            lambda code: mobile.login(
                phone=phone, password=password, device_name=device_name, sms_code=code
            ),
            sms_code,
            json_out,
        )
        emit(result, json_out, lambda d: console.print(f"[green]已绑定[/] user {d['user_id']}"))


def _show_requester(view: Any) -> None:
    d = view.details
    what = "登录请求 login" if view.kind == "login" else "签名请求 signature"
    console.print(
        f"[bold]{what}[/] — 客户端 {d.get('client_kind')} {d.get('device_name') or ''}"
        f"，IP {d.get('ip')}，时间 {d.get('created_at')}"
    )
    if view.kind == "sign":
        console.print(
            f"  案卷 {d.get('title') or ''} ({d.get('business_type') or ''}) "
            f"摘要 {str(d.get('digest'))[:16]}…"
        )
    if d.get("requested_role"):
        console.print(f"  身份 role: {d['requested_role']}")


@app.command()
def scan(
    payload: Annotated[
        str, typer.Argument(help="the QR payload, a PNG of the QR code, or the short text code")
    ],
    approve: Annotated[bool, typer.Option("--approve", help="approve without asking")] = False,
    deny: Annotated[bool, typer.Option("--deny", help="deny without asking")] = False,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Scans a login or signing QR code: shows who asks, then approves or denies."""
    if approve and deny:
        fail(
            "BAD_OPTIONS",
            "--approve 与 --deny 只能选一个",
            json_out,
            message_en="choose one of --approve and --deny",
        )
    with errors_reported(json_out):
        mobile = _app(home, server)
        view = mobile.inspect(payload)
        if not json_out:
            _show_requester(view)
        if not (approve or deny):
            if json_out:
                emit(
                    {
                        "request": view.request,
                        "kind": view.kind,
                        "status": "shown",
                        "requester": view.details,
                    },
                    True,
                )
                return
            approve = typer.confirm("确认？ Approve?", default=False)
        result = mobile.decide(view, approve)
        emit(result, json_out, lambda d: console.print(f"{d['kind']}: {d['status']}"))


@window_app.command("open")
def window_open(
    minutes: Annotated[int, typer.Option(help="length of the window in minutes")],
    session: Annotated[str | None, typer.Option(help="client session id (default: latest)")] = None,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Opens a no-scan signing window for a logged-in client session (C6)."""
    with errors_reported(json_out):
        result = _app(home, server).open_window(minutes, session)
        emit(result, json_out, lambda d: console.print(f"免扫码已开启，至 {d['expires_at']}"))


@window_app.command("close")
def window_close(home: HomeOpt = None, server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    """Closes every open no-scan window now."""
    with errors_reported(json_out):
        result = _app(home, server).close_windows()
        emit(
            {**result, "expires_at": None},
            json_out,
            lambda d: console.print(f"已关闭 {d['closed']} 个免扫码时段"),
        )


@app.command()
def certificate(
    renew: Annotated[bool, typer.Option("--renew", help="new signing key and certificate")] = False,
    out: Annotated[Path | None, typer.Option(help="also write the certificate (PEM) here")] = None,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Shows (or renews) this phone's signing certificate."""
    with errors_reported(json_out):
        mobile = _app(home, server)
        result = mobile.renew_certificate() if renew else mobile.certificate()
        if out is not None:
            from patentdesk.pki.keys import certificate_pem

            cert = mobile.keystore.certificate()
            out.write_text(certificate_pem(cert), "utf-8")
            result["path"] = str(out)
        emit(result, json_out)


@app.command()
def devices(home: HomeOpt = None, server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    """Lists the phones bound to this account (to find a lost one's id)."""

    def show(rows: list[dict[str, Any]]) -> None:
        for d in rows:
            state = (
                "已挂失 lost" if d["revoked_at"] else ("本机 this phone" if d["this_phone"] else "")
            )
            console.print(f"{d['device_id']}  {d['name']}  {d['created_at']}  {state}")

    with errors_reported(json_out):
        emit(_app(home, server).devices(), json_out, show)


@app.command("report-lost")
def report_lost(
    device_id: Annotated[str, typer.Argument(help="the lost phone's device id")],
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """挂失: revokes a lost phone's certificates at once (from another bound phone)."""
    with errors_reported(json_out):
        emit(_app(home, server).report_lost(device_id), json_out)


@app.command("change-password")
def change_password(
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="read the current and the new password, one per line"
        ),
    ] = False,
    keep_other_sessions: Annotated[
        bool, typer.Option(help="do not end the account's other logins")
    ] = False,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """修改密码: the current password, then the new one; other logins end unless kept."""
    with errors_reported(json_out):
        if password_stdin:
            current, new = read_password_stdin(), read_password_stdin()
        else:
            current = typer.prompt("当前密码 Current password", hide_input=True)
            new = typer.prompt("新密码 New password", hide_input=True, confirmation_prompt=True)
        result = _app(home, server).change_password(
            current_password=current,
            new_password=new,
            end_other_sessions=not keep_other_sessions,
        )
        emit(
            result,
            json_out,
            lambda d: console.print(
                f"密码已修改 password changed; {d['ended_sessions']} other logins ended"
            ),
        )


@app.command("recover-password")
def recover_password(
    phone: Annotated[str, typer.Option()],
    code: Annotated[str | None, typer.Option(help="the SMS code (omit to have one sent)")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    home: HomeOpt = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """找回密码 in the app: first sends an SMS code, then resets with it (A4)."""
    with errors_reported(json_out):
        new_password = None
        if code:
            new_password = (
                read_password_stdin()
                if password_stdin
                else typer.prompt("新密码 New password", hide_input=True, confirmation_prompt=True)
            )
        result = _app(home, server).recover_password(
            phone=phone, code=code, new_password=new_password
        )
        emit(result, json_out)
