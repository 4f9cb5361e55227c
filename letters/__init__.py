"""Second Look letters: the second-opinion letter pack as Word documents (and PDF).

    import letters
    docx_bytes = letters.render_letter("appeal", case, plan, determination)

`LETTER_TYPES` lists the letters in order with titles and descriptions; `build_context` checks
a case and returns the letter's context model (or a `LetterError` naming what is missing);
`Renderer` compiles each template once and renders many letters (for batches). PDF conversion
is in `letters.pdf`. This package never imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

from letters.contexts import (
    CONTEXT_MODELS,
    LetterContext,
    LetterError,
    MissingFieldError,
    NotApplicableError,
    build_context,
)
from letters.renderer import CompiledTemplate, Renderer, make_environment
from letters.types import LETTER_TYPES, LetterType

__all__ = [
    "CONTEXT_MODELS",
    "CompiledTemplate",
    "LETTER_TYPES",
    "LetterContext",
    "LetterError",
    "LetterType",
    "MissingFieldError",
    "NotApplicableError",
    "Renderer",
    "build_context",
    "default_renderer",
    "make_environment",
    "render_letter",
    "template_version",
]

_lock = threading.Lock()
_renderer: Renderer | None = None


def default_renderer() -> Renderer:
    """One shared Renderer for the process (templates compiled once)."""
    global _renderer
    with _lock:
        if _renderer is None:
            _renderer = Renderer()
        return _renderer


def render_letter(
    letter_type: str,
    case,  # noqa: ANN001 - coverage.case.Case
    plan,  # noqa: ANN001 - coverage.plan.Plan
    determination,  # noqa: ANN001 - coverage.determination.Determination
    *,
    today: dt.date | None = None,
    evidence: Sequence[str] = (),
    law=None,  # noqa: ANN001 - coverage.law.LawBook; pass the caller's cached one
) -> bytes:
    """One letter as .docx bytes. Raises LetterError (naming the fields) before rendering.

    `evidence`: call-log lines to cite in a letter to the plan."""
    return default_renderer().render(
        letter_type, case, plan, determination, today=today, evidence=evidence, law=law
    )


_versions: dict[str, str] = {}


def _wording_files() -> list:
    """What words a letter besides its template: the context code, and the market profiles and
    statements of law it reads."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    rules = here.parent / "data" / "rules"
    files = [here / name for name in ("contexts.py", "law_text.py", "models.py", "parts.py")]
    files += sorted((here / "kinds").glob("*.py"))
    files += sorted((rules / "markets").glob("*.yaml"))
    files += sorted((rules / "statements").glob("*.yaml"))
    return files


def template_version(letter_type: str) -> str:
    """A short, stable digest of what makes a letter: its template's content (every part,
    canonicalised, so rebuilding an unchanged template keeps the version) and what words it
    (the context code, market profiles and statements of law). Stored with generated letters
    to tell versions apart."""
    import hashlib

    from letters.build_templates import docx_parts
    from letters.renderer import TEMPLATES_DIR

    if letter_type not in LETTER_TYPES:
        raise KeyError(f"unknown letter type {letter_type!r}")
    with _lock:
        if letter_type not in _versions:
            digest = hashlib.sha256()
            path = TEMPLATES_DIR / LETTER_TYPES[letter_type].template
            for name, data in docx_parts(path.read_bytes()).items():
                if name != "docProps/core.xml":
                    digest.update(name.encode() + b"\0" + data)
            for path in _wording_files():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            _versions[letter_type] = f"{letter_type}@{digest.hexdigest()[:12]}"
        return _versions[letter_type]
