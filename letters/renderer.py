"""Compiled .docx rendering: compile a docxtpl template once, render many letters fast.

docxtpl re-opens the template with python-docx, re-patches and re-compiles its XML for every
letter, and python-docx re-serialises and re-compresses every part on save. Here the work that
does not depend on the letter is done once per template:

* the template's XML parts are patched exactly as docxtpl patches them (`patch_xml`, the same
  code) and compiled into Jinja templates once;
* every other zip member (styles, numbering, theme, settings, ...) is deflated once and its bytes
  are reused as they are;

and each letter only renders the compiled templates, applies docxtpl's post-processing
(paragraph joins, `{_{` escapes, `resolve_listing` for tabs and line breaks) and writes a new
zip around the pre-compressed members. The extracted text equals docxtpl's for the same
template, context and Jinja environment (tests/test_letters_renderer.py checks it against
docxtpl itself).

The Jinja environment autoescapes (`&`, `<`, `>` and quotes in clinical text cannot break the
XML), uses `StrictUndefined` (a misspelt field is an error, not a blank), refuses to print
`None`, and strips characters that XML 1.0 forbids (a vertical tab pasted from a spreadsheet
becomes a line break instead of a corrupt document).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, Template
from lxml import etree
from markupsafe import Markup
from pydantic import BaseModel

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and U+FFFE/U+FFFF.
# C1 controls are legal XML but are never text anyone meant to type (they come from mis-decoded
# spreadsheets); they go too, except NEL (U+0085), which is a line break.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n"})


def clean_text(value: str) -> str:
    """Text that can go into a .docx: line endings normalised, XML-illegal characters removed.

    Vertical tab (what Excel and Word use for a line break inside a cell), form feed, NEL and
    LINE SEPARATOR become `\\n`; U+2029 PARAGRAPH SEPARATOR becomes a blank line. Other control
    characters, lone surrogates and non-characters are dropped.
    """
    if value.isprintable():  # the common case: nothing to do
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2029", "\n\n")
    return _ILLEGAL_XML.sub("", value.translate(_LINE_BREAKS))


def _finalize(value: Any) -> Any:
    if value is None:
        # A template printing None is a bug: optional fields must be guarded with `if`.
        raise ValueError("the template printed a value that is None (guard it with {% if %})")
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    return value


def make_environment() -> Environment:
    """The Jinja environment every letter is rendered with (docxtpl gets the same one in tests)."""
    return Environment(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=False,
    )


# ---------------------------------------------------------------------------------------------
# docxtpl's per-part pre- and post-processing, reused so that the output is the same.

_DOCXTPL = DocxTemplate.__new__(DocxTemplate)  # only for its stateless helper methods
_TAG = re.compile(r"\{[{%#]")


_WHITESPACE_CONTROL = re.compile(r"\{[%{#]-|-[%}#]\}")


def _prepare(xml: str) -> tuple[str, bool]:
    """What docxtpl does to a part's XML before handing it to Jinja: (source, newlines).

    docxtpl puts a newline before every paragraph (for line numbers in Jinja errors) and takes
    it out after rendering. Only Jinja whitespace control (`{%-`, `-%}`, ...) could make that
    newline change the output, so without it the newlines are left out, which saves two passes
    over every letter; with it they are kept, exactly as docxtpl does.
    """
    xml = _DOCXTPL.patch_xml(xml)
    if _WHITESPACE_CONTROL.search(xml):
        return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml), True
    return xml, False


_LISTING = re.compile("[\t\n\a\f]")


def _resolve_listing(xml: str) -> str:
    """docxtpl's `resolve_listing`, applied only to the paragraphs that need it.

    docxtpl rewrites every paragraph and run with nested regular expressions, but it changes
    only the text of paragraphs holding a tab, newline, BEL or form feed, one paragraph at a
    time (paragraphs do not nest in these templates, and `<` in text is always escaped). So
    each such paragraph is cut out and passed to docxtpl's own function: the same output.
    """
    pieces, done = [], 0
    for match in _LISTING.finditer(xml):
        at = match.start()
        if at < done:
            continue  # inside a paragraph already resolved
        start = max(xml.rfind("<w:p ", done, at), xml.rfind("<w:p>", done, at))
        if start < 0:
            continue
        end = xml.find("</w:p>", start)
        if end < at:
            continue  # between paragraphs: docxtpl leaves it alone too
        end += len("</w:p>")
        pieces.append(xml[done:start])
        pieces.append(_DOCXTPL.resolve_listing(xml[start:end]))
        done = end
    if not pieces:
        return xml
    pieces.append(xml[done:])
    return "".join(pieces)


def _finish(xml: str, newlines: bool) -> str:
    """What docxtpl does to Jinja's output (render_xml_part after the render)."""
    if newlines:
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
    if "{_" in xml or "_}" in xml:
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%")
        xml = xml.replace("%_}", "%}")
    if "\t" in xml or "\n" in xml or "\a" in xml or "\f" in xml:
        xml = _resolve_listing(xml)
    return xml


def _serialize(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode", pretty_print=False)


# ---------------------------------------------------------------------------------------------
# A minimal zip writer: members are deflated once (static parts) or per letter (templated parts),
# with a fixed timestamp so the same context always gives the same bytes.

_DOS_TIME, _DOS_DATE = 0, (2000 - 1980) << 9 | 1 << 5 | 1  # 2000-01-01 00:00


@dataclass(frozen=True)
class _Member:
    name: bytes
    data: bytes  # deflated
    crc: int
    size: int


def _deflate(name: str, raw: bytes, level: int = 6) -> _Member:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = compressor.compress(raw) + compressor.flush()
    return _Member(name.encode("utf-8"), data, zlib.crc32(raw), len(raw))


def _write_zip(members: list[_Member]) -> bytes:
    out = bytearray()
    central = bytearray()
    for member in members:
        offset = len(out)
        header = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0x0800,  # UTF-8 names
            zipfile.ZIP_DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            member.crc,
            len(member.data),
            member.size,
            len(member.name),
            0,
        )
        out += header + member.name + member.data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0x0800,
            zipfile.ZIP_DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            member.crc,
            len(member.data),
            member.size,
            len(member.name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += member.name
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0
    )
    return bytes(out)


# ---------------------------------------------------------------------------------------------


@dataclass
class _Part:
    """A templated zip member: fixed bytes around a compiled Jinja template."""

    name: str
    prefix: bytes
    template: Template
    suffix: bytes
    fix_tables: bool
    newlines: bool


class TemplateError(ValueError):
    """The .docx template cannot be compiled (not a .docx, or a feature we do not support)."""


class CompiledTemplate:
    """One .docx template, compiled once; `render(context)` gives the bytes of a new .docx."""

    def __init__(self, source: bytes, *, env: Environment | None = None, name: str = "template"):
        self.name = name
        self.source = source
        self.env = env or make_environment()
        self._compile()

    # -- compile --------------------------------------------------------------------------
    def _compile(self) -> None:
        from docx import Document
        from docx.opc.oxml import parse_xml

        try:
            document = Document(io.BytesIO(self.source))
            archive = zipfile.ZipFile(io.BytesIO(self.source))
        except (zipfile.BadZipFile, KeyError, ValueError) as err:
            raise TemplateError(f"{self.name}: not a .docx file ({err})") from None

        for prop in ("author", "comments", "identifier", "language", "subject", "title"):
            if _TAG.search(getattr(document.core_properties, prop) or ""):
                raise TemplateError(f"{self.name}: template tags in core property {prop!r}")

        parts: dict[str, _Part] = {}

        # The main document: docxtpl renders only <w:body>, so does this.
        main = document.part
        root = main.element
        body = root.body
        body_xml = _serialize(body)
        placeholder = etree.SubElement(root, body.tag)
        root.replace(body, placeholder)
        whole = etree.tostring(root, encoding="UTF-8", xml_declaration=True, standalone=True)
        root.replace(placeholder, body)
        marker = whole.index(b"<w:body/>")
        source, newlines = _prepare(body_xml)
        parts[main.partname.lstrip("/")] = _Part(
            main.partname.lstrip("/"),
            whole[:marker],
            self.env.from_string(source),
            whole[marker + len(b"<w:body/>") :],
            fix_tables=bool(re.search(r"\{[%{]-?\s*tc\s", body_xml)),
            newlines=newlines,
        )

        # Headers and footers related to the main document, as docxtpl finds them.
        for rel in main.rels.values():
            if rel.reltype not in (RT.HEADER, RT.FOOTER) or rel.is_external:
                continue
            part = rel.target_part
            xml = _serialize(parse_xml(part.blob))
            if not _TAG.search(xml):
                continue
            name = part.partname.lstrip("/")
            source, newlines = _prepare(xml)
            parts[name] = _Part(
                name,
                b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n",
                self.env.from_string(source),
                b"",
                fix_tables=False,
                newlines=newlines,
            )

        for part in main.package.parts:
            if part.content_type.endswith("wordprocessingml.footnotes+xml") and _TAG.search(
                part.blob.decode("utf-8")
            ):
                raise TemplateError(f"{self.name}: template tags in footnotes are not supported")

        self._parts = parts
        self._order: list[str] = []
        self._static: dict[str, _Member] = {}
        for info in archive.infolist():
            self._order.append(info.filename)
            if info.filename not in parts:
                self._static[info.filename] = _deflate(info.filename, archive.read(info))

    # -- render ---------------------------------------------------------------------------
    def render_parts(self, context: Mapping[str, Any]) -> dict[str, bytes]:
        """The rendered XML of every templated part (name -> bytes)."""
        rendered = {}
        for name, part in self._parts.items():
            xml = _finish(part.template.render(context), part.newlines)
            if part.fix_tables:
                tree = _DOCXTPL.fix_tables(xml)
                xml = _serialize(tree)
            rendered[name] = part.prefix + xml.encode("utf-8") + part.suffix
        return rendered

    def render(self, context: Mapping[str, Any] | BaseModel) -> bytes:
        """A new .docx (bytes) for one context."""
        if isinstance(context, BaseModel):
            context = context.model_dump()
        rendered = self.render_parts(context)
        members = [
            self._static[name] if name in self._static else _deflate(name, rendered[name], 1)
            for name in self._order
        ]
        return _write_zip(members)

    def undeclared_variables(self) -> set[str]:
        """Names the template uses, as docxtpl's get_undeclared_template_variables reports."""
        return DocxTemplate(io.BytesIO(self.source)).get_undeclared_template_variables(
            jinja_env=self.env
        )

    # -- pickling: ship the template bytes, recompile on the other side ------------------
    def __reduce__(self):
        return (CompiledTemplate, (self.source,), {"name": self.name})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name = state["name"]


def render_with_docxtpl(source: bytes, context: Mapping[str, Any], env: Environment) -> bytes:
    """The reference: plain docxtpl (new DocxTemplate, render, save) for one context."""
    template = DocxTemplate(io.BytesIO(source))
    template.render(dict(context), jinja_env=env)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


class Renderer:
    """Compile-once, render-many for the letter templates; what the batch runner uses.

    Templates are compiled on first use. A Renderer pickles as its templates directory, so a
    worker process rebuilds it cheaply (a few milliseconds per template) instead of shipping
    compiled code.
    """

    def __init__(self, templates_dir: Path | str = TEMPLATES_DIR):
        self.templates_dir = Path(templates_dir)
        self.env = make_environment()
        self._compiled: dict[str, CompiledTemplate] = {}

    def __reduce__(self):
        return (Renderer, (str(self.templates_dir),))

    def template(self, letter_type: str) -> CompiledTemplate:
        compiled = self._compiled.get(letter_type)
        if compiled is None:
            from letters.types import LETTER_TYPES

            if letter_type not in LETTER_TYPES:
                raise KeyError(f"unknown letter type {letter_type!r}")
            path = self.templates_dir / LETTER_TYPES[letter_type].template
            compiled = CompiledTemplate(path.read_bytes(), env=self.env, name=path.name)
            self._compiled[letter_type] = compiled
        return compiled

    def render_context(self, letter_type: str, context: Mapping[str, Any] | BaseModel) -> bytes:
        return self.template(letter_type).render(context)

    def render(
        self,
        letter_type: str,
        case,  # noqa: ANN001
        plan,  # noqa: ANN001
        determination,  # noqa: ANN001
        *,
        today=None,  # noqa: ANN001
        law=None,  # noqa: ANN001
        evidence=(),  # noqa: ANN001
    ) -> bytes:
        """Build the context (checking required fields first), then render: .docx bytes."""
        from letters.contexts import build_context

        context = build_context(
            letter_type, case, plan, determination, today=today, law=law, evidence=evidence
        )
        return self.render_context(letter_type, context)
