"""Arrows point down: the import rules of docs/architecture.md, checked on the source.

Every module under src/opsbook is parsed with `ast`; every import counts, at the top of a
module, inside a function (the lazy ones of the CLI's start-up) and under TYPE_CHECKING:
each is a dependency a reader must know, and function-local imports are how loops hid.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"

# Every package of src/opsbook, top to bottom (mirrored in docs/architecture.md). A package
# may import itself and the packages listed after it, never one listed before it. Faces are
# the ways in; domains hold the rules; infrastructure knows no domain. `opsbook` is the
# top-level package itself (its version), `__main__` is `python -m opsbook`.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entry", ("__main__",)),
    ("face", ("cli", "web")),
    (
        "domain",
        (
            "incidents",
            "evidence",
            "backups",
            "maintenance",
            "deploy",
            "monitoring",
            "procedures",
            "notify",
            "oncall",
            "access",
            "runbook",
        ),
    ),
    (
        "infrastructure",
        (
            "worker",
            "store",
            "inputs",
            "transitions",
            "paging",
            "errors",
            "files",
            "moments",
            "opsbook",
        ),
    ),
)
ORDER = [package for _, packages in LAYERS for package in packages]
LAYER_OF = {package: layer for layer, packages in LAYERS for package in packages}

Graph = Mapping[str, frozenset[str]]


def modules(source: Path = SOURCE) -> dict[str, Path]:
    """Return every module under source/opsbook by its dotted name (a package by its own)."""
    found = {}
    for path in sorted((source / "opsbook").rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _owner(name: str, known: Mapping[str, Path]) -> str:
    """Return the module an imported name lives in: itself, else its nearest package."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def _imported(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """Return the opsbook modules this module imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(_owner(alias.name, known) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if path.name != "__init__.py":
                    package.pop()
                base = ".".join(package[: len(package) - node.level + 1] + [base] * bool(base))
            for alias in node.names:
                whole = f"{base}.{alias.name}"  # `from opsbook.web import app`: a module
                found.add(whole if whole in known else _owner(base, known))
    return {name for name in found if name.startswith("opsbook") and name != module}


def import_graph(source: Path = SOURCE) -> dict[str, frozenset[str]]:
    """Return module -> the opsbook modules it imports."""
    known = modules(source)
    return {name: frozenset(_imported(name, path, known)) for name, path in known.items()}


def package(module: str) -> str:
    """Return the top-level package a module is in (`opsbook` for opsbook/__init__.py)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_edges(graph: Graph) -> dict[tuple[str, str], list[str]]:
    """Return (importer, imported) package pairs, each with the module imports behind it."""
    edges: dict[tuple[str, str], list[str]] = {}
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            pair = (package(module), package(target))
            if pair[0] != pair[1]:
                edges.setdefault(pair, []).append(f"{module} -> {target}")
    return edges


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Return the import cycles: each strongly connected group of two or more nodes, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is a few hundred nodes
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def upward(edges: Mapping[tuple[str, str], list[str]]) -> list[str]:
    """Return the imports that go up the table of layers (or to a package not in it)."""
    wrong = []
    for (importer, imported), why in sorted(edges.items()):
        if importer not in ORDER or imported not in ORDER:
            continue  # reported by test_every_package_has_its_place_in_the_layers
        if ORDER.index(imported) < ORDER.index(importer):
            wrong.append(
                f"{importer} ({LAYER_OF[importer]}) imports {imported} "
                f"({LAYER_OF[imported]}): {'; '.join(why)}"
            )
    return wrong


@cache
def _graph() -> dict[str, frozenset[str]]:
    return import_graph()


def test_every_package_has_its_place_in_the_layers() -> None:
    packages = {package(m) for m in _graph()}
    missing = sorted(packages - set(ORDER))
    assert not missing, f"add {missing} to LAYERS here and to docs/architecture.md"
    assert not sorted(set(ORDER) - packages), "LAYERS names a package that does not exist"


def test_no_domain_or_infrastructure_imports_a_face() -> None:
    faces = {p for p in ORDER if LAYER_OF[p] in ("entry", "face")}
    wrong = [
        f"{importer} imports {imported}: {'; '.join(why)}"
        for (importer, imported), why in package_edges(_graph()).items()
        if imported in faces and importer not in faces
    ]
    assert not wrong, "\n".join(wrong)


def test_no_two_packages_import_each_other_nor_go_round_in_a_loop() -> None:
    edges = package_edges(_graph())
    graph: dict[str, set[str]] = {}
    for importer, imported in edges:
        graph.setdefault(importer, set()).add(imported)
    loops = cycles(graph)
    details = [
        f"{a} -> {b}: {'; '.join(why)}"
        for (a, b), why in edges.items()
        if any(a in loop and b in loop for loop in loops)
    ]
    assert not loops, f"package import loops {loops}:\n" + "\n".join(details)


def test_no_module_imports_one_that_imports_it_back_however_far_round() -> None:
    loops = cycles(_graph())
    assert not loops, f"module import loops: {loops}"


def test_every_import_between_packages_points_down_the_layers() -> None:
    wrong = upward(package_edges(_graph()))
    assert not wrong, "\n".join(wrong)


def test_the_architecture_page_shows_the_same_layers_in_the_same_order() -> None:
    rows = re.findall(r"^\| *(\w+) *\| *([^|]+?) *\|", DOC.read_text(), re.MULTILINE)
    shown = [(layer, tuple(re.findall(r"`([\w_]+)`", names))) for layer, names in rows]
    assert [row for row in shown if row[0] in LAYER_OF.values()] == list(LAYERS)


# The checks themselves, on small made-up trees: each must find what it looks for.


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "opsbook" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_graph_sees_function_local_relative_and_type_checking_imports(
    tmp_path: Path,
) -> None:
    source = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "cli/__init__.py": "",
            "cli/run.py": "def f():\n    from opsbook.procedures import service\n",
            "procedures/__init__.py": "",
            "procedures/service.py": "from . import engine\n",
            "procedures/engine.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from opsbook.cli.run import f\n"
            ),
        },
    )
    graph = import_graph(source)
    assert graph["opsbook.cli.run"] == {"opsbook.procedures.service"}
    assert graph["opsbook.procedures.service"] == {"opsbook.procedures.engine"}
    assert graph["opsbook.procedures.engine"] == {"opsbook.cli.run"}
    assert cycles(graph) == [
        ["opsbook.cli.run", "opsbook.procedures.engine", "opsbook.procedures.service"]
    ]
    edges = package_edges(graph)
    assert cycles({"cli": ["procedures"], "procedures": ["cli"]}) == [["cli", "procedures"]]
    assert upward(edges) == [
        "procedures (domain) imports cli (face): opsbook.procedures.engine -> opsbook.cli.run"
    ]


def test_a_domain_importing_a_domain_above_it_is_reported() -> None:
    edges = {("procedures", "incidents"): ["opsbook.procedures.service -> opsbook.incidents.g"]}
    assert upward(edges) == [
        "procedures (domain) imports incidents (domain): "
        "opsbook.procedures.service -> opsbook.incidents.g"
    ]
    assert upward({("incidents", "procedures"): ["x"]}) == []
