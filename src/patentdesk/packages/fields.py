"""Dotted field paths for ``package set``: ``title``, ``applicants.0.uscc``, ``agency.agents.1.name``.

A repeated field takes an index; index N may be one past the end to add an entry. An empty
value (``inventors.1.name=``) clears a field; ``inventors.1=`` removes a whole entry. Every
assignment is checked against the form model, so a typo or a bad value is refused with an
error naming the field.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from patentdesk.packages.errors import BadAssignment, InvalidFieldValue, UnknownField


@dataclass(frozen=True)
class Assignment:
    path: str
    value: str | None  # None clears

    @classmethod
    def parse(cls, text: str) -> Assignment:
        path, sep, value = text.partition("=")
        path = path.strip()
        if not sep or not path:
            raise BadAssignment(text=text)
        return cls(path, value if value != "" else None)


def unwrap(annotation: Any) -> Any:
    """``X | None`` → X, ``Annotated[X, …]`` → X."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def list_item(annotation: Any) -> Any | None:
    if get_origin(annotation) is list:
        return unwrap(get_args(annotation)[0])
    return None


def _unknown(model: type[BaseModel], path: str, part: str) -> Exception:
    close = difflib.get_close_matches(part, list(model.model_fields), n=1)
    hint_zh = f"（是否想写 {close[0]}？）" if close else ""
    hint_en = f" (did you mean {close[0]}?)" if close else ""
    return UnknownField.bilingual(
        {"field": path, "hint": hint_zh}, {"field": path, "hint": hint_en}
    )


def field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every settable path of a form, with ``N`` for list indexes (for help and the web)."""
    paths = []
    for name, info in model.model_fields.items():
        annotation = unwrap(info.annotation)
        item = list_item(annotation)
        here = f"{prefix}{name}"
        if is_model(annotation):
            paths += field_paths(annotation, here + ".")
        elif item is not None and is_model(item):
            paths += field_paths(item, here + ".N.")
        elif item is not None:
            paths.append(here + ".N")
        else:
            paths.append(here)
    return paths


def check_path(model: type[BaseModel], path: str) -> None:
    """Raises :class:`UnknownField` when ``path`` names no field of ``model``."""
    current: Any = model
    parts = path.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if not is_model(current):
            raise UnknownField(field=path, hint="")
        if part not in current.model_fields:
            raise _unknown(current, path, part)
        annotation = unwrap(current.model_fields[part].annotation)
        item = list_item(annotation)
        if item is not None and i + 1 < len(parts):
            if not parts[i + 1].isdigit():
                raise InvalidFieldValue(
                    field=path, reason=f"{part} 是重复字段，需要序号，如 {part}.0 / needs an index"
                )
            i += 2
            current = item
            continue
        current = annotation
        i += 1


def apply(model: type[BaseModel], data: dict[str, Any], assignment: Assignment) -> dict[str, Any]:
    """Returns a copy of ``data`` with the assignment made, validated against ``model``."""
    check_path(model, assignment.path)
    result = copy.deepcopy(data)
    parts = assignment.path.split(".")
    node: Any = result
    current: Any = model
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            index = int(part)
            if index > len(node) or (index == len(node) and assignment.value is None):
                raise InvalidFieldValue(
                    field=assignment.path,
                    reason=f"序号 {index} 超出范围：现有 {len(node)} 项，下一项的序号是 "
                    f"{len(node)} / index out of range: {len(node)} entries, next index is "
                    f"{len(node)}",
                )
            if last:
                if assignment.value is None:
                    node.pop(index)
                elif is_model(current):
                    raise InvalidFieldValue(
                        field=assignment.path,
                        reason="这是一组字段，请给出其中的字段，如 .name / a group: set its fields",
                    )
                elif index == len(node):
                    node.append(assignment.value)
                else:
                    node[index] = assignment.value
                break
            if index == len(node):
                node.append({} if is_model(current) else None)
            node = node[index]
            continue
        info = current.model_fields[part]
        annotation = unwrap(info.annotation)
        item = list_item(annotation)
        if last:
            if assignment.value is None:
                node.pop(part, None)
            elif is_model(annotation) or (item is not None and is_model(item)):
                raise InvalidFieldValue(
                    field=assignment.path,
                    reason=f"这是一组字段，请给出其中的字段，如 {part}.0.name / "
                    f"a group: set its fields, e.g. {part}.0.name",
                )
            elif item is not None:
                node[part] = [v.strip() for v in assignment.value.split(",") if v.strip()]
            else:
                node[part] = assignment.value
            break
        if item is not None:
            node = node.setdefault(part, [])
            current = item
        else:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
            current = annotation
    try:
        validated = model.model_validate(result)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or assignment.path
        raise InvalidFieldValue(field=where, reason=err["msg"]) from exc
    return validated.model_dump(mode="json", exclude_none=True)
