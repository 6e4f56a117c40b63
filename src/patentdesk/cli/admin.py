"""``patentdesk admin``: operator tools acting on the data folder directly."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Operator tools on the server machine (act on PATENTDESK_DATA).", no_args_is_help=True
)

from patentdesk.cli.update import release_app  # noqa: E402  (client releases, docs/updates.md)

app.add_typer(release_app, name="release")
