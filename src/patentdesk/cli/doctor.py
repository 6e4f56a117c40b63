"""``patentdesk doctor``: diagnostics with the fix for each problem (SPEC §8)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from patentdesk.cli.output import JsonOpt
from patentdesk.cli.update import NoProxyOpt, ServerOpt

_MARK = {"ok": "✓", "info": "i", "warning": "!", "error": "✗", "skipped": "-"}


def _can_print(text: str) -> bool:
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "ascii")
    except (LookupError, UnicodeError):
        return False
    return True


def _print_human(checks: list[dict[str, Any]]) -> None:
    # The terminal being diagnosed may be unable to show Chinese (A12): fall back to
    # English and plain marks rather than crash.
    chinese = _can_print("中文✓✗")
    for check in checks:
        mark = _MARK.get(check["level"], "?") if chinese else check["level"].upper()
        lines = [f"{mark} {check['name']}: {check['message'] if chinese else check['message_en']}"]
        if chinese:
            lines.append(f"    {check['message_en']}")
        if check.get("fix"):
            lines.append(
                f"    修复 / fix: {check['fix']}" if chinese else f"    fix: {check['fix_en']}"
            )
            if chinese:
                lines.append(f"    {check['fix_en']}")
        sys.stdout.write("\n".join(lines) + "\n")


def _repair(home: Path, server: str, no_proxy: bool) -> dict[str, Any]:
    """``patentdesk update`` for a damaged install; its error, if any, as data."""
    from patentdesk.cli.client import no_proxy_requested
    from patentdesk.errors import PatentDeskError
    from patentdesk.updates.updater import ClientUpdater

    try:
        updater = ClientUpdater(home, server, no_proxy=no_proxy or no_proxy_requested())
        return updater.update()
    except PatentDeskError as exc:
        return {
            "applied": False,
            "error": {"code": exc.code, "message": exc.zh, "message_en": exc.en},
        }


def _print_repair(result: dict[str, Any]) -> None:
    if result.get("applied"):
        sys.stdout.write(
            f"已修复：重新安装了 {result['current']} / repaired: {result['current']} reinstalled\n"
        )
    elif "error" in result:
        error = result["error"]
        sys.stdout.write(
            f"修复失败 / repair failed: {error['message']}\n    {error['message_en']}\n"
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        no_proxy: NoProxyOpt = False,
        server: ServerOpt = None,
        repair: Annotated[
            bool,
            typer.Option(
                "--repair",
                help="when installed files are damaged, repair them (as patentdesk update)",
            ),
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Checks proxy, server address, installed files, QR display, clock, session."""
        from patentdesk.cli.client import home, no_proxy_requested
        from patentdesk.cli.update import resolve_server
        from patentdesk.updates.doctor import run_checks

        checks = run_checks(
            home(),
            resolve_server(server),
            explicit_server=bool(server or os.environ.get("PATENTDESK_SERVER")),
            no_proxy=no_proxy or no_proxy_requested(),
        )
        extra: dict[str, Any] = {}
        install = next(c for c in checks if c["name"] == "install")
        if repair and not install["ok"]:
            extra["repair"] = _repair(home(), resolve_server(server), no_proxy)
            if extra["repair"].get("applied"):
                from dataclasses import asdict

                from patentdesk.updates.doctor.local import check_install

                checks[checks.index(install)] = asdict(check_install(home()))
        ok = all(c["ok"] for c in checks)
        if as_json:
            # JSON is UTF-8; under a legacy code page (A12) ASCII escapes keep it readable.
            encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
            ascii_only = encoding != "utf8"
            sys.stdout.write(
                json.dumps({"ok": ok, "checks": checks, **extra}, ensure_ascii=ascii_only) + "\n"
            )
        else:
            _print_human(checks)
            if "repair" in extra:
                _print_repair(extra["repair"])
        if not ok:
            raise typer.Exit(1)
