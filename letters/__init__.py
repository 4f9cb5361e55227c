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


def render_letter(letter_type, case, plan, determination, *, today: dt.date | None = None) -> bytes:  # noqa: ANN001
    """One letter as .docx bytes. Raises LetterError (naming the fields) before rendering."""
    return default_renderer().render(letter_type, case, plan, determination, today=today)
