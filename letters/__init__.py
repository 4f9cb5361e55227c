"""Second Look letters: the second-opinion letter pack as Word documents (and PDF).

    import letters
    docx_bytes = letters.render_letter("appeal", case, plan, determination)

`LETTER_TYPES` lists the letters in order with titles and descriptions; `build_context` checks
a case and returns the letter's context model (or a `LetterError` naming what is missing);
`Renderer` compiles each template once and renders many letters (for batches). PDF conversion
is in `letters.pdf`. This package never imports streamlit.

`language="es"` writes the same letter in Spanish (letters/wording.py): a reading copy of a
letter to a US plan (which is sent in English), or the records request in Spanish.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

from letters.contexts import (
    CONTEXT_MODELS,
    VOICED_LETTERS,
    LetterContext,
    LetterError,
    MissingFieldError,
    NotApplicableError,
    Representative,
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
    "Representative",
    "VOICED_LETTERS",
    "build_context",
    "default_renderer",
    "make_environment",
    "render_letter",
    "template_version",
]

_lock = threading.Lock()
_renderers: dict[str, Renderer] = {}


def default_renderer(language: str = "en") -> Renderer:
    """One shared Renderer per language for the process (templates compiled once)."""
    from letters.build_templates import templates_dir

    with _lock:
        if language not in _renderers:
            _renderers[language] = Renderer(templates_dir(language))
        return _renderers[language]


def render_letter(
    letter_type: str,
    case,  # noqa: ANN001 - coverage.case.Case
    plan,  # noqa: ANN001 - coverage.plan.Plan
    determination,  # noqa: ANN001 - coverage.determination.Determination
    *,
    today: dt.date | None = None,
    evidence: Sequence[str] = (),
    law=None,  # noqa: ANN001 - coverage.law.LawBook; pass the caller's cached one
    language: str = "en",
    representative=None,  # noqa: ANN001 - letters.Representative: signed for the patient
) -> bytes:
    """One letter as .docx bytes. Raises LetterError (naming the fields) before rendering.

    `evidence`: call-log lines to cite in a letter to the plan. `representative`: written and
    signed by the patient's authorised representative."""
    context = build_context(
        letter_type,
        case,
        plan,
        determination,
        today=today,
        law=law,
        evidence=evidence,
        language=language,
        representative=representative,
    )
    return default_renderer(language).render_context(letter_type, context)


_versions: dict[str, str] = {}


def _wording_files(language: str = "en") -> list:
    """What words a letter besides its template: the context code, and the market profiles and
    statements of law it reads (and, in another language, the phrasebook)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    data = here.parent / "data"
    rules = data / "rules"
    # wording.py: the voice (a representative's letter puts the data's words in the third person)
    names = ("contexts.py", "law_text.py", "models.py", "parts.py", "wording.py")
    files = [here / name for name in names]
    files += sorted((here / "kinds").glob("*.py"))
    files += sorted((rules / "markets").glob("*.yaml"))
    files += sorted((rules / "statements").glob("*.yaml"))
    if language != "en":
        files.append(data / "phrasebook" / f"{language}.yaml")
    return files


def template_version(letter_type: str, language: str = "en") -> str:
    """A short, stable digest of what makes a letter: its template's content (every part,
    canonicalised, so rebuilding an unchanged template keeps the version) and what words it
    (the context code, market profiles and statements of law). Stored with generated letters
    to tell versions apart. A Spanish letter is `<type>.es@<digest>`."""
    key = letter_type if language == "en" else f"{letter_type}.{language}"
    found = _versions.get(key)  # every letter asks: the digest is worked out once
    if found is not None:
        return found
    import hashlib

    from letters.build_templates import docx_parts, templates_dir

    if letter_type not in LETTER_TYPES:
        raise KeyError(f"unknown letter type {letter_type!r}")
    with _lock:
        if key not in _versions:
            digest = hashlib.sha256()
            path = templates_dir(language) / LETTER_TYPES[letter_type].template
            for name, data in docx_parts(path.read_bytes()).items():
                if name != "docProps/core.xml":
                    digest.update(name.encode() + b"\0" + data)
            for path in _wording_files(language):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            _versions[key] = f"{key}@{digest.hexdigest()[:12]}"
        return _versions[key]
