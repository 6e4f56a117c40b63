"""``patentdesk admin``: operator tools acting on the data folder directly."""

from __future__ import annotations

import typer

from patentdesk.cli.fees import fees_admin_app

app = typer.Typer(
    help="Operator tools on the server machine (act on PATENTDESK_DATA).", no_args_is_help=True
)
app.add_typer(fees_admin_app, name="fees")
