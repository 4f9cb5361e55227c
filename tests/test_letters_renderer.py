"""The compiled renderer: same text as docxtpl, safe for any text, opens with python-docx."""

from __future__ import annotations

import io
import pickle
import zipfile

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from letters_support import GOLDEN_CASES, TODAY, docx_text, scenario
from lxml import etree

import letters
from letters.renderer import (
    TEMPLATES_DIR,
    CompiledTemplate,
    Renderer,
    clean_text,
    make_environment,
    render_with_docxtpl,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def body_c14n(data: bytes) -> bytes:
    """The <w:body> of a .docx, canonicalised (attribute order, namespaces, quoting)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return etree.tostring(root.find(f"{W}body"), method="c14n")


def template_bytes(letter_type: str) -> bytes:
    return (TEMPLATES_DIR / letters.LETTER_TYPES[letter_type].template).read_bytes()


def context_for(name: str, letter_type: str, **changes) -> dict:
    case, plan, determination = scenario(name)
    if changes:
        case = case.model_copy(deep=True)
        for path, value in changes.items():
            target = case
            *parents, last = path.split(".")
            for part in parents:
                target = getattr(target, part)
            setattr(target, last, value)
    context = letters.build_context(letter_type, case, plan, determination, today=TODAY)
    return context.model_dump()


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_compiled_output_equals_docxtpl(name: str, letter_type: str):
    source = template_bytes(letter_type)
    context = context_for(name, letter_type)
    env = make_environment()
    ours = CompiledTemplate(source, env=env).render(context)
    reference = render_with_docxtpl(source, context, env)
    assert docx_text(ours) == docx_text(reference)
    assert body_c14n(ours) == body_c14n(reference)


def test_output_is_a_valid_docx_with_every_template_part():
    case, plan, determination = scenario("commercial-denied")
    data = letters.render_letter("appeal", case, plan, determination, today=TODAY)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        for name in names:
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))  # well-formed
    with zipfile.ZipFile(io.BytesIO(template_bytes("appeal"))) as template:
        assert names == template.namelist()
    assert Document(io.BytesIO(data)).paragraphs


def test_same_context_same_bytes():
    case, plan, determination = scenario("commercial-network-gap")
    first = letters.render_letter("preauth_request", case, plan, determination, today=TODAY)
    again = letters.render_letter("preauth_request", case, plan, determination, today=TODAY)
    assert first == again


def test_renderer_pickles_and_renders_the_same_in_a_copy():
    renderer = Renderer()
    case, plan, determination = scenario("commercial-denied")
    before = renderer.render("appeal", case, plan, determination, today=TODAY)
    copy = pickle.loads(pickle.dumps(renderer))
    assert copy.render("appeal", case, plan, determination, today=TODAY) == before
    compiled = renderer.template("appeal")
    again = pickle.loads(pickle.dumps(compiled))
    context = context_for("commercial-denied", "appeal")
    assert again.render(context) == compiled.render(context)


def test_printing_none_is_an_error_not_the_word_none():
    compiled = CompiledTemplate(template_bytes("claim_file_request"))
    context = context_for("commercial-denied", "claim_file_request")
    context["timing"] = None
    with pytest.raises(ValueError, match="None"):
        compiled.render(context)


def test_a_misspelt_variable_is_an_error():
    compiled = CompiledTemplate(template_bytes("claim_file_request"))
    context = context_for("commercial-denied", "claim_file_request")
    del context["timing"]
    with pytest.raises(Exception, match="timing"):
        compiled.render(context)


def test_not_a_docx_is_a_clear_error():
    with pytest.raises(letters.renderer.TemplateError, match="not a .docx"):
        CompiledTemplate(b"plain text", name="bad.docx")


# --- hostile text ------------------------------------------------------------------------------


def test_clean_text_keeps_text_and_drops_what_xml_forbids():
    assert clean_text("ECOG < 2 & PD-L1 ≥ 50% \"quoted\" 'x'") == (
        "ECOG < 2 & PD-L1 ≥ 50% \"quoted\" 'x'"
    )
    assert clean_text("a\x0bb\x0cc\r\nd\re") == "a\nb\nc\nd\ne"
    assert clean_text("x\x00y\x1fz\ud800w\ufffe") == "xyzw"
    assert clean_text("🙂 שלום مرحبا") == "🙂 שלום مرحبا"


def test_spreadsheet_text_with_a_vertical_tab_renders_and_reads_back():
    notes = 'ECOG < 2 & "PD-L1" > 50%\x0bsecond line\x07bell\n\nNew paragraph 🙂 שלום'
    context = context_for("commercial-denied", "appeal", **{"reasons.notes": notes})
    data = CompiledTemplate(template_bytes("appeal")).render(context)
    text = docx_text(data)
    assert 'ECOG < 2 & "PD-L1" > 50%\nsecond linebell\n' in text
    assert "\nNew paragraph 🙂 שלום\n" in text  # a blank line starts a new paragraph


hostile = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),  # every code point, surrogates too
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, notes=st.text(max_size=200), reason=st.text(max_size=80))
def test_any_text_gives_a_docx_that_opens_and_round_trips(name: str, notes: str, reason: str):
    context = context_for(
        "commercial-denied",
        "appeal",
        **{"patient.name": name, "reasons.notes": notes, "denial.reason_quoted": reason},
    )
    data = CompiledTemplate(template_bytes("appeal")).render(context)
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert paragraphs[0] == clean_text(name.strip())  # the sender block starts with the name
    if clean_text(reason).strip():
        quoted = f"“{clean_text(reason.strip())}”"
        assert quoted in paragraphs


_COMPILED: dict[str, CompiledTemplate] = {}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, notes=st.text(max_size=120))
def test_hostile_text_renders_the_same_as_docxtpl(name: str, notes: str):
    env = make_environment()
    source = template_bytes("physician_letter")
    compiled = _COMPILED.setdefault("physician_letter", CompiledTemplate(source, env=env))
    context = context_for(
        "commercial-network-gap",
        "physician_letter",
        **{"referring_physician.name": name, "reasons.notes": notes},
    )
    ours = compiled.render(context)
    assert docx_text(ours) == docx_text(render_with_docxtpl(source, context, env))


def test_whitespace_control_templates_render_like_docxtpl():
    """With `{%-` / `-%}` the compiled path keeps docxtpl's newlines before paragraphs."""
    document = Document()
    document.add_paragraph("Dear {{ name }},")
    document.add_paragraph("{%- if urgent %} URGENT {%- endif %} now")
    document.add_paragraph("{%p for line in lines -%}")
    document.add_paragraph("{{ line }}")
    document.add_paragraph("{%p endfor %}")
    buffer = io.BytesIO()
    document.save(buffer)
    source = buffer.getvalue()
    env = make_environment()
    compiled = CompiledTemplate(source, env=env)
    assert any(part.newlines for part in compiled._parts.values())
    for context in (
        {"name": "A & B", "urgent": True, "lines": ["x\ty", "z"]},
        {"name": "C", "urgent": False, "lines": []},
    ):
        ours = compiled.render(context)
        assert docx_text(ours) == docx_text(render_with_docxtpl(source, context, env))
        assert body_c14n(ours) == body_c14n(render_with_docxtpl(source, context, env))


def test_core_properties_stay_valid_with_docxcompose_installed():
    """docxcompose (imported by docxtpl for Subdoc) rebinds python-docx's "cp" prefix; the
    renderer restores it, or every core property written would be duplicated."""
    import docxtpl  # noqa: F401 - imports docxcompose when it is installed

    assert docxtpl.Subdoc  # docxcompose is installed (requirements.lock)
    document = Document()
    document.core_properties.last_modified_by = "Second Look"
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        core = etree.fromstring(archive.read("docProps/core.xml"))
    ns = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    assert [e.text for e in core.iter(f"{{{ns}}}lastModifiedBy")] == ["Second Look"]
    assert len(core.findall(".//{*}lastModifiedBy")) == 1
