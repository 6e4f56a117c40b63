"""``patentdesk org``: organisations and account management (账户管理)."""

from __future__ import annotations

from typing import Annotated

import typer

from patentdesk.cli.common import ServerOpt
from patentdesk.cli.output import JsonOpt, emit, errors_reported

app = typer.Typer(
    help="Organisations: register, branches (分支机构), sub-accounts (子账户).",
    no_args_is_help=True,
)
branch_app = typer.Typer(help="Branches (分支机构).", no_args_is_help=True)
sub_app = typer.Typer(help="Sub-accounts (子账户).", no_args_is_help=True)
handler_app = typer.Typer(help="Handlers (经办人).", no_args_is_help=True)
app.add_typer(branch_app, name="branch")
app.add_typer(sub_app, name="subaccount")
app.add_typer(handler_app, name="handler")


def _api(server: str | None):
    from patentdesk.cli.client import Api

    api = Api(server)
    api.require_login()
    return api


@app.command("register")
def register_org(
    kind: Annotated[str, typer.Option(help="legal (法人) or agency (代理机构)")],
    name: Annotated[str, typer.Option(help="the organisation's name")],
    uscc: Annotated[str, typer.Option(help="unified social credit code (统一社会信用代码)")],
    agency_code: Annotated[str | None, typer.Option(help="agency code (agencies only)")] = None,
    main_password_stdin: Annotated[
        bool, typer.Option("--main-password-stdin", help="main account password from stdin")
    ] = False,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """A logged-in natural person registers an organisation and becomes its handler."""
    from patentdesk.cli.common import read_password_stdin

    with errors_reported(json_out), _api(server) as api:
        body = {"kind": kind, "name": name, "uscc": uscc, "agency_code": agency_code}
        if main_password_stdin:
            body["main_password"] = read_password_stdin()
        emit(api.post("/api/v1/orgs", json=body), json_out)


@app.command("memberships")
def memberships(server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    """The organisations you are a handler or sub-account of (我所在的机构)."""
    with errors_reported(json_out), _api(server) as api:
        emit(api.get("/api/v1/me/organisations"), json_out)


@app.command("leave")
def leave(
    org_id: Annotated[str, typer.Argument(help="the organisation's id (see `org memberships`)")],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Leaves an organisation: ends your handler and sub-account roles in it (退出机构)."""
    with errors_reported(json_out), _api(server) as api:
        emit(api.post(f"/api/v1/me/organisations/{org_id}/leave"), json_out)


@app.command("show")
def show_org(server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    """The organisation of the current role, with its domains."""
    with errors_reported(json_out), _api(server) as api:
        emit(api.get("/api/v1/org"), json_out)


@branch_app.command("add")
def branch_add(
    name: Annotated[str, typer.Option(help="branch name")],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Adds a branch (a separate permission domain)."""
    with errors_reported(json_out), _api(server) as api:
        emit(api.post("/api/v1/org/branches", json={"name": name}), json_out)


@branch_app.command("list")
def branch_list(server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    with errors_reported(json_out), _api(server) as api:
        emit(api.get("/api/v1/org/branches"), json_out)


@branch_app.command("edit")
def branch_edit(
    branch_id: Annotated[str, typer.Argument(help="branch id")],
    name: Annotated[str | None, typer.Option(help="new name")] = None,
    disable: Annotated[bool, typer.Option("--disable", help="disable the branch")] = False,
    enable: Annotated[bool, typer.Option("--enable", help="enable the branch")] = False,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    with errors_reported(json_out), _api(server) as api:
        body: dict[str, object] = {"name": name}
        if disable or enable:
            body["disabled"] = disable
        emit(api.request("PATCH", f"/api/v1/org/branches/{branch_id}", json=body), json_out)


@sub_app.command("add")
def sub_add(
    phone: Annotated[str, typer.Option(help="the person's registered mobile number")],
    name: Annotated[str, typer.Option(help="the person's real name")],
    branch: Annotated[str | None, typer.Option(help="branch id or name (default: main)")] = None,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Adds a sub-account for a registered natural person (one phone each)."""
    with errors_reported(json_out), _api(server) as api:
        emit(
            api.post(
                "/api/v1/org/subaccounts", json={"phone": phone, "name": name, "branch": branch}
            ),
            json_out,
        )


@sub_app.command("list")
def sub_list(server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    with errors_reported(json_out), _api(server) as api:
        emit(api.get("/api/v1/org/subaccounts"), json_out)


@sub_app.command("edit")
def sub_edit(
    account_id: Annotated[str, typer.Argument(help="sub-account id")],
    branch: Annotated[
        str | None, typer.Option(help="move to this branch (id or name; `main` for 主机构)")
    ] = None,
    disable: Annotated[bool, typer.Option("--disable")] = False,
    enable: Annotated[bool, typer.Option("--enable")] = False,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Moves a sub-account to another branch, or disables / enables it."""
    with errors_reported(json_out), _api(server) as api:
        body: dict[str, object] = {"branch": branch}
        if disable or enable:
            body["disabled"] = disable
        emit(api.request("PATCH", f"/api/v1/org/subaccounts/{account_id}", json=body), json_out)


@handler_app.command("add")
def handler_add(
    phone: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    server: ServerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    with errors_reported(json_out), _api(server) as api:
        emit(api.post("/api/v1/org/handlers", json={"phone": phone, "name": name}), json_out)
