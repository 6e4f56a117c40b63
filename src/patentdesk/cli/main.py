"""The ``patentdesk`` command: desktop client, mobile app (``patentdesk mobile``), operator tools.

Sub-command groups live in their own modules and are registered here; imports of heavy
libraries stay inside the commands so that ``patentdesk --help`` starts fast.
"""

from __future__ import annotations

import importlib

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


def main() -> None:
    app()
