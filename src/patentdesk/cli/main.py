"""The ``patentdesk`` command: desktop client, mobile app (``patentdesk mobile``), operator tools.

Sub-command groups live in their own modules and are registered here; imports of heavy
libraries stay inside the commands so that ``patentdesk --help`` starts fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

app = typer.Typer(
    name="patentdesk",
    help="PatentDesk 专利业务办理系统 — client, mobile app and operator tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module, attribute, group name or None for top-level commands)
SUBCOMMANDS: list[tuple[str, str, str | None]] = [
    ("patentdesk.cli.serve", "register", None),
    ("patentdesk.cli.admin", "app", "admin"),
    ("patentdesk.cli.login", "register", None),
    ("patentdesk.cli.org", "app", "org"),
    ("patentdesk.cli.fees", "app", "fees"),
    ("patentdesk.cli.mobile", "app", "mobile"),
    ("patentdesk.cli.sign", "register", None),
    ("patentdesk.cli.submit", "register", None),
    ("patentdesk.cli.notices", "app", "notices"),
    ("patentdesk.cli.office", "app", "office"),
    ("patentdesk.cli.certificate", "app", "certificate"),
    ("patentdesk.cli.update", "register", None),
    ("patentdesk.cli.doctor", "register", None),
    ("patentdesk.cli.package", "app", "package"),
    ("patentdesk.cli.query", "register", None),
    ("patentdesk.cli.version", "register", None),
]


def _register() -> None:
    for module_name, attr, group in SUBCOMMANDS:
        module = importlib.import_module(module_name)
        target = getattr(module, attr)
        if group is None:
            target(app)
        else:
            app.add_typer(target, name=group)


_register()


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for ``--json`` (options end at ``--``)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def main(args: Sequence[str] | None = None) -> None:
    """Runs the command line. Every failure ends in the contract's error output (SPEC §10):
    with ``--json`` one ``{"error": {...}}`` document on stderr, even for a bad command line
    (which Typer would print as text) or an OS error (which would be a traceback)."""
    from patentdesk.cli.output import (
        is_click_error,
        report_click_error,
        report_error,
        report_os_error,
    )
    from patentdesk.errors import PatentDeskError

    as_json = wants_json(sys.argv[1:] if args is None else args)
    try:
        if not as_json:
            app(args=args)  # Typer prints usage errors for people and exits itself
            return
        # Not standalone: Click's errors reach us instead of being printed as text.
        status = typer.main.get_command(app).main(args=args, standalone_mode=False)
        sys.exit(status if isinstance(status, int) else 0)
    except typer.Abort:
        report_error("ABORTED", "已取消", as_json, message_en="Aborted")
        sys.exit(1)
    except PatentDeskError as exc:  # raised outside a command's errors_reported block
        report_error(exc.code, exc.zh, as_json, message_en=exc.en, details=exc.details)
        sys.exit(1)
    except OSError as exc:
        report_os_error(exc, as_json)
        sys.exit(1)
    except Exception as exc:
        if is_click_error(exc):  # only reaches here under --json
            report_click_error(exc, as_json)
            sys.exit(getattr(exc, "exit_code", 2))
        if not as_json:
            raise  # a bug: the traceback is what its report needs
        report_error("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}", as_json)
        sys.exit(1)
