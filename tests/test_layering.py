"""Architecture, from the import graph of the project's own modules (every import statement,
module level or inside a function):

- layers point down only: coverage <- letters <- secondlook <- navigator <- app_pages <- app;
- the plain packages never import streamlit (pages stay thin);
- no import cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["coverage", "letters", "secondlook", "navigator", "app_pages", "app"]
PLAIN_PACKAGES = ["coverage", "letters", "secondlook", "navigator"]

# Cycles that exist today and are being taken apart. The test fails when a cycle not listed here
# appears, and when a listed one is gone (then delete it from this list): the list only shrinks.
KNOWN_CYCLES: list[set[str]] = []


def source_files() -> Iterator[Path]:
    for layer in LAYERS[:-1]:
        yield from sorted((ROOT / layer).rglob("*.py"))
    yield ROOT / "app.py"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def graph() -> dict[str, set[str]]:
    """module -> the project modules it imports."""
    files = {module_name(path): path for path in source_files()}
    return {name: set(_imports(name, path, files)) for name, path in files.items()}


def _imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            # `from pkg import sub` runs pkg/__init__ and names the submodule: both are edges.
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            for end in range(len(parts), 0, -1):  # the deepest project module it names
                candidate = ".".join(parts[:end])
                if candidate in known:
                    if candidate != name:
                        yield candidate
                    break


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_layers_point_down_only():
    upward = sorted(
        f"{module} (layer {LAYERS[layer(module)]}) imports {target} (layer {LAYERS[layer(target)]})"
        for module, targets in graph().items()
        for target in targets
        if layer(target) > layer(module)
    )
    assert upward == [], (
        "A lower layer imports a higher one. Move the code down, or let the higher layer "
        "register itself (e.g. CLI commands through the `secondlook.commands` entry-point "
        "group):\n" + "\n".join(upward)
    )


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def test_no_new_import_cycles_and_the_known_ones_are_still_listed_only_while_they_exist():
    cycles = strongly_connected(graph())
    new = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in cycles]
    assert new == [], f"new import cycles: {new}"
    assert gone == [], f"these cycles are gone: delete them from KNOWN_CYCLES: {gone}"


def test_the_cycle_finder_finds_cycles():
    found = strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()})
    assert found == [{"a", "b", "c"}]


def test_plain_packages_never_import_streamlit():
    offenders = []
    for package in PLAIN_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                if any(n.split(".")[0] == "streamlit" for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_coverage_package_is_ours_not_coverage_py():
    import coverage

    assert Path(coverage.__file__).resolve().parent == ROOT / "coverage"
