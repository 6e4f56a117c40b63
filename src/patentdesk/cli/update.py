"""``patentdesk update`` (client) and ``patentdesk admin release …`` (operators).

The client trusts the root metadata shipped with it, installed once with
``patentdesk update --install-root root.json`` (operators get that file from
``patentdesk admin release root --out root.json`` or ``GET /api/v1/updates/root.json``
and ship it next to the client build). See docs/updates.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.output import JsonOpt, console, emit, errors_reported

NoProxyOpt = Annotated[
    bool,
    typer.Option(
        "--no-proxy",
        help="ignore HTTP(S)_PROXY/ALL_PROXY and system proxy settings (also PATENTDESK_NO_PROXY=1)",
    ),
]
ServerOpt = Annotated[
    str | None, typer.Option("--server", help="base URL of the server (default PATENTDESK_SERVER)")
]


def resolve_server(explicit: str | None = None) -> str:
    """Explicit option, else PATENTDESK_SERVER, else the logged-in session's server."""
    from patentdesk.cli.client import load_session, server_url

    if explicit or os.environ.get("PATENTDESK_SERVER"):
        return server_url(explicit)
    session = load_session() or {}
    return server_url(session.get("server"))


def _no_proxy(flag: bool) -> bool:
    from patentdesk.cli.client import no_proxy_requested

    return flag or no_proxy_requested()


def _human_update(data: dict[str, Any]) -> None:
    for event in data.get("events", []):
        console.print(
            f"[yellow]已丢弃 {event['target']}（{event['problem']}），{event['action']}[/] "
            f"[dim]discarded ({event['problem']}), {event['action']}[/]"
        )
    current, available = data.get("current"), data.get("available")
    if data.get("method") == "rollback":
        console.print(f"已回退到 {current}（原版本 {data.get('rolled_back_from')}） / rolled back")
    elif data.get("applied"):
        how = "增量包" if data.get("method") == "patch" else "完整安装包"
        verb = "已修复" if data.get("repaired") else "已更新到"
        console.print(
            f"{verb} {current}（{how}，已校验） / updated to {current} ({data['method']})"
        )
    elif data.get("downloaded"):
        console.print(f"已下载并校验 {available}：{data.get('pending')} / downloaded, not applied")
    elif data.get("update_available"):
        console.print(f"有新版本 {available}（当前 {current}） / update available")
    else:
        console.print(f"当前版本 {current or '未安装'} 已是最新 / up to date ({available})")


def register(app: typer.Typer) -> None:
    @app.command()
    def update(
        check: Annotated[
            bool, typer.Option("--check", help="only report whether an update is available")
        ] = False,
        rollback: Annotated[
            bool, typer.Option("--rollback", help="return to the previously installed version")
        ] = False,
        download_only: Annotated[
            bool,
            typer.Option("--download-only", help="download and verify into pending/, do not apply"),
        ] = False,
        install_root: Annotated[
            Path | None,
            typer.Option(
                "--install-root",
                help="first install this trusted root metadata (root.json shipped with the client)",
            ),
        ] = None,
        no_proxy: NoProxyOpt = False,
        server: ServerOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Verified client update: signed metadata, patch or full package, atomic switch."""
        from patentdesk.cli.client import home
        from patentdesk.updates.updater import ClientUpdater

        with errors_reported(as_json):
            updater = ClientUpdater(home(), resolve_server(server), no_proxy=_no_proxy(no_proxy))
            root_info = updater.install_root(install_root) if install_root else None
            if rollback:
                result = updater.rollback()
            elif check:
                result = updater.check()
            else:
                result = updater.update(download_only=download_only)
            if root_info is not None:
                result["trusted_root"] = root_info
            emit(result, as_json, _human_update)


release_app = typer.Typer(
    help="Client releases: publish packages and patches, re-sign metadata, rotate keys.",
    no_args_is_help=True,
)


def _repository() -> Any:
    from patentdesk.config import load_settings
    from patentdesk.updates.repository import ReleaseRepository

    return ReleaseRepository.in_data(load_settings().data)


@release_app.command("publish")
def publish(
    version: Annotated[str, typer.Option("--version", help="the new version, e.g. 1.2.13")],
    package: Annotated[Path, typer.Option("--package", help="the full client package (ZIP)")],
    from_version: Annotated[
        list[str] | None,
        typer.Option(
            "--from-version",
            help="make a patch from this published version (repeatable; default: the 3 latest)",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Publishes a client version: full package, bsdiff patches, new signed metadata."""
    with errors_reported(as_json):
        result = _repository().publish(version, package, from_version or None)
        emit(result, as_json)


@release_app.command("build")
def build(
    version: Annotated[str, typer.Option("--version", help="the version the build reports")],
    out: Annotated[Path, typer.Option("--out", help="where to write the package (ZIP)")],
    as_json: JsonOpt = False,
) -> None:
    """Packs this program as a client build of VERSION, ready for ``release publish``."""
    from patentdesk.updates.package import build_client_package

    with errors_reported(as_json):
        emit(build_client_package(version, out), as_json)


@release_app.command("refresh")
def refresh(
    force: Annotated[bool, typer.Option("--force", help="re-sign every role")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-signs the timestamp and any role close to expiry (run daily)."""
    with errors_reported(as_json):
        emit(_repository().refresh(force=force), as_json)


@release_app.command("rotate-keys")
def rotate_keys(
    role: Annotated[str, typer.Argument(help="root, targets, snapshot or timestamp")],
    as_json: JsonOpt = False,
) -> None:
    """Replaces a role's signing key and publishes a new root naming it."""
    with errors_reported(as_json):
        emit(_repository().rotate_keys(role), as_json)


@release_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Versions, expiry and key ids of the metadata; the latest client version."""
    with errors_reported(as_json):
        emit(_repository().status(), as_json)


@release_app.command("root")
def root(
    out: Annotated[Path, typer.Option("--out", help="where to write root.json")],
    as_json: JsonOpt = False,
) -> None:
    """Writes the trusted root metadata to ship with a client build."""
    with errors_reported(as_json):
        out.write_bytes(_repository().root_bytes())
        emit({"path": str(out)}, as_json)
