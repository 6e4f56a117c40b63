"""How every command prints: Rich for people, one JSON document with ``--json``.

Errors go to stderr as ``{"error": {"code": ..., "message": ...}}`` with ``--json`` and the
exit status is non-zero (SPEC §10).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from patentdesk.errors import PatentDeskError

JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]

console = Console()
err_console = Console(stderr=True)


def _default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Prints ``data``: as JSON when asked, else through ``human`` (or as pretty JSON)."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=_default) + "\n")
        sys.stdout.flush()
    elif human is not None:
        human(data)
    else:
        console.print_json(json.dumps(data, ensure_ascii=False, default=_default))


def fail(
    code: str, message: str, as_json: bool, *, message_en: str | None = None, exit_code: int = 1
) -> NoReturn:
    if as_json:
        body: dict[str, Any] = {"code": code, "message": message}
        if message_en:
            body["message_en"] = message_en
        sys.stderr.write(json.dumps({"error": body}, ensure_ascii=False) + "\n")
    else:
        text = f"[bold red]错误 {code}[/]: {message}"
        if message_en and message_en != message:
            text += f"\n[dim]{message_en}[/]"
        err_console.print(text)
    raise typer.Exit(exit_code)


@contextmanager
def errors_reported(as_json: bool) -> Iterator[None]:
    """Turns a :class:`PatentDeskError` into the contract's error output and exit status."""
    try:
        yield
    except PatentDeskError as exc:
        fail(exc.code, exc.zh, as_json, message_en=exc.en)
