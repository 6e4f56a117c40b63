"""Options and helpers shared by the networked commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server", help="server base URL (default: PATENTDESK_SERVER)", show_default=False
    ),
]
NoProxyOpt = Annotated[
    bool, typer.Option("--no-proxy", help="ignore HTTP(S)_PROXY settings for this command")
]


def apply_no_proxy(no_proxy: bool) -> None:
    if no_proxy:
        os.environ["PATENTDESK_NO_PROXY"] = "1"


def read_password_stdin() -> str:
    """The first line of stdin: passwords never appear in argv or shell history."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise typer.BadParameter("no password on standard input", param_hint="--password-stdin")
    return password
