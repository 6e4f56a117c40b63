"""``patentdesk package``: offline case-package (案卷包) editing, validation, export and import.

Works without a server. Without a login the client acts as a natural person (seed C1, C3);
the agency section needs a logged-in agency handler or sub-account (C8). Heavy imports stay
inside the commands so that ``patentdesk --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from patentdesk.cli.output import JsonOpt, console, emit, err_console, errors_reported, fail

if TYPE_CHECKING:
    from patentdesk.packages.editing import EditResult

app = typer.Typer(
    help="案卷包 Case packages: create, edit, validate, export and import (offline).",
    no_args_is_help=True,
)

BIG_FILE = 8 * 1024 * 1024
TYPES_HELP = (
    "invention|utility|design|change|response|reexam|invalidation|fee|pct|pct-national "
    "(ic-layout is refused: 集成电路布图设计 has its own platform)"
)


def _editor() -> Any:
    from patentdesk.cli.client import load_session
    from patentdesk.packages.editing import Editor

    return Editor.from_session(load_session())


def _index() -> Any:
    from patentdesk.cli.client import home
    from patentdesk.packages.store import CaseIndex

    return CaseIndex(home())


def _record(path: Path, origin: str) -> None:
    """Keeps the local case list current; a broken index never fails the edit itself."""
    try:
        _index().record(path, origin)
    except Exception as exc:
        err_console.print(f"[yellow]案卷列表未更新 / case list not updated: {exc}[/]")


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr for large files (none with --json or off a terminal)."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _edited(result: EditResult, as_json: bool, origin: str = "edit") -> None:
    _record(result.path, origin)
    if result.signatures_dropped:
        err_console.print(
            f"[yellow]案卷包已修改，原有 {result.signatures_dropped} 个签名已删除，请重新签名 / "
            f"the package changed: {result.signatures_dropped} signature(s) dropped, sign again[/]"
        )
    emit(result.to_dict(), as_json, lambda d: console.print(f"[green]✓[/] {d['path']}"))


@app.command("new")
def new(
    type_: Annotated[str, typer.Option("--type", help=TYPES_HELP)],
    out: Annotated[Path, typer.Option("--out", help="the package file to create")],
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Creates a new, empty case package of a business type."""
    with errors_reported(as_json):
        from patentdesk.packages.editing import new_package

        result = new_package(type_, out, _editor(), force=force)
        _edited(result, as_json, "new")


@app.command("set")
@app.command("edit", hidden=True)
def set_(
    file: Annotated[Path, typer.Argument(help="the package")],
    assignments: Annotated[list[str], typer.Argument(help="FIELD=VALUE, e.g. applicants.0.name=…")],
    as_json: JsonOpt = False,
) -> None:
    """Sets form fields: title=…, applicants.0.uscc=…, inventors.1.name=… (FIELD= clears)."""
    with errors_reported(as_json):
        from patentdesk.packages.editing import set_fields

        _edited(set_fields(file, assignments, _editor()), as_json)


@app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="the package")],
    path: Annotated[
        Path | None,
        typer.Argument(
            help="PDF, PNG, JPEG, TIFF, UTF-8 text, Word (.docx), CNIPA XML or ST.26 XML"
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            help="claims, description, abstract, drawings, abstract_drawing, power_of_attorney, design_views, brief_description, response, statement, evidence, other …"
        ),
    ] = None,
    related: Annotated[
        str | None,
        typer.Option(help="add a related business instead, e.g. substantive_examination"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="file name inside the package")] = None,
    replace: Annotated[bool, typer.Option(help="replace a file of the same name")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Adds an attachment under a role (text is rendered to PDF), or a related business."""
    with errors_reported(as_json):
        from patentdesk.packages.editing import add_attachment, add_related

        if related:
            _edited(add_related(file, related), as_json)
            return
        if not role or path is None:
            fail(
                "USAGE",
                "用法：package add FILE --role ROLE PATH，或 package add FILE --related KIND",
                as_json,
                message_en="Usage: package add FILE --role ROLE PATH, or package add FILE --related KIND",
            )
        size = path.stat().st_size if path.is_file() else 0
        with _progress(not as_json and size > BIG_FILE, path.name) as progress:
            result = add_attachment(
                file, role, path, filename=name, replace=replace, progress=progress
            )
        _edited(result, as_json)


@app.command("remove")
def remove(
    file: Annotated[Path, typer.Argument(help="the package")],
    name: Annotated[str, typer.Argument(help="entry path, file name, role or related business")],
    as_json: JsonOpt = False,
) -> None:
    """Removes attachments or a related business (e.g. a defective file of an imported case)."""
    with errors_reported(as_json):
        from patentdesk.packages.editing import remove_entry

        _edited(remove_entry(file, name), as_json)


@app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="the package")], as_json: JsonOpt = False
) -> None:
    """Shows a package: business type, form, files and signatures."""
    with errors_reported(as_json):
        from patentdesk.packages.container import read_package
        from patentdesk.packages.editing import describe

        with read_package(file) as package:
            data = describe(package)
        emit(data, as_json, _print_package)


def _print_package(data: dict[str, Any]) -> None:
    import json

    from rich.table import Table

    console.print(
        f"[bold]{data['business_type_name']}[/] ({data['business_type']})  {data['package_id']}"
    )
    console.print(json.dumps(data["form"], ensure_ascii=False, indent=2))
    table = Table("path", "role", "type", "size", "sha256")
    for f in data["files"]:
        table.add_row(f["path"], f["role"], f["media_type"], str(f["size"]), f["sha256"][:16] + "…")
    console.print(table)
    if data["related"]:
        console.print("关联业务 related: " + ", ".join(data["related"]))
    console.print(f"签名 signatures: {len(data['signatures'])}")


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="the package")],
    date: Annotated[
        str | None,
        typer.Option(help="filing date to check against, YYYY-MM-DD (default: today, Beijing)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Runs the validation rules (校验规则); exits 0 only when there is no error."""
    from patentdesk.errors import PatentDeskError

    with errors_reported(as_json):
        from patentdesk.cli.client import load_session
        from patentdesk.packages.container import read_package
        from patentdesk.packages.validation import ValidationContext, validate

        filing = _parse_date(date)
        context = ValidationContext.from_session(load_session(), filing)
        try:
            with read_package(file) as package:
                report = validate(package, context).to_dict()
        except PatentDeskError as exc:
            # A hostile or broken archive: the report says so too, then the error and exit 1.
            entry = {"rule": exc.code, "field": str(file), "message": exc.zh, "message_en": exc.en}
            if as_json:
                emit({"ok": False, "errors": [entry], "warnings": []}, True)
            raise
        emit(report, as_json, _print_report)
        if not report["ok"]:
            raise typer.Exit(1)


@app.command("claims")
def claims_cmd(
    file: Annotated[Path, typer.Argument(help="the package")],
    as_json: JsonOpt = False,
) -> None:
    """The claim tree (权利要求树): the claim count, independent claims by category and each
    dependent claim under the claim it refers to."""
    with errors_reported(as_json):
        from patentdesk.errors import ValidationFailed
        from patentdesk.packages.claims import analyse
        from patentdesk.packages.container import read_package
        from patentdesk.packages.validation import Check, ValidationContext

        with read_package(file) as package:
            check = Check(package, ValidationContext())
            text = check.text("claims") if "claims" in check.business.roles else None
        if text is None:
            raise ValidationFailed(
                f"{file} 没有可读取文字的权利要求书（package add --role claims）",
                f"{file} has no claims with readable text (package add --role claims)",
            )
        emit(analyse(text).to_dict(), as_json, _print_claims)


def _print_claims(data: dict[str, Any]) -> None:
    names = {"product": "产品 product", "method": "方法 method", "use": "用途 use"}
    console.print(f"权利要求 claims: {data['count']}")
    for category, numbers in data["categories"].items():
        console.print(f"  {names[category]}: {', '.join(str(n) for n in numbers)}")

    def show(node: dict[str, Any], depth: int) -> None:
        refs = node["refers_to"]
        where = f" → {', '.join(str(r) for r in refs)}" if refs and not node["independent"] else ""
        console.print(f"{'  ' * depth}{node['number']}{where}")
        for child in node["dependents"]:
            show(child, depth + 1)

    for root in data["tree"]:
        show(root, 0)


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from patentdesk.errors import ValidationFailed

        raise ValidationFailed(
            f"日期格式不正确：{value}，应为 YYYY-MM-DD", f"Bad date {value}: use YYYY-MM-DD"
        ) from None


def _print_report(report: dict[str, Any]) -> None:
    for kind, colour in (("errors", "red"), ("warnings", "yellow")):
        for f in report[kind]:
            console.print(
                f"[{colour}]{f['severity']}[/] [bold]{f['rule']}[/] {f['field']}: {f['message']}"
            )
            console.print(f"    [dim]{f['message_en']}[/]")
    if report["ok"]:
        console.print(f"[green]✓ 校验通过 / valid[/] ({len(report['warnings'])} warning(s))")
    else:
        console.print(f"[red]✗ {len(report['errors'])} 个错误 / error(s)[/]")


@app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="the package")],
    out: Annotated[Path, typer.Option("--out", help="where to write the exported package")],
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Writes a verified copy (signatures stay valid) for another computer or the office."""
    with errors_reported(as_json):
        from patentdesk.packages.editing import export_package

        size = file.stat().st_size if file.is_file() else 0
        with _progress(not as_json and size > BIG_FILE, out.name) as progress:
            result = export_package(file, out, force=force, progress=progress)
        _edited(result, as_json, "export")


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="an exported package or a legacy CPC package with list.xml")
    ],
    replace: Annotated[bool, typer.Option(help="replace a case already in the list")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Imports a package into the local case list (legacy CPC packages are converted)."""
    with errors_reported(as_json):
        from patentdesk.packages import errors as e
        from patentdesk.packages.container import read_package
        from patentdesk.packages.editing import export_package
        from patentdesk.packages.legacy import import_legacy, is_legacy, read_legacy

        index = _index()
        notes: list[str] = []
        if is_legacy(file):
            converted = read_legacy(file)
            target = index.stored_path(converted.package_id)
            if target.exists() and not replace:
                raise e.CaseAlreadyImported(package_id=converted.package_id, path=str(target))
            notes = import_legacy(file, target).notes
            origin = "import-legacy"
        else:
            with read_package(file) as package:
                package_id = package.package_id
            target = index.stored_path(package_id)
            if target.exists() and not replace:
                raise e.CaseAlreadyImported(package_id=package_id, path=str(target))
            export_package(file, target, force=True)
            origin = "import"
        for note in notes:
            err_console.print(f"[yellow]{note}[/]")
        index.record(target, origin)
        emit(
            {"path": str(target), "origin": origin},
            as_json,
            lambda d: console.print(f"[green]✓[/] {d['path']}"),
        )


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """The local case list: packages created, edited, exported or imported on this computer."""
    with errors_reported(as_json):
        entries = _index().entries()
        emit(entries, as_json, _print_list)


def _print_list(entries: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("type", "title", "internal no.", "application no.", "sig", "origin", "path")
    for item in entries:
        path = item["path"] + ("" if item["exists"] else " [red](missing)[/]")
        table.add_row(
            item.get("business_type") or "",
            item.get("title") or "",
            item.get("internal_number") or "",
            item.get("application_number") or "",
            str(item.get("signatures", 0)),
            item.get("origin") or "",
            path,
        )
    console.print(table)


@app.command("rules")
def rules(as_json: JsonOpt = False) -> None:
    """Lists the validation rules (校验规则) with their ids, fields and severities."""
    with errors_reported(as_json):
        from patentdesk.packages.validation import iter_rules

        data = [
            {
                "rule": r.id,
                "field": r.field,
                "severity": r.severity,
                "types": sorted(r.types) if r.types else None,
                "message": r.zh,
                "message_en": r.en,
            }
            for r in iter_rules()
        ]
        emit(data, as_json, _print_rules)


def _print_rules(rules: list[dict[str, Any]]) -> None:
    for r in rules:
        console.print(f"{r['severity']:8} {r['rule']:36} {r['field']}")


@app.command("fields")
def fields_cmd(
    type_: Annotated[str, typer.Option("--type", help=TYPES_HELP)],
    as_json: JsonOpt = False,
) -> None:
    """Lists the field paths of a business type's form (N stands for an index: 0, 1, …)."""
    with errors_reported(as_json):
        from patentdesk.packages.fields import field_paths
        from patentdesk.packages.registry import get_business_type

        business = get_business_type(type_)
        data = {
            "business_type": business.name,
            "fields": field_paths(business.model),
            "roles": list(business.roles),
            "required_roles": list(business.required_roles),
            "related": list(business.related),
        }
        emit(data, as_json)
