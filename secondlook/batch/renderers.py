"""Who draws up the letters: pluggable, so the batch machinery does not depend on how.

A renderer is named `module:factory` (a string travels to worker processes and Dask workers,
where it is built once per process). The default draws up letters through the service's letter
pipeline with the letters package's compile-once `letters.Renderer`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from pathlib import Path
from typing import Any, Protocol

from secondlook.batch.fingerprint import digest_files
from secondlook.batch.problems import BatchError

DEFAULT_RENDERER = "secondlook.batch:letters_renderer"


class Renderer(Protocol):
    """Draws up one letter: its .docx bytes, or the service's `LetterProblem` saying why it
    cannot be made. `version` must change whenever the output could change."""

    version: str

    def render(self, letter_type: str, case, plan, determination, *, today: dt.date) -> Any: ...


def load_renderer(spec: str) -> Renderer:
    """Build a renderer from `module:factory` (a class or a function taking no arguments), or
    `module:factory:ARGUMENT` (one string argument: the default renderer takes a folder or file
    of organisation templates)."""
    module_name, _, attr = spec.partition(":")
    attr, _, argument = attr.partition(":")
    if not module_name or not attr:
        raise BatchError(f"renderer {spec!r}: expected module:factory")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise BatchError(f"renderer {spec!r} cannot be loaded ({type(err).__name__})") from None
    return factory(argument) if argument else factory()


_built: dict[str, Renderer] = {}
_built_lock = threading.Lock()


def renderer_for(spec: str) -> Renderer:
    """The renderer for `spec`, built once per process (compiled templates are reused by every
    run; they hold no run's data)."""
    with _built_lock:
        found = _built.get(spec)
        if found is None:
            found = _built[spec] = load_renderer(spec)
        return found


class LettersRenderer:
    """Letters through the service's letter pipeline (`service.render_letter`), with a
    compile-once `letters.Renderer` of this process: each template is compiled once, then
    filled for every row. `templates`: the organisation's templates (letters.organisation:
    a letterhead .docx or a folder), checked by the command before the run."""

    def __init__(self, templates: str | None = None) -> None:
        import letters

        package = Path(letters.__file__).resolve().parent
        files = [p for p in package.rglob("*") if p.is_file() and p.suffix in (".py", ".docx")]
        self._renderer = letters.Renderer()
        if templates:
            from letters.organisation import TemplateProblem, load_templates

            try:  # LibreOffice opened them when the command checked them
                self._renderer = load_templates(templates, libreoffice=False).renderer()
            except TemplateProblem as problem:
                raise BatchError(str(problem)) from None
            root = Path(templates)
            files += sorted(root.glob("*.docx")) if root.is_dir() else [root]
        self.version = digest_files(files)

    def render(self, letter_type: str, case, plan, determination, *, today: dt.date) -> Any:
        from secondlook import service

        result = service.render_letter(
            letter_type, case, plan, determination, today=today, renderer=self._renderer
        )
        return result.docx if isinstance(result, service.RenderedLetter) else result


def letters_renderer(templates: str | None = None) -> Renderer:
    return LettersRenderer(templates)
