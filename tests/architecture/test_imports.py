"""The shape of disks/: no import cycles, and services that never see an HTTP request.

Imports inside functions count: a cycle hidden in a function is still a cycle.
"""

import ast
from pathlib import Path

from tests.factories import REPO_ROOT

PACKAGES = ("disks", "workspace_admin", "workspace_sim")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in (REPO_ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, at the top or inside a function alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {imported for imported in found if imported in modules and imported != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from its first module)."""
    found, done = [], set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            found.append([*trail[trail.index(node) :], node])
            return
        if node in done:
            return
        for neighbour in sorted(graph[node]):
            visit(neighbour, [*trail, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def test_no_module_of_the_dashboard_imports_itself_through_others():
    graph = import_graph()
    dashboard = {name: deps for name, deps in graph.items() if not name.startswith("workspace_sim")}
    assert cycles({name: deps & dashboard.keys() for name, deps in dashboard.items()}) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_services_never_see_an_http_request():
    graph = import_graph()
    services = [name for name in graph if name.startswith("disks.services")]
    assert services
    for name in services:
        source = _modules()[name].read_text()
        assert "django.http" not in source, f"{name} imports django.http: pass an Actor instead"


def test_the_audit_chain_imports_neither_its_writer_nor_its_readers():
    assert (
        not {"disks.services.audit", "disks.selectors.audit"} & import_graph()["disks.audit_chain"]
    )
