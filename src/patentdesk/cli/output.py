"""How every command prints: Rich for people, one JSON document with ``--json``.

Errors go to stderr as ``{"error": {"code": ..., "message": ...}}`` with ``--json`` and the
exit status is non-zero (SPEC §10). Commands report their own errors with
:func:`errors_reported`; ``patentdesk.cli.main.main`` reports whatever escapes them (a bad
command line, an OS error) the same way.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

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


def report_error(
    code: str,
    message: str,
    as_json: bool,
    *,
    message_en: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Writes one error to stderr: the contract's JSON document, or a line or two for people."""
    if as_json:
        body: dict[str, Any] = {"code": code, "message": message}
        if message_en:
            body["message_en"] = message_en
        if details:
            body["details"] = details
        sys.stderr.write(json.dumps({"error": body}, ensure_ascii=False, default=_default) + "\n")
        sys.stderr.flush()
    else:
        text = f"[bold red]错误 {code}[/]: {escape(message)}"
        if message_en and message_en != message:
            text += f"\n[dim]{escape(message_en)}[/]"
        err_console.print(text)


def fail(
    code: str, message: str, as_json: bool, *, message_en: str | None = None, exit_code: int = 1
) -> NoReturn:
    report_error(code, message, as_json, message_en=message_en)
    raise typer.Exit(exit_code)


def report_os_error(exc: OSError, as_json: bool) -> None:
    """An OS error (unwritable file, full disk, …) as ``IO_ERROR`` naming the file and the
    reason, never a traceback."""
    reason = exc.strerror or str(exc)
    path = exc.filename
    details: dict[str, Any] = {}
    if exc.errno is not None:
        details["errno"] = errno.errorcode.get(exc.errno, str(exc.errno))
    if path is None:
        zh, en = f"系统错误：{reason}", f"System error: {reason}"
    else:
        details["path"] = os.fsdecode(path)
        zh = f"无法读写文件 {details['path']}：{reason}"
        en = f"Cannot read or write {details['path']}: {reason}"
    report_error("IO_ERROR", zh, as_json, message_en=en, details=details)


def is_click_error(exc: BaseException) -> bool:
    """A command-line error of Click's kind (usage, bad parameter, unopenable file). Known by
    class name: recent Typer raises its own copy of Click's classes, older Typer Click's."""
    return "ClickException" in _class_names(exc)


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def report_click_error(exc: Any, as_json: bool) -> None:
    """A Click error under ``--json``: ``USAGE`` for a bad command line (naming the option or
    argument), ``IO_ERROR`` for a file Click could not open. People get Typer's own output
    instead (it prints the error before we would see it)."""
    kinds = _class_names(exc)
    details: dict[str, Any] = {}
    param = getattr(exc, "param", None)
    if param is not None:
        is_option = param.param_type_name == "option" and param.opts
        details["param"] = param.opts[0] if is_option else param.name
    elif isinstance(getattr(exc, "param_hint", None), str):
        details["param"] = exc.param_hint
    elif getattr(exc, "option_name", None):
        details["param"] = exc.option_name
    if "UsageError" in kinds:
        code = "USAGE"
    elif "FileError" in kinds:
        code, details = "IO_ERROR", {"path": exc.ui_filename}
    else:
        code = "CLI_ERROR"
    report_error(code, exc.format_message(), as_json, details=details)


@contextmanager
def errors_reported(as_json: bool) -> Iterator[None]:
    """Turns a :class:`PatentDeskError` into the contract's error output and exit status."""
    try:
        yield
    except PatentDeskError as exc:
        # The server's details (the deadline missed, the rules a package fails) go to
        # scripts under --json as they came.
        report_error(exc.code, exc.zh, as_json, message_en=exc.en, details=exc.details)
        raise typer.Exit(1) from None
