"""Text is never rewritten: whatever is typed into a field appears in the letter as typed.

docxtpl lets a template show `{{` or `%}` as text by writing `{_{`, `}_}`, `{_%` or `%_}`, and
replaces those sequences after rendering, everywhere in a part. Values must come out as they
are, on the fast path and through docxtpl, with only the documented whitespace handling
(`letters.renderer.clean_text`: line breaks normalised, characters XML forbids dropped; a line
break shows as a line break).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from docxtpl import Listing, RichText
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from letters_support import GOLDEN_CASES, TODAY, docx_text, scenario

import letters
from coverage import fields
from coverage.case import Case
from letters.renderer import TEMPLATES_DIR, CompiledTemplate, clean_text, make_environment
from secondlook import service

ESCAPES = ("{_{", "}_}", "{_%", "%_}")  # docxtpl's escapes in a template
TAGS = ("{{", "{%", "}}", "%}", "{#", "#}")
PIECES = (*ESCAPES, *TAGS, "_", "{", "}", "%", "{_", "_}", "%_", "_%")


def template(*paragraphs: str, title: str = "") -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.core_properties.title = title
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def body_text(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def both_paths(source: bytes, env: Environment | None = None) -> list[CompiledTemplate]:
    """The template on the fast path and through docxtpl (the fallback)."""
    fast = CompiledTemplate(source, env=env)
    assert fast.fallback_reason is None
    return [fast, CompiledTemplate(source, env=env, docxtpl_only=True)]


# -- the four sequences, next to template text and to other values ------------------------------

VALUES = {
    "a": "x{_{y}_}z{_%w%_}v",
    "b": "_{",  # after a template `{`: `{_{`
    "c": "%_",  # before a template `}`: `%_}`
    "d": "{_",  # before the next value's `%`: `{_%`
    "e": "%",
    "f": "_",  # alone, between two values' braces: `{_{`
    "g": "{",
}


@pytest.mark.parametrize("autoescape", [True, False], ids=["escaping", "raw"])
def test_escape_sequences_in_values_come_out_as_typed(autoescape: bool):
    source = template(
        "A{{ a }}B",
        "{% raw %}{{% endraw %}{{ b }}",
        "{{ c }}}",
        "{{ d }}{{ e }}",
        "{{ g }}{{ f }}{{ g }}",
        "Template {_{ not a tag }_} and {_% nor this %_}",
    )
    env = make_environment()
    env.autoescape = autoescape
    for compiled in both_paths(source, env):
        assert body_text(compiled.render(VALUES)) == [
            "Ax{_{y}_}z{_%w%_}vB",
            "{_{",
            "%_}",
            "{_%",
            "{_{",
            # the template's own escapes still work as in docxtpl
            "Template {{ not a tag }} and {% nor this %}",
        ]


def test_rich_text_and_listings_come_out_as_typed():
    source = template("{{ listing }}", "{{r rich }}")
    rich = RichText("bold {_{x}_}", bold=True)
    listing = Listing("one %_}\ntwo {_%")
    for compiled in both_paths(source):
        shown = body_text(compiled.render({"rich": rich, "listing": listing}))
        assert shown == ["one %_}\ntwo {_%", "bold {_{x}_}"]


def test_core_properties_hold_the_value_not_a_character_reference():
    """docxtpl renders tags in core properties as plain text (no replacements there)."""
    compiled = CompiledTemplate(template("{{ a }}", title="T {{ a }}"))
    assert compiled.fallback_reason  # tags in core properties: through docxtpl
    data = compiled.render({"a": "a_}b {_{"})
    assert Document(io.BytesIO(data)).core_properties.title == "T a_}b {_{"
    assert body_text(data) == ["a_}b {_{"]


def test_values_without_risky_underscores_print_as_before():
    """An underscore with no brace or percent sign beside it is printed as it is."""
    compiled = CompiledTemplate(template("{{ a }}"))
    xml = compiled.render_parts({"a": "jane_doe@example.org x_1"})["word/document.xml"]
    assert b"jane_doe@example.org x_1" in xml


# -- every letter type, every text field of its context ------------------------------------------

LETTERS = list(dict.fromkeys(letter_type for _, letter_type in GOLDEN_CASES))
SCENARIO = {letter_type: name for name, letter_type in reversed(GOLDEN_CASES)}


def string_paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every string in a dumped context (the letter type and voice are not text)."""
    if isinstance(value, str):
        return [path] if path not in (("letter_type",), ("voice",)) else []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in string_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in string_paths(item, (*path, i))]
    return []


def with_values(dumped: dict, values: dict[tuple, str]) -> dict:
    def fill(value: Any, path: tuple) -> Any:
        if path in values:
            return values[path]
        if isinstance(value, dict):
            return {k: fill(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return fill(dumped, ())


_PRINTED: dict[str, tuple[Any, dict, list[tuple]]] = {}


def printed_fields(letter_type: str) -> tuple[Any, dict, list[tuple]]:
    """The letter's context model, its dump, and the paths of the strings the letter shows
    (found by rendering a distinct marker in every string)."""
    if letter_type not in _PRINTED:
        case, plan, determination = scenario(SCENARIO[letter_type])
        model = letters.build_context(letter_type, case, plan, determination, today=TODAY)
        dumped = model.model_dump()
        paths = string_paths(dumped)
        marked = with_values(dumped, {p: f"Q{i}Q" for i, p in enumerate(paths)})
        text = docx_text(letters.Renderer().render_context(letter_type, type(model)(**marked)))
        shown = [p for i, p in enumerate(paths) if f"Q{i}Q" in text]
        assert len(shown) >= len(paths) // 2, "most of the context is printed"
        _PRINTED[letter_type] = (type(model), dumped, shown)
    return _PRINTED[letter_type]


anything = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=6)
field_text = st.builds(
    lambda before, forced, after: "".join(before) + forced + "".join(after),
    st.lists(st.one_of(anything, st.sampled_from(PIECES)), max_size=4),
    st.sampled_from((*ESCAPES, "{{", "{%")),
    st.lists(st.one_of(anything, st.sampled_from(PIECES)), max_size=4),
)
_FAST = letters.Renderer()
_DOCXTPL: dict[str, CompiledTemplate] = {}


@pytest.mark.parametrize("letter_type", LETTERS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_text_in_any_field_appears_verbatim(letter_type: str, data: st.DataObject):
    model, dumped, shown = printed_fields(letter_type)
    values = {path: data.draw(field_text, label=".".join(map(str, path))) for path in shown}
    context = model(**with_values(dumped, values))
    slow = _DOCXTPL.setdefault(
        letter_type,
        CompiledTemplate((TEMPLATES_DIR / f"{letter_type}.docx").read_bytes(), docxtpl_only=True),
    )
    for data_ in (_FAST.render_context(letter_type, context), slow.render(context)):
        text = docx_text(data_)
        for path, value in values.items():
            assert clean_text(value) in text, f"{'.'.join(map(str, path))} was rewritten"


# -- what a person types into the case -----------------------------------------------------------

TYPED = [s for s in fields.FIELDS if s.kind in ("text", "long_text", "address")]


def _set(data: Any, parts: list[str], value: Any) -> None:
    for i, part in enumerate(parts[:-1]):
        if part == fields.LIST_ITEMS:
            for item in data:
                _set(item, parts[i + 1 :], value)
            return
        if data.get(part) is None:
            return  # an optional part this case has not got
        data = data[part]
    data[parts[-1]] = value


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_typed_case_fields_reach_the_letter_unchanged(name: str, letter_type: str):
    case, plan, _ = scenario(name)
    dumped = case.model_dump()
    typed = {}
    for k, spec in enumerate(TYPED):
        value = f"t{k}: {{_{{ }}_}} {{_% %_}} {{{{ {{% _x_"
        typed[f"t{k}:"] = value
        _set(dumped, spec.key.split("."), [value] if spec.kind == "address" else value)
    changed = Case.model_validate(dumped)
    result = service.render_letter(
        letter_type, changed, plan, service.check(changed, plan), today=TODAY
    )
    assert isinstance(result, service.RenderedLetter), result
    text = docx_text(result.docx)
    shown = [token for token in typed if token in text]
    assert len(shown) >= 5
    for token in shown:
        assert typed[token] in text
