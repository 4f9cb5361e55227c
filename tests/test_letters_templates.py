"""The templates: built by letters/build_templates.py, in step with their context models."""

from __future__ import annotations

import io
import typing
import zipfile

import pytest

import letters
from coverage.determination import LetterType
from letters.build_templates import build, docx_parts, stale_templates
from letters.contexts import BUILDERS, CONTEXT_MODELS
from letters.renderer import TEMPLATES_DIR, CompiledTemplate


def test_committed_templates_match_the_build_script():
    stale = stale_templates()
    assert stale == [], f"run: .venv/bin/python -m letters.build_templates ({stale})"


def test_the_staleness_check_sees_a_changed_template(tmp_path):
    for name in letters.LETTER_TYPES:
        (tmp_path / f"{name}.docx").write_bytes(build(name))
    assert stale_templates(tmp_path) == []
    other = build("claim_file_request")
    (tmp_path / "appeal.docx").write_bytes(other)
    assert stale_templates(tmp_path) == ["appeal"]


def test_letter_types_registries_agree():
    names = list(letters.LETTER_TYPES)
    assert names == list(typing.get_args(LetterType))  # the engine's vocabulary, same order
    assert set(names) == set(CONTEXT_MODELS) == set(BUILDERS)
    for info in letters.LETTER_TYPES.values():
        assert info.title and info.description
        assert (TEMPLATES_DIR / info.template).is_file()


@pytest.mark.parametrize("letter_type", list(letters.LETTER_TYPES))
def test_template_variables_are_fields_of_the_context_model(letter_type: str):
    compiled = CompiledTemplate((TEMPLATES_DIR / f"{letter_type}.docx").read_bytes())
    used = compiled.undeclared_variables()
    fields = set(CONTEXT_MODELS[letter_type].model_fields)
    assert used, "the template uses no variables?"
    assert used <= fields, f"not in {CONTEXT_MODELS[letter_type].__name__}: {used - fields}"


@pytest.mark.parametrize("letter_type", list(letters.LETTER_TYPES))
def test_templates_have_the_standard_parts(letter_type: str):
    data = (TEMPLATES_DIR / f"{letter_type}.docx").read_bytes()
    parts = docx_parts(data)
    document = parts["word/document.xml"].decode()
    footer = next(v.decode() for k, v in parts.items() if k.startswith("word/footer"))
    assert "{%p if expedited %}" in document and "EXPEDITED REVIEW REQUESTED" in document
    assert "{%r if loop.first %}" in document  # labelled enclosure / copies lists
    assert "{{ title }}" in document and "re_rows" in document
    assert 'w:instr=" PAGE "' in footer and "{{ footer_id }}" in footer
    if letter_type != "records_request":
        assert 'w:instr=" NUMPAGES "' in footer
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # lean package: no 800 KB of python-docx default styles, no thumbnail
        assert "word/stylesWithEffects.xml" not in archive.namelist()
        assert "docProps/thumbnail.jpeg" not in archive.namelist()
        assert archive.getinfo("word/styles.xml").file_size < 40_000


def test_template_version_is_stable_and_distinct():
    first = letters.template_version("appeal")
    assert first == letters.template_version("appeal")
    assert first.startswith("appeal@")
    assert first != letters.template_version("expedited_appeal")
