"""The layout rules of CONVENTIONS: services of different domains never import each other in
a cycle, and no module takes another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import patentdesk

ROOT = Path(patentdesk.__file__).parent


def _module_imports() -> dict[str, set[str]]:
    """Module → the patentdesk modules it imports when it is loaded (top level, not the
    imports inside functions that break a cycle at run time on purpose)."""
    modules = {
        "patentdesk."
        + ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in ROOT.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        name = "patentdesk." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        found: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module in modules:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_domain_service_imports_back_into_itself():
    graph = _module_imports()
    services = sorted(m for m in graph if m.endswith(".service"))
    assert "patentdesk.identity.service" in services and "patentdesk.orgs.service" in services
    cycles = {s: c for s in services if (c := _cycle_through(graph, s))}
    assert not cycles, f"import cycles through services: {cycles}"


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("patentdesk")
            ):
                offenders += [
                    f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert not offenders, offenders


SERVER_DOMAINS = ("db", "filing", "identity", "orgs", "office", "fees", "web", "drafts", "app")


def test_packages_need_no_server_domain():
    """What the offline client validates with (package format, rules, application numbers)
    lives below ``packages/`` and loads without the server's domains."""
    graph = _module_imports()
    reach = {
        f"{m} -> {d}"
        for m, deps in graph.items()
        if m.startswith("patentdesk.packages")
        for d in deps
        if d.split(".")[1] in SERVER_DOMAINS
    }
    assert not reach, sorted(reach)
