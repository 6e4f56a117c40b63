"""``patentdesk version``: which client version runs, and from where."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from patentdesk.cli.output import JsonOpt, console, emit


def running() -> dict[str, Any]:
    """The version of the code running now, its folder, and what the updater installed."""
    import patentdesk
    from patentdesk.launcher import RUNNING_ENV

    installed = os.environ.get(RUNNING_ENV)
    return {
        "version": patentdesk.__version__,
        "running": "installed" if installed else "builtin",
        "folder": str(Path(patentdesk.__file__).resolve().parent.parent),
    }


def _human(data: dict[str, Any]) -> None:
    where = "更新程序安装的版本" if data["running"] == "installed" else "随附版本"
    console.print(
        f"PatentDesk {data['version']}（{where}，{data['folder']}） / "
        f"{data['running']} client in {data['folder']}"
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def version(as_json: JsonOpt = False) -> None:
        """The running client's version and the folder it runs from."""
        emit(running(), as_json, _human)
