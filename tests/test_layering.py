"""Architecture: the plain packages never import streamlit (pages stay thin)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAIN_PACKAGES = ["coverage", "letters", "secondlook", "navigator"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_plain_packages_never_import_streamlit():
    offenders = [
        str(path.relative_to(ROOT))
        for package in PLAIN_PACKAGES
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
        if "streamlit" in imported_modules(path)
    ]
    assert offenders == []


def test_coverage_package_is_ours_not_coverage_py():
    import coverage

    assert Path(coverage.__file__).resolve().parent == ROOT / "coverage"
