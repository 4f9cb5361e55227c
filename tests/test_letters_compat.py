"""Compatibility suite: templates as Word writes them, rendered by the compiled renderer and by
plain docxtpl, and compared: text of every part, relationships (none dangling), picture bytes,
table grids, drawing ids; and (slow) every output opens in LibreOffice.

Each case either renders exactly as docxtpl does (on the fast path or through docxtpl), or is
refused with a TemplateError naming the part and the paragraph. Nothing in between: that is a
silently wrong letter. The templates are built here (tests/word_docs.py), no binary fixtures.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing, RichText
from jinja2 import Environment
from lxml import etree
from word_docs import (
    BLUE,
    GREEN,
    RED,
    add_hyperlink,
    add_notes,
    add_text_box,
    new_document,
    save,
    wordify,
)

from letters import package
from letters.renderer import CompiledTemplate, TemplateError, make_environment

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
R_NS = package.R_NS
TEXT_PARTS = ("word/document.xml", "word/header", "word/footer", "word/footnotes.xml")


# -- what is compared ----------------------------------------------------------------------------


def _paragraph_text(p: etree._Element) -> str:
    out = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
        owner = next(a for a in el.iterancestors(f"{W}p"))
        if owner is not p:
            continue  # a nested paragraph (text box) is its own line
        out.append(el.text or "" if el.tag == f"{W}t" else "\t" if el.tag == f"{W}tab" else "\n")
    return "".join(out)


def texts(data: bytes) -> dict[str, list[str]]:
    """Paragraph texts of every part a letter shows (body, headers, footers, footnotes)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(archive.namelist()):
            if name.startswith(TEXT_PARTS) and name.endswith(".xml"):
                root = etree.fromstring(archive.read(name))
                out[name] = [_paragraph_text(p) for p in root.iter(f"{W}p")]
    return out


def references(data: bytes) -> dict[str, list[tuple[str, str]]]:
    """For every part, in markup order, what each relationship id used there leads to: the URL
    of a hyperlink, the SHA-1 of a picture or embedded file, the text of a subdocument part."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".xml") or name == "[Content_Types].xml":
                continue
            rels = package.relationships(archive, name)
            found = []
            for el in etree.fromstring(archive.read(name)).iter():
                for attr, value in el.attrib.items():
                    if attr.startswith(f"{{{R_NS}}}"):
                        target, external = rels.get(value, ("MISSING " + value, True))
                        what = (
                            target if external else hashlib.sha1(archive.read(target)).hexdigest()
                        )
                        found.append((etree.QName(el).localname, what))
            if found:
                out[name] = found
    return out


def related_files(data: bytes) -> dict[str, str]:
    """SHA-1 of every picture and embedded file a relationship points at (referenced from
    markup or not: an embedded object is reached through its relationship alone)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            part = (
                name.replace("_rels/", "").removesuffix(".rels") if name.endswith(".rels") else None
            )
            if part is None:
                continue
            for target, external in package.relationships(archive, part.removesuffix("/")).values():
                if not external and target.startswith(("word/media/", "word/embeddings/")):
                    out[target] = hashlib.sha1(archive.read(target)).hexdigest()
    return out


def grids(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return [[c.get(f"{W}w") for c in t.iter(f"{W}gridCol")] for t in root.iter(f"{W}tbl")]


def grid_problems(data: bytes) -> list[str]:
    """Tables whose grid has fewer or more columns than their widest row (LibreOffice drops or
    squeezes columns)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    out = []
    for index, table in enumerate(root.iter(f"{W}tbl")):
        columns = len(table.find(f"{W}tblGrid").findall(f"{W}gridCol"))
        widest = 0
        for row in table.findall(f"{W}tr"):
            span = 0
            for cell in row.findall(f"{W}tc"):
                grid_span = cell.find(f"{W}tcPr/{W}gridSpan")
                span += int(grid_span.get(f"{W}val")) if grid_span is not None else 1
            widest = max(widest, span)
        if columns != widest:
            out.append(f"table {index}: {columns} grid columns, widest row {widest}")
    return out


def literal_tags(data: bytes) -> list[str]:
    return [
        f"{part}: {text}"
        for part, lines in texts(data).items()
        for text in lines
        if "{{" in text or "{%" in text or "{#" in text
    ]


# -- the cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    build: Callable[[], bytes]
    context: Callable[[Any], dict] = lambda tpl: {}  # tpl: what pictures etc. are made with
    path: str = "fast"  # "fast" | "docxtpl": how the compiled renderer must render it
    env: Callable[[], Environment] = make_environment
    bind: str = "new_docxtpl"  # what the compiled side makes objects with: new_docxtpl|compiled
    replace: Callable[[Any, Any], None] | None = None  # (template, tmp_path): replacements
    words: tuple[str, ...] = ()  # text the PDF must show
    extra: dict = field(default_factory=dict)


CONTEXT = {
    "title": "Appeal & review <urgent>",
    "org": "Riverside Cancer Center",
    "ref": "SL-0042",
    "source": "Notice of 2026-05-01",
    "show": True,
    "urgent": True,
    "items": ["first 'item'", 'second "item"', "third\ttabbed\nline"],
    "cols": ["A", "B", "C", "D"],
    "name": "Dana Q. Patient",
}


def _split_everywhere() -> bytes:
    doc = new_document()
    doc.add_paragraph("Title: {{ title }}")
    doc.add_paragraph("{%p if show %}")
    doc.add_paragraph("Shown {%r if urgent %}URGENT {%r endif %}for {{ name }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for item in items %}")
    doc.add_paragraph("- {{ item }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("Escaped {_{ not a tag }_} stays")
    section = doc.sections[0]
    section.header.paragraphs[0].text = "{{ org }} letterhead"
    section.footer.paragraphs[0].text = "Reference {{ ref }}"
    add_notes(doc, "footnote", ["Source: {{ source }}"])
    return wordify(save(doc))


def _header_logo() -> bytes:
    doc = new_document()
    doc.add_paragraph("Dear {{ name }},")
    header = doc.sections[0].header.paragraphs[0]
    header.add_run().add_picture(io.BytesIO(RED), width=Mm(20))
    header.add_run(" {{ org }}")
    doc.sections[0].footer.paragraphs[0].add_run().add_picture(io.BytesIO(GREEN), width=Mm(5))
    return wordify(save(doc))


def _hyperlink() -> bytes:
    doc = new_document()
    paragraph = doc.add_paragraph("Read {{ name }} at ")
    add_hyperlink(paragraph, "https://example.org/rights", "our page")
    return wordify(save(doc))


def _merged_cells(tc_comment: bool = False) -> Callable[[], bytes]:
    def build() -> bytes:
        doc = new_document()
        table = doc.add_table(rows=3, cols=4)
        table.cell(0, 0).merge(table.cell(0, 3)).text = "Merged heading {{ title }}"
        table.cell(1, 0).merge(table.cell(2, 0)).text = "Tall"
        table.cell(1, 1).text = "{%tc for c in cols %}"
        table.cell(1, 2).text = "{{ c }}"
        table.cell(1, 3).text = "{%tc endfor %}"
        table.cell(2, 1).text = "{#tc dropped #}" if tc_comment else "x"
        table.cell(2, 2).text = "y {{ ref }}"
        table.cell(2, 3).text = "z"
        return wordify(save(doc))

    return build


def _pictures_in_loop() -> bytes:
    doc = new_document()
    doc.add_paragraph("{%p for item in items %}")
    doc.add_paragraph().add_run().add_picture(io.BytesIO(BLUE), width=Mm(8))
    doc.add_paragraph("{{ item }}")
    doc.add_paragraph("{%p endfor %}")
    return wordify(save(doc))


def _named_pictures() -> bytes:
    """Pictures named logo.png (header) and stamp.png (body), for replace_pic."""
    doc = new_document()
    doc.add_paragraph("Dear {{ name }},")
    doc.add_paragraph().add_run().add_picture(io.BytesIO(GREEN), width=Mm(10))
    header = doc.sections[0].header.paragraphs[0]
    header.add_run().add_picture(io.BytesIO(RED), width=Mm(20))
    data = save(doc)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename == "word/header1.xml":
                raw = raw.replace(b'name="image.png"', b'name="logo.png"')
            elif info.filename == "word/document.xml":
                raw = raw.replace(b'name="image', b'name="stamp.png" title="image', 1)
            dst.writestr(info, raw)
    return wordify(out.getvalue())


def _embedded() -> bytes:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    doc = new_document()
    doc.add_paragraph("Attached for {{ name }}")
    part = Part(
        PackURI("/word/embeddings/sheet1.bin"),
        "application/vnd.openxmlformats-officedocument.oleObject",
        b"ORIGINAL-EMBEDDED",
        doc.part.package,
    )
    doc.part.relate_to(part, RT.OLE_OBJECT)
    return save(doc)


def _text_box() -> bytes:
    doc = new_document()
    paragraph = doc.add_paragraph("Box: ")
    add_text_box(paragraph, "{{ items[2] }}")
    doc.add_paragraph("after {{ items[2] }}")
    return wordify(save(doc))


def _core_property_tag() -> bytes:
    doc = new_document()
    doc.core_properties.title = "{{ title }}"
    doc.add_paragraph("Body {{ name }}")
    return wordify(save(doc))


def _plain(*paragraphs: str, header: str | None = None) -> Callable[[], bytes]:
    def build() -> bytes:
        doc = new_document()
        for text in paragraphs:
            doc.add_paragraph(text)
        if header:
            doc.sections[0].header.paragraphs[0].text = header
        return wordify(save(doc))

    return build


def _with_picture_subdoc(tpl: Any) -> dict:
    sub = new_document()
    sub.add_paragraph("Subdocument for the record")
    sub.add_paragraph().add_run().add_picture(io.BytesIO(BLUE), width=Mm(12))
    table = sub.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "left", "right"
    return {**CONTEXT, "sub": tpl.new_subdoc(io.BytesIO(save(sub)))}


def _with_new_subdoc(tpl: Any) -> dict:
    sub = tpl.new_subdoc()
    sub.add_paragraph("Built in code")
    sub.add_picture(io.BytesIO(GREEN), width=Mm(6))
    return {**CONTEXT, "sub": sub}


def _images(tpl: Any) -> dict:
    return {
        **CONTEXT,
        "logo": InlineImage(tpl, io.BytesIO(RED), width=Mm(15)),
        "seal": InlineImage(tpl, io.BytesIO(BLUE), width=Mm(9), anchor="https://example.org"),
    }


def _link(tpl: Any) -> dict:
    link = RichText("our rights page", url_id=tpl.build_url_id("https://example.org/rights"))
    return {**CONTEXT, "link": link}


def _replace_pic(tpl: Any, tmp_path: Any = None) -> None:
    tpl.replace_pic("logo.png", io.BytesIO(BLUE))
    tpl.replace_pic("stamp.png", io.BytesIO(RED))


CASES = [
    Case(
        "split tags in body, header, footer, footnote",
        _split_everywhere,
        lambda t: CONTEXT,
        words=("Riverside Cancer Center", "SL-0042", "URGENT"),
    ),
    Case("picture in header and footer", _header_logo, lambda t: CONTEXT, words=("Riverside",)),
    Case("hyperlink in the template", _hyperlink, lambda t: CONTEXT, words=("our page",)),
    Case(
        "merged cells and {%tc} split across runs",
        _merged_cells(),
        lambda t: CONTEXT,
        words=("Merged heading",),
    ),
    Case(
        "{#tc} comment removes a cell",
        _merged_cells(tc_comment=True),
        lambda t: CONTEXT,
        words=("Tall",),
    ),
    Case("picture repeated in a loop", _pictures_in_loop, lambda t: CONTEXT, words=("third",)),
    Case("text box with tabs and line breaks", _text_box, lambda t: CONTEXT, words=("tabbed",)),
    Case(
        "Listing keeps line breaks",
        _plain("Notes: {{ notes }}"),
        lambda t: {"notes": Listing("one\ntwo & three")},
        words=("two & three",),
    ),
    Case(
        "InlineImage in body and header",
        _plain("Logo {{ logo }} seal {{ seal }}", header="{{ logo }} {{ org }}"),
        _images,
        path="docxtpl",
        words=("Riverside",),
    ),
    Case(
        "InlineImage made with the CompiledTemplate",
        _plain("Logo {{ logo }}"),
        _images,
        path="docxtpl",
        bind="compiled",
        words=("Logo",),
    ),
    Case(
        "RichText hyperlink",
        _plain("See {{r link }} today"),
        _link,
        path="docxtpl",
        words=("rights page",),
    ),
    Case(
        "Subdoc from a file with a picture and a table",
        _plain("Before", "{{p sub }}", "After {{ name }}"),
        _with_picture_subdoc,
        path="docxtpl",
        words=("Subdocument", "right"),
    ),
    Case(
        "Subdoc built in code with a picture",
        _plain("{{p sub }}", "After"),
        _with_new_subdoc,
        path="docxtpl",
        words=("Built in code",),
    ),
    Case(
        "replace_pic in header and body",
        _named_pictures,
        lambda t: CONTEXT,
        replace=_replace_pic,
        words=("Dana",),
    ),
    Case(
        "replace_media",
        _named_pictures,
        lambda t: CONTEXT,
        replace=lambda t, _: t.replace_media(io.BytesIO(RED), io.BytesIO(BLUE)),
        words=("Dana",),
    ),
    Case(
        "replace_zipname",
        _named_pictures,
        lambda t: CONTEXT,
        replace=lambda t, tmp: t.replace_zipname(
            "word/media/image1.png", _file(tmp, "new.png", BLUE)
        ),
        words=("Dana",),
    ),
    Case(
        "replace_embedded",
        _embedded,
        lambda t: CONTEXT,
        words=("Attached",),
        replace=lambda t, tmp: t.replace_embedded(
            _file(tmp, "old.bin", b"ORIGINAL-EMBEDDED"), _file(tmp, "new.bin", b"REPLACED")
        ),
    ),
    Case(
        "template tags in a core property",
        _core_property_tag,
        lambda t: CONTEXT,
        path="docxtpl",
        words=("Body",),
    ),
    Case(
        "docxtpl's default environment, text without markup",
        _plain("Hello {{ name }} end"),
        lambda t: CONTEXT,
        env=Environment,
        words=("Hello",),
    ),
]


def _file(folder: Any, name: str, data: bytes) -> str:
    """docxtpl's replace_zipname and replace_embedded take file paths only."""
    path = folder / name
    path.write_bytes(data)
    return str(path)


def render_both(case: Case, tmp_path) -> tuple[bytes, bytes, CompiledTemplate]:  # noqa: ANN001
    source = case.build()
    reference = DocxTemplate(io.BytesIO(source))
    if case.replace:
        case.replace(reference, tmp_path)
    reference.render(case.context(reference), jinja_env=case.env())
    out = io.BytesIO()
    reference.save(out)

    compiled = CompiledTemplate(source, env=case.env(), name=case.name)
    if case.replace:
        case.replace(compiled, tmp_path)
    calls = []
    original = compiled._render_docxtpl
    compiled._render_docxtpl = lambda *a: calls.append(1) or original(*a)  # type: ignore[method-assign]
    if case.bind == "compiled":
        ours = compiled.render(case.context(compiled))
    else:
        tpl = compiled.new_docxtpl()
        ours = compiled.render(
            case.context(tpl), docx_template=tpl if case.path == "docxtpl" else None
        )
    assert ("docxtpl" if calls else "fast") == case.path, "rendered on the wrong path"
    return ours, out.getvalue(), compiled


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_renders_as_docxtpl_does(case: Case, tmp_path):
    ours, reference, _ = render_both(case, tmp_path)
    assert package.problems(ours) == []
    assert package.problems(reference) == []  # the reference itself is sound
    assert texts(ours) == texts(reference)
    assert references(ours) == references(reference)
    assert related_files(ours) == related_files(reference)
    assert grids(ours) == grids(reference)
    assert grid_problems(ours) == []
    assert literal_tags(ours) == []


def test_the_suite_covers_every_replacement_and_both_paths():
    names = " ".join(c.name for c in CASES)
    for word in (
        "replace_pic",
        "replace_media",
        "replace_zipname",
        "replace_embedded",
        "Subdoc",
        "InlineImage",
        "RichText hyperlink",
        "{%tc}",
        "{#tc}",
        "footnote",
        "header",
    ):
        assert word in names
    assert {c.path for c in CASES} == {"fast", "docxtpl"}


def test_replacements_change_the_pictures():
    """The replacement cases would pass vacuously if nothing were replaced."""
    case = next(c for c in CASES if c.name == "replace_pic in header and body")
    compiled = CompiledTemplate(case.build())
    before = compiled.render(CONTEXT)
    _replace_pic(compiled)
    after = compiled.render(CONTEXT)
    with zipfile.ZipFile(io.BytesIO(after)) as archive:
        media = {archive.read(n) for n in archive.namelist() if n.startswith("word/media/")}
    assert media == {BLUE, RED} and references(after) != references(before)
    compiled.reset_replacements()
    compiled.replace_pic("nowhere.png", io.BytesIO(RED))
    with pytest.raises(TemplateError, match="nowhere.png not found"):
        compiled.render(CONTEXT)


def test_split_tags_in_headers_footers_and_footnotes_are_rendered():
    data = CompiledTemplate(_split_everywhere()).render(CONTEXT)
    shown = texts(data)
    assert shown["word/header1.xml"] == ["Riverside Cancer Center letterhead"]
    assert "Reference SL-0042" in shown["word/footer1.xml"]
    assert " Source: Notice of 2026-05-01" in shown["word/footnotes.xml"]
    # docxtpl's {_{ escape works only when Word keeps it in one run; both renderers agree
    assert "Escaped {_{ not a tag }_} stays" in shown["word/document.xml"]


def test_tc_loop_widens_the_grid():
    data = CompiledTemplate(_merged_cells()()).render(CONTEXT)
    assert len(grids(data)[0]) == 5  # Tall and four looped cells, from a grid of four
    assert grid_problems(data) == []


# -- refused, with the part and the paragraph -----------------------------------------------------


def _error(fn: Callable[[], Any]) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        fn()
    return caught.value


@pytest.mark.parametrize("where", ["body", "header"])
def test_unescaped_markup_is_an_error_naming_the_paragraph(where: str):
    """docxtpl's default environment does not escape: '&' breaks the XML. docxtpl raises for a
    header and silently mangles a body; the compiled renderer refuses both."""
    body, header = ("Hello {{ name }} end", None) if where == "body" else ("Hi", "Head {{ name }}")
    compiled = CompiledTemplate(_plain(body, header=header)(), env=Environment(), name="org.docx")
    err = _error(lambda: compiled.render({"name": "A & B <x>"}))
    part = "word/document.xml" if where == "body" else "word/header1.xml"
    assert err.part == part and err.paragraph == (body if where == "body" else header)
    assert str(err).startswith(f"org.docx: {part}, paragraph “")
    assert "A & B" not in str(err)  # the letter's data is never in the message
    if where == "body":  # what docxtpl does instead: a letter missing its text
        reference = DocxTemplate(io.BytesIO(compiled.source))
        reference.render({"name": "A & B <x>"}, jinja_env=Environment())
        out = io.BytesIO()
        reference.save(out)
        assert "Hello A & B <x> end" not in texts(out.getvalue())["word/document.xml"]


def test_a_syntax_error_names_the_paragraph_not_line_1():
    build = _plain("First", "Second {{ name }}", "Third {% if name %}", "Fourth")
    err = _error(lambda: CompiledTemplate(build(), name="t.docx"))
    assert err.part == "word/document.xml"
    assert err.paragraph == "Third {% if name %}"
    assert "syntax error" in str(err)


def test_a_render_error_names_the_paragraph():
    compiled = CompiledTemplate(_plain("First", "Second {{ name }}", "Third {{ missing.x }}")())
    err = _error(lambda: compiled.render({"name": "N"}))
    assert err.paragraph == "Third {{ missing.x }}" and "missing" in str(err)


def test_tags_in_endnotes_are_refused():
    doc = new_document()
    doc.add_paragraph("Body {{ name }}")
    add_notes(doc, "endnote", ["Endnote {{ name }}"])
    err = _error(lambda: CompiledTemplate(wordify(save(doc))))
    assert err.part == "word/endnotes.xml" and "Endnote {{ name }}" in err.paragraph


def test_footnote_tags_in_a_document_with_two_sections_are_refused():
    doc = new_document()
    doc.add_paragraph("One")
    doc.add_section()
    doc.add_paragraph("Two")
    add_notes(doc, "footnote", ["Note {{ name }}"])
    err = _error(lambda: CompiledTemplate(wordify(save(doc))))
    assert err.part == "word/footnotes.xml" and "once per section" in str(err)


def test_an_inline_image_of_another_file_is_refused():
    compiled = CompiledTemplate(_plain("Logo {{ logo }}")())
    other = DocxTemplate(io.BytesIO(_plain("Other {{ logo }}")()))
    err = _error(lambda: compiled.render({"logo": InlineImage(other, io.BytesIO(RED))}))
    assert "another file" in str(err)


def test_an_inline_image_bound_to_a_never_rendered_template_renders():
    source = _plain("Logo {{ logo }}")()
    never_rendered = DocxTemplate(io.BytesIO(source))
    data = CompiledTemplate(source).render({"logo": InlineImage(never_rendered, io.BytesIO(RED))})
    assert package.problems(data) == []
    assert [sha for _, sha in references(data)["word/document.xml"]] == [
        hashlib.sha1(RED).hexdigest()
    ]


def test_a_hyperlink_made_with_another_template_is_refused():
    compiled = CompiledTemplate(_plain("See {{r link }}")())
    other = compiled.new_docxtpl()
    link = RichText("x", url_id=other.build_url_id("https://example.org"))
    err = _error(lambda: compiled.render({"link": link}))  # rendered with a new DocxTemplate
    assert "refers to relationship" in str(err)


# -- LibreOffice opens every output ----------------------------------------------------------------


@pytest.mark.slow
def test_every_output_opens_in_libreoffice(tmp_path):
    from letters.pdf import convert_batch

    outputs = {f"case{i}": render_both(case, tmp_path)[0] for i, case in enumerate(CASES)}
    pdfs = convert_batch(outputs, pdfa=True)
    for i, case in enumerate(CASES):
        path = tmp_path / f"case{i}.pdf"
        path.write_bytes(pdfs[f"case{i}"])
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout
        for word in case.words:
            assert word in text, (case.name, word)
