"""Compiled .docx rendering: compile a docxtpl template once, render many letters fast, and give
exactly what docxtpl gives, or a clear error, for any template.

docxtpl re-opens the template with python-docx, re-patches and re-compiles its XML for every
letter, and python-docx re-serialises and re-compresses every part on save. Here the work that
does not depend on the letter is done once per template:

* every part docxtpl renders (the body, the headers and footers of the main document, the
  footnotes) is patched exactly as docxtpl patches it (`patch_xml`, the same code) and compiled
  into a Jinja template once; a part is rendered when it holds a tag *after* the patch merged
  Word's split runs, or text docxtpl's post-processing would change;
* every other zip member (styles, numbering, media, ...) is deflated and laid out once (its
  local header and central-directory entry too) and copied into each letter as it is;

and each letter only renders the compiled templates, applies docxtpl's post-processing
(paragraph joins, `{_{` escapes, `resolve_listing`; the table-grid fix and drawing-id numbering
when the body needs them) and writes a new zip around the pre-compressed members.

Where that would not be docxtpl's output, the render goes through docxtpl itself (the fallback):
a context printing an InlineImage, a Subdoc, or a RichText that refers to relationships (they add
parts to a DocxTemplate, which the fast path has not got); templates whose core properties hold
tags; Jinja environments with other delimiters or line statements. Where docxtpl's own output
would be wrong, the template is refused with an error naming the part and the paragraph: tags in
a part docxtpl never renders (they would stay in the letter as literal `{{ ... }}`), tags in the
footnotes of a document with several sections (docxtpl renders them once per section, so text of
the letter would be read as template). Output that is not well-formed XML is an error (docxtpl
raises too, or silently "recovers" a mangled body). A fallback output is checked for relationship
ids that point nowhere (a hyperlink made with another template) before it is returned.

The Jinja environment of the letters autoescapes (`&`, `<`, `>` and quotes in clinical text
cannot break the XML), uses `StrictUndefined` (a misspelt field is an error, not a blank),
refuses to print `None`, and strips characters that XML 1.0 forbids (a vertical tab pasted from
a spreadsheet becomes a line break instead of a corrupt document).
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docxtpl
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import ns as _docx_ns
from docxtpl import DocxTemplate, InlineImage, Listing, RichText, RichTextParagraph
from jinja2 import Environment, StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2 import TemplateError as JinjaTemplateError
from lxml import etree
from markupsafe import Markup, escape
from pydantic import BaseModel

import letters.package as package
from letters.package import Member, Record, deflate, record, write_records

# Importing docxtpl imports docxcompose (for Subdoc), which rebinds python-docx's global "cp"
# prefix to the custom-properties namespace; python-docx then writes core properties (author,
# last modified by, ...) as duplicate elements Word rejects. Restore the core-properties binding
# (docxcompose keeps its own namespace map). Upstream: python-docx-template PR 657.
_docx_ns.nsmap["cp"] = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_Subdoc = getattr(docxtpl, "Subdoc", None)  # needs the optional docxcompose package
_BOUND_TYPES: tuple[type, ...] = (InlineImage,) + ((_Subdoc,) if _Subdoc else ())

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


class TemplateError(ValueError):
    """A template that cannot be used, or a letter that cannot be rendered from it.

    The message names the template, the part (word/document.xml, word/header1.xml, ...) and,
    where there is one, the paragraph of the template (its text with the tags, never the letter's
    data)."""

    def __init__(self, message: str, *, part: str | None = None, paragraph: str | None = None):
        super().__init__(message)
        self.part = part
        self.paragraph = paragraph


class _NeedsDocxtpl(Exception):  # noqa: N818 - a signal, not an error
    """Raised while printing a value the fast path cannot reproduce; render() falls back."""


@dataclass
class _RenderState:
    """What one render needs to know while Jinja prints values (a context variable)."""

    owner: CompiledTemplate
    docxtpl: DocxTemplate | None = None  # the fallback's template; None on the fast path
    verify: bool = False  # raw markup was printed: check the part is well-formed XML
    located: Template | None = None  # diagnosis: the template with a line per paragraph
    raw_lines: list[int] | None = None  # diagnosis: lines that printed unescaped '<' or '&'
    plain_text: bool = False  # docxtpl renders core properties: plain text, no post-processing


_STATE: ContextVar[_RenderState | None] = ContextVar("secondlook_render_state", default=None)
_REFERS_TO_RELATIONSHIP = re.compile(r"\br:(?:id|embed|link|pict)=")


def _inspect(value: Any) -> None:
    """Look at a value about to be printed: can the fast path reproduce docxtpl with it?"""
    state = _STATE.get()
    if state is None or type(value) is str:
        return
    if isinstance(value, _BOUND_TYPES) or (
        isinstance(value, RichText | RichTextParagraph)
        and _REFERS_TO_RELATIONSHIP.search(value.xml)
    ):
        state.owner._check_binding(value, state)
    elif hasattr(value, "__html__") and not isinstance(value, Listing):
        state.verify = True  # raw XML (Markup, RichText): the result must be checked


class _PrintedNone(ValueError):
    pass


def _finalize(value: Any) -> Any:
    if type(value) is str:  # nearly every value: nothing else to look at
        value = value if value.isprintable() else clean_text(value)
        return _kept_as_typed(value) if "_" in value else value
    if value is None:
        # A template printing None is a bug: optional fields must be guarded with `if`.
        raise _PrintedNone("the template printed a value that is None (guard it with {% if %})")
    _inspect(value)
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    if isinstance(value, Listing | RichText | RichTextParagraph) and "_" in value.xml:
        xml = _RISKY_UNDERSCORE_IN_XML.sub("&#95;", value.xml)
        return Markup(xml) if xml != value.xml else value
    return value


# docxtpl's post-processing turns `{_{`, `}_}`, `{_%` and `%_}` anywhere in a rendered part into
# `{{`, `}}`, `{%`, `%}` (a template's escapes). An underscore of a value beside a brace or a
# percent sign, or at either end of the value (beside the template's text or the next value), is
# printed as a character reference, which that replacement cannot match: what a person typed is
# printed as typed. Other underscores (`jane_doe@example.org`) are printed as they are.
_RISKY_UNDERSCORE = re.compile(r"(?<=[{}%])_|_(?=[{}%])|\A_|_\Z")
_RISKY_UNDERSCORE_IN_XML = re.compile(r"(?<=[{}%])_|_(?=[{}%])")  # RichText, Listing: markup


def _kept_as_typed(value: str) -> Any:
    if not _RISKY_UNDERSCORE.search(value):
        return value
    state = _STATE.get()
    if state is not None and state.plain_text:  # core properties: text, never replaced
        return value
    return Markup(_RISKY_UNDERSCORE.sub("&#95;", str(escape(value))))


# What `getattr` finds on a plain dict: its methods and object's attributes (a dict has no
# instance attributes).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class LetterEnvironment(Environment):
    """Jinja's environment, with `a.b` on a plain dict (what a context model dumps to) found
    without raising and catching an AttributeError first: the same value, or the same
    undefined, as Jinja's own `getattr` (which tries the attribute, then the item)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if (
            obj.__class__ is dict
            and attribute.__class__ is str
            and attribute not in _DICT_ATTRIBUTES
        ):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def make_environment() -> Environment:
    """The Jinja environment every letter is rendered with (docxtpl gets the same one in tests)."""
    return LetterEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=False,
    )


def _wrap_finalize(env: Environment, after: Callable[[Any], Any]) -> Environment:
    """An overlay of `env` whose finalize runs env's own, then `after` on its result."""
    inner = env.finalize
    pass_arg = getattr(inner, "jinja_pass_arg", None) if inner else None
    if inner is None:
        finalize: Callable[..., Any] = after
    elif pass_arg is None:

        def finalize(value: Any) -> Any:
            return after(inner(value))

    else:

        def finalize(first: Any, value: Any) -> Any:
            return after(inner(first, value))

        finalize.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return env.overlay(finalize=finalize)


def _render(template: Template, context: Mapping[str, Any]) -> str:
    """`template.render(context)`: the same context (the globals, then the context's values)
    and the same error handling, but the globals merged from their plain dicts: Jinja merges
    them through a ChainMap on every call, most of the time a small part takes to render."""
    scopes = getattr(template.globals, "maps", None)
    env = template.environment
    if scopes is None or env.is_async:
        return template.render(context)
    merged: dict[str, Any] = {}
    for scope in reversed(scopes):  # the ChainMap's first mapping wins
        merged.update(scope)
    parent = dict(merged, **dict(context))
    ctx = env.context_class(env, parent, template.name, template.blocks, globals=template.globals)
    try:
        return env.concat(template.root_render_func(ctx))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - Jinja's own handling: the template's line in the traceback
        env.handle_exception()


def _inspecting(value: Any) -> Any:
    _inspect(value)
    return value


def _escapes(env: Environment) -> bool:
    return bool(env.autoescape(None) if callable(env.autoescape) else env.autoescape)


def _recording(value: Any) -> Any:
    """Diagnosis only: note the template line of a value printed with unescaped markup."""
    state = _STATE.get()
    if state is not None and state.raw_lines is not None and state.located is not None:
        raw = isinstance(value, Markup) or (
            isinstance(value, str) and not _escapes(state.owner.env)
        )
        if raw and ("<" in value or "&" in value):
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename != "<template>":
                frame = frame.f_back
            if frame is not None:
                state.raw_lines.append(state.located.get_corresponding_lineno(frame.f_lineno))
    return value


# ---------------------------------------------------------------------------------------------
# docxtpl's per-part pre- and post-processing, reused so that the output is the same.

_DOCXTPL = DocxTemplate.__new__(DocxTemplate)  # only for its stateless helper methods
_TAG = re.compile(r"\{[{%#]")
_WHITESPACE_CONTROL = re.compile(r"\{[%{#]-|-[%}#]\}")
_DEFAULT_SYNTAX = {
    "block_start_string": "{%",
    "block_end_string": "%}",
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
    "line_statement_prefix": None,
    "line_comment_prefix": None,
}


def _with_newlines(patched: str) -> str:
    """docxtpl's source for Jinja: a newline before every paragraph (one line per paragraph)."""
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)


def _needs_processing(xml: str) -> bool:
    """Whether docxtpl's render changes a part: tags, or text its post-processing rewrites."""
    return bool(_TAG.search(xml)) or any(c in xml for c in ("{_", "_}", "\t", "\n", "\a", "\f"))


def _next_listing(xml: str, start: int) -> int:
    """Where the next tab, newline, BEL or form feed is (-1: none); str.find is memchr-fast."""
    found = [at for at in (xml.find(c, start) for c in "\t\n\a\f") if at >= 0]
    return min(found) if found else -1


def _resolve_listing(xml: str, nested: bool) -> str:
    """docxtpl's `resolve_listing`, applied only to the paragraphs that need it.

    docxtpl rewrites every paragraph and run with nested regular expressions, but it changes
    only the text of paragraphs holding a tab, newline, BEL or form feed, one paragraph at a
    time. Where paragraphs do not nest (`nested` False: no text boxes), each such paragraph is
    cut out and passed to docxtpl's own function: the same output. Otherwise docxtpl's function
    runs on the whole part."""
    if nested:
        return _DOCXTPL.resolve_listing(xml)
    pieces, done = [], 0
    at = _next_listing(xml, 0)
    while at >= 0:
        start = max(xml.rfind("<w:p ", done, at), xml.rfind("<w:p>", done, at))
        end = xml.find("</w:p>", start) if start >= 0 else -1
        if start >= 0 and end > at:
            end += len("</w:p>")
            pieces.append(xml[done:start])
            pieces.append(_DOCXTPL.resolve_listing(xml[start:end]))
            done = end
        # else: between paragraphs, where docxtpl leaves it alone too
        at = _next_listing(xml, max(done, at + 1))
    if not pieces:
        return xml
    pieces.append(xml[done:])
    return "".join(pieces)


def _finish(xml: str, newlines: bool, nested: bool) -> str:
    """What docxtpl does to Jinja's output (render_xml_part after the render). The cheap
    single-character tests come first: two-character searches cost a pass over the part."""
    if newlines:
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
    if ("{" in xml or "}" in xml) and ("{_" in xml or "_}" in xml):
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%")
        xml = xml.replace("%_}", "%}")
    if "\t" in xml or "\n" in xml or "\a" in xml or "\f" in xml:
        xml = _resolve_listing(xml, nested)
    return xml


def _as_plain_text(render_properties: Callable[..., None], state: _RenderState) -> Callable:
    """docxtpl's render_properties, with values printed as plain text (a core property is not
    XML and docxtpl does not post-process it)."""

    def render(*args: Any, **kwargs: Any) -> None:
        state.plain_text = True
        try:
            render_properties(*args, **kwargs)
        finally:
            state.plain_text = False

    return render


def _serialize(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode", pretty_print=False)


def _paragraph_text(located_source: str, lineno: int | None, hint: str | None = None) -> str | None:
    """The text (tags kept, XML dropped) of the template paragraph on a line of docxtpl's
    source: what a person sees in Word, so they can find it. A line can also hold the tags of
    `{%p %}` paragraphs that follow it (docxtpl removes their paragraph): the part holding
    `hint`, or else the first part with text, is taken."""
    if not lineno:
        return None
    lines = located_source.splitlines()
    if not 0 < lineno <= len(lines):
        return None
    pieces = [
        " ".join(re.sub(r"<[^>]+>", "", p).split()) for p in lines[lineno - 1].split("</w:p>")
    ]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    text = next((p for p in pieces if hint and hint in p), pieces[0])
    return text if len(text) <= 100 else text[:97] + "..."


def _body_needs_fix(source: str) -> bool:
    """Whether docxtpl's table-grid fix and drawing-id numbering can change the rendered body.

    Drawings: always (ids are renumbered on every render). Tables: unless they hold no block
    tags or comments (which can add or remove cells: `{%tc`, `{#tc`, `{% hm %}`, ...) and no
    values in attributes (a `colspan` width), and the fix leaves the template's tables as they
    are; then no render can change them."""
    if "docPr" in source:
        return True
    first = min((i for i in (source.find("<w:tbl>"), source.find("<w:tbl ")) if i >= 0), default=-1)
    if first < 0:
        return False
    region = source[first : source.rfind("</w:tbl>")]
    if "{%" in region or "{#" in region or '="{{' in region:
        return True
    try:
        tree = etree.fromstring(source)
        before = etree.tostring(tree, method="c14n")
        after = etree.tostring(_DOCXTPL.fix_tables(source), method="c14n")
    except Exception:  # noqa: BLE001 - anything odd: fix on every render, as docxtpl does
        return True
    return before != after


# ---------------------------------------------------------------------------------------------


@dataclass
class _Part:
    """A rendered zip member: fixed bytes around a compiled Jinja template."""

    name: str
    prefix: bytes
    source: str  # patched, as compiled (without docxtpl's newlines unless `newlines`)
    template: Template
    suffix: bytes
    newlines: bool
    body: bool = False  # the main document body: table-grid fix and drawing ids
    fix: bool = False  # the body needs the fix on every render
    always_verify: bool = False  # the environment prints raw text: check the XML every time
    nested: bool = False  # paragraphs inside paragraphs (text boxes)
    located: Template | None = None  # compiled on demand for error messages
    pics: dict[str, str] = field(default_factory=dict)  # rId -> zip name (replace_pic)


@dataclass
class _Replacements:
    """docxtpl's replace_pic / replace_media / replace_embedded / replace_zipname."""

    pics: dict[str, bytes] = field(default_factory=dict)
    media: dict[int, bytes] = field(default_factory=dict)  # CRC of the old file -> new bytes
    embedded: dict[int, bytes] = field(default_factory=dict)
    zipnames: dict[str, bytes] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.pics or self.media or self.embedded or self.zipnames)


def _read(source: Any) -> bytes:
    """Bytes of a path, a file object or bytes (docxtpl accepts paths and file objects)."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if hasattr(source, "read"):
        return source.read()
    return Path(source).read_bytes()


def _template_lineno(err: BaseException) -> int | None:
    """The template line an exception was raised at (Jinja rewrites tracebacks to show it)."""
    if isinstance(err, TemplateSyntaxError):
        return err.lineno
    lineno = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _problem(err: BaseException) -> str:
    """What went wrong, in words that hold no letter data: Jinja's own messages name template
    expressions only; anything else is named by its type."""
    if isinstance(err, JinjaTemplateError | _PrintedNone):
        return str(getattr(err, "message", None) or err)
    return f"{type(err).__name__} while rendering"


class CompiledTemplate:
    """One .docx template, compiled once; `render(context)` gives the bytes of a new .docx,
    the same document docxtpl would make (or a TemplateError).

    docxtpl's replace_pic / replace_media / replace_embedded / replace_zipname and
    `allow_missing_pics` work as on a DocxTemplate. Pictures (InlineImage), subdocuments and
    hyperlinks (RichText with `url_id`) add parts to a DocxTemplate: make them with
    `new_docxtpl()` (or with a DocxTemplate of the same file) and pass the context to render(),
    which renders through that DocxTemplate. An InlineImage may also be made with the
    CompiledTemplate itself: `InlineImage(compiled, "logo.png")`.
    """

    def __init__(
        self,
        source: bytes,
        *,
        env: Environment | None = None,
        name: str = "template",
        docxtpl_only: bool = False,
    ):
        self.name = name
        self.source = source
        self.env = env or make_environment()
        self._env = (
            self.env if self.env.finalize is _finalize else _wrap_finalize(self.env, _inspecting)
        )
        self._diag_env = _wrap_finalize(self._env, _recording)
        self.allow_missing_pics = False
        self._replacements = _Replacements()
        #: why every render goes through docxtpl (None: the fast path is used where it can be)
        self.fallback_reason: str | None = "docxtpl_only was asked for" if docxtpl_only else None
        self._compile()

    # -- compile --------------------------------------------------------------------------
    def _compile(self) -> None:
        from docx import Document

        try:
            document = Document(io.BytesIO(self.source))
            archive = zipfile.ZipFile(io.BytesIO(self.source))
        except Exception as err:  # noqa: BLE001 - python-docx raises many kinds
            detail = str(err) if isinstance(err, zipfile.BadZipFile) else type(err).__name__
            raise TemplateError(f"{self.name}: not a .docx file ({detail})") from None
        syntax = [k for k, v in _DEFAULT_SYNTAX.items() if getattr(self.env, k) != v]
        if syntax and self.fallback_reason is None:
            self.fallback_reason = f"the Jinja environment changes {', '.join(syntax)}"
        for prop in ("author", "comments", "identifier", "language", "subject", "title"):
            if (
                _TAG.search(getattr(document.core_properties, prop) or "")
                and not self.fallback_reason
            ):
                self.fallback_reason = f"the core property {prop!r} holds template tags"

        self._parts: dict[str, _Part] = {}
        self._located: dict[str, str] = {}  # part -> docxtpl's source (a line per paragraph)
        main = document.part
        self._main = main.partname.lstrip("/")
        self._compile_body(main)
        self._pic_parts = [self._main]  # where replace_pic looks, in docxtpl's order
        for rel in main.rels.values():
            if rel.reltype not in (RT.HEADER, RT.FOOTER) or rel.is_external:
                continue
            name = rel.target_part.partname.lstrip("/")
            self._pic_parts.append(name)
            if rel.target_part.blob and name not in self._located:
                xml = _serialize(etree.fromstring(rel.target_part.blob))
                self._compile_part(
                    name, xml, b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n", b""
                )
        for part in main.package.parts:
            if part.content_type == FOOTNOTES_TYPE:
                self._compile_footnotes(part, len(document.sections))
        self._refuse_unrendered_tags(archive)

        self._order = [info.filename for info in archive.infolist()]
        self._static: dict[str, Member] = {
            name: deflate(name, archive.read(name))
            for name in self._order
            if name not in self._parts
        }
        # laid out once: a letter copies these bytes and deflates only its rendered parts
        self._records: dict[str, Record] = {n: record(m) for n, m in self._static.items()}
        self._pic_xml = {n: archive.read(n) for n in self._pic_parts if n not in self._parts}
        self._pic_rels = {
            n: {
                rid: target
                for rid, (target, ext) in package.relationships(archive, n).items()
                if not ext
            }
            for n in self._pic_parts
        }

    def _compile_body(self, main: Any) -> None:
        root = main.element
        body = root.body
        body_xml = _serialize(body)
        placeholder = etree.SubElement(root, body.tag)
        root.replace(body, placeholder)
        whole = etree.tostring(root, encoding="UTF-8", xml_declaration=True, standalone=True)
        root.replace(placeholder, body)
        marker = whole.index(b"<w:body/>")
        part = self._compile_part(
            self._main, body_xml, whole[:marker], whole[marker + len(b"<w:body/>") :], always=True
        )
        assert part is not None
        part.body = True
        part.fix = _body_needs_fix(part.source)

    def _compile_footnotes(self, part: Any, sections: int) -> None:
        name = part.partname.lstrip("/")
        xml = part.blob.decode("utf-8")  # docxtpl patches the raw part, declaration and all
        patched = _DOCXTPL.patch_xml(xml)
        tag = _TAG.search(patched) or re.search(r"\{_|_\}", patched)
        if tag and sections != 1:
            located = _with_newlines(patched)
            lineno = located[: located.find(tag.group())].count("\n") + 1
            why = (
                "docxtpl renders footnotes once per section, so text of the letter would be "
                "read as a template"
                if sections
                else "docxtpl renders footnotes only in a document with sections"
            )
            raise self._error(
                name,
                located,
                lineno,
                f"template tags in footnotes of a document with {sections} sections: {why}",
            )
        self._compile_part(name, xml, b"", b"")

    def _compile_part(
        self, name: str, xml: str, prefix: bytes, suffix: bytes, *, always: bool = False
    ) -> _Part | None:
        """Patch and compile one part docxtpl renders (None: rendering would not change it)."""
        patched = _DOCXTPL.patch_xml(xml)
        self._located[name] = _with_newlines(patched)
        if not always and not _needs_processing(patched):
            return None
        env = self.env
        newlines = bool(_WHITESPACE_CONTROL.search(patched)) or env.trim_blocks or env.lstrip_blocks
        source = self._located[name] if newlines else patched
        try:
            template = self._env.from_string(source)
        except TemplateSyntaxError as first:
            err = first
            try:  # the line (paragraph) of the error, from the source docxtpl compiles
                self._env.from_string(self._located[name])
            except TemplateSyntaxError as located:
                err = located
            raise self._error(
                name, self._located[name], err.lineno, f"template syntax error: {err.message}"
            ) from None
        raw = not _escapes(env) or bool(re.search(r"\{%-?\s*autoescape", patched))
        part = _Part(name, prefix, source, template, suffix, newlines, always_verify=raw)
        part.nested = "txbxContent" in patched
        self._parts[name] = part
        return part

    def _refuse_unrendered_tags(self, archive: zipfile.ZipFile) -> None:
        """Tags in a part docxtpl never renders (endnotes, comments, ...) would stay in the
        letter as literal `{{ ... }}`: refuse the template instead."""
        for name in archive.namelist():
            if name in self._located or not name.endswith(".xml"):
                continue
            data = archive.read(name)
            if b"<w:t" not in data:
                continue
            located = _with_newlines(_DOCXTPL.patch_xml(data.decode("utf-8", "replace")))
            tag = _TAG.search(located)
            if tag:
                lineno = located[: tag.start()].count("\n") + 1
                raise self._error(
                    name,
                    located,
                    lineno,
                    "template tags in a part that is not rendered (docxtpl renders the body, "
                    "headers, footers and footnotes only): they would stay in the letter as "
                    "they are",
                )

    def _error(self, part: str, located: str, lineno: int | None, problem: str) -> TemplateError:
        text = _paragraph_text(located, lineno)
        where = f"{part}, paragraph “{text}”" if text else part
        return TemplateError(f"{self.name}: {where}: {problem}", part=part, paragraph=text)

    # -- render ---------------------------------------------------------------------------
    def render(
        self, context: Mapping[str, Any] | BaseModel, *, docx_template: DocxTemplate | None = None
    ) -> bytes:
        """A new .docx (bytes) for one context.

        `docx_template`: the DocxTemplate (of this same file) that the context's pictures,
        subdocuments or hyperlinks were made with; the render then goes through it."""
        if isinstance(context, BaseModel):
            context = context.model_dump()
        if self.fallback_reason is None and docx_template is None:
            try:
                return self._render_fast(context)
            except _NeedsDocxtpl:
                pass
        return self._render_docxtpl(context, docx_template)

    def render_parts(self, context: Mapping[str, Any]) -> dict[str, bytes]:
        """The rendered XML of every templated part (name -> bytes), on the fast path."""
        state = _RenderState(self)
        token = _STATE.set(state)
        try:
            return {
                name: self._render_part(part, context, state) for name, part in self._parts.items()
            }
        finally:
            _STATE.reset(token)

    def _render_fast(self, context: Mapping[str, Any]) -> bytes:
        rendered = self.render_parts(context)
        replaced = self._replaced_members(rendered) if self._replacements else {}
        static = self._records
        return write_records(
            record(replaced[name])
            if name in replaced
            else static[name]
            if name in static
            else record(deflate(name, rendered[name], 1))
            for name in self._order
        )

    def _render_part(self, part: _Part, context: Mapping[str, Any], state: _RenderState) -> bytes:
        state.verify = part.always_verify
        try:
            xml = _finish(
                _render(part.template, context), part.newlines, part.nested or state.verify
            )
        except (_NeedsDocxtpl, TemplateError):
            raise
        except Exception as err:  # noqa: BLE001 - every failure names the part and paragraph
            raise self._located_error(part, context, err) from (
                err if isinstance(err, JinjaTemplateError) else None
            )
        if part.body and (part.fix or state.verify):
            xml = self._fixed_body(part, context, xml)
        elif state.verify:
            self._check_well_formed(part, context, part.prefix + xml.encode("utf-8") + part.suffix)
        return part.prefix + xml.encode("utf-8") + part.suffix

    def _fixed_body(self, part: _Part, context: Mapping[str, Any], xml: str) -> str:
        """docxtpl's table-grid fix and drawing-id numbering (render() and fix_docpr_ids)."""
        self._check_well_formed(part, context, xml.encode("utf-8"))
        tree = _DOCXTPL.fix_tables(xml)
        ns = {"wp": package.WP_NS}
        for index, element in enumerate(tree.xpath("//wp:docPr", namespaces=ns), start=1001):
            element.attrib["id"] = str(index)
        return _serialize(tree)

    def _check_well_formed(self, part: _Part, context: Mapping[str, Any], data: bytes) -> None:
        try:
            etree.fromstring(data)
        except etree.XMLSyntaxError as err:
            lines = self._diagnose(part, context)
            if lines:
                problem = (
                    "a value printed here holds '<' or '&' that is not escaped, so the letter "
                    "would not be well-formed XML (docxtpl fails here too); render with an "
                    "autoescaping Jinja environment or escape the value"
                )
            else:
                problem = f"the rendered XML is not well-formed ({str(err).split(',')[0]})"
            raise self._error(
                part.name, self._located[part.name], lines[0] if lines else None, problem
            ) from None

    def _diagnose(self, part: _Part, context: Mapping[str, Any]) -> list[int]:
        """Render the part again from docxtpl's source (a line per paragraph), noting the lines
        that printed unescaped markup."""
        located = self._diag_env.from_string(self._located[part.name])
        state = _RenderState(self, located=located, raw_lines=[])
        token = _STATE.set(state)
        try:
            located.render(context)
        except Exception:  # noqa: BLE001, S110 - only the lines noted so far are wanted
            pass
        finally:
            _STATE.reset(token)
        return state.raw_lines or []

    def _located_error(
        self, part: _Part, context: Mapping[str, Any], err: BaseException
    ) -> TemplateError:
        lineno = None
        if part.newlines:
            lineno = _template_lineno(err)
        else:  # the compiled source has no line breaks: render docxtpl's to find the paragraph
            token = _STATE.set(_RenderState(self))
            try:
                self._env.from_string(self._located[part.name]).render(context)
            except Exception as again:  # noqa: BLE001
                lineno = _template_lineno(again)
            finally:
                _STATE.reset(token)
        return self._error(part.name, self._located[part.name], lineno, _problem(err))

    # -- the docxtpl fallback -------------------------------------------------------------
    def new_docxtpl(self) -> DocxTemplate:
        """A DocxTemplate of this template's file, for making pictures, subdocuments and
        hyperlinks (one per letter, as with docxtpl)."""
        return DocxTemplate(io.BytesIO(self.source))

    @property
    def current_rendering_part(self) -> Any:
        """The part being rendered, for an InlineImage made with this CompiledTemplate."""
        state = _STATE.get()
        if state is None or state.docxtpl is None:
            raise TemplateError(
                f"{self.name}: an InlineImage of this template was printed outside its render()"
            )
        return state.docxtpl.current_rendering_part

    def _check_binding(self, value: Any, state: _RenderState) -> None:
        """Called while printing a picture, subdocument or hyperlink: on the fast path, switch
        to docxtpl; in docxtpl, refuse an object whose parts went into another document."""
        if state.docxtpl is None:
            raise _NeedsDocxtpl
        bound = getattr(value, "tpl", state.docxtpl)
        if bound is not state.docxtpl and bound is not self:
            raise TemplateError(
                f"{self.name}: a {type(value).__name__} in the context was made with another "
                "template, so its parts would be missing from this letter: make it with "
                "new_docxtpl() of this template and pass that as docx_template"
            )

    def _render_docxtpl(self, context: Mapping[str, Any], tpl: DocxTemplate | None) -> bytes:
        tpl = tpl or self._bound_template(context) or self.new_docxtpl()
        self._check_same_file(tpl)
        r = self._replacements
        tpl.pics_to_replace.update(r.pics)
        tpl.crc_to_new_media.update(r.media)
        tpl.crc_to_new_embedded.update(r.embedded)
        tpl.zipname_to_replace.update(r.zipnames)
        tpl.allow_missing_pics = tpl.allow_missing_pics or self.allow_missing_pics
        state = _RenderState(self, docxtpl=tpl)
        token = _STATE.set(state)
        tpl.render_properties = _as_plain_text(tpl.render_properties, state)
        try:
            tpl.render(dict(context), jinja_env=self._env)
            out = io.BytesIO()
            tpl.save(out)
        except TemplateError:
            raise
        except Exception as err:  # noqa: BLE001 - every failure names the part and paragraph
            part = getattr(getattr(tpl, "current_rendering_part", None), "partname", "")
            name = str(part).lstrip("/") or self._main
            raise self._error(
                name, self._located.get(name, ""), _template_lineno(err), _problem(err)
            ) from (err if isinstance(err, JinjaTemplateError) else None)
        finally:
            _STATE.reset(token)
        data = out.getvalue()
        found = package.problems(data, limit=1)
        if found:
            raise TemplateError(
                f"{self.name}: the letter would be broken ({found[0]}): a picture, subdocument "
                "or hyperlink in the context was made with another template"
            )
        return data

    def _bound_template(self, context: Mapping[str, Any]) -> DocxTemplate | None:
        """The DocxTemplate the context's pictures and subdocuments were made with, if any."""
        found = {id(t): t for t in _bound_templates(context) if t is not self}
        if len(found) > 1:
            raise TemplateError(
                f"{self.name}: the context's pictures and subdocuments were made with different templates"
            )
        return next(iter(found.values()), None)

    def _check_same_file(self, tpl: DocxTemplate) -> None:
        source = tpl.template_file
        if hasattr(source, "read"):
            at = source.tell()
            source.seek(0)
            data = source.read()
            source.seek(at)
        else:
            data = Path(source).read_bytes()
        if data != self.source:
            raise TemplateError(
                f"{self.name}: the context's pictures, subdocuments or hyperlinks were made with "
                "a DocxTemplate of another file"
            )

    # -- docxtpl's replacements, applied to the zip members -------------------------------
    def replace_pic(self, embedded_file: str, dst_file: Any) -> None:
        """Replace the picture named (or titled, or described) `embedded_file`."""
        self._replacements.pics[embedded_file] = _read(dst_file)

    def replace_media(self, src_file: Any, dst_file: Any) -> None:
        """Replace the media file whose bytes are those of `src_file`."""
        self._replacements.media[zlib.crc32(_read(src_file))] = _read(dst_file)

    def replace_embedded(self, src_file: Any, dst_file: Any) -> None:
        """Replace the embedded object whose bytes are those of `src_file`."""
        self._replacements.embedded[zlib.crc32(_read(src_file))] = _read(dst_file)

    def replace_zipname(self, zipname: str, dst_file: Any) -> None:
        """Replace one member of the .docx by name."""
        self._replacements.zipnames[zipname] = _read(dst_file)

    def reset_replacements(self) -> None:
        self._replacements = _Replacements()

    def _replaced_members(self, rendered: Mapping[str, bytes]) -> dict[str, Member]:
        """docxtpl's order: pictures in the rendered parts, then members by name, by CRC."""
        r = self._replacements
        new = self._replaced_pics(rendered) if r.pics else {}
        for name in self._order:
            if name in r.zipnames:
                new[name] = r.zipnames[name]
                continue
            if name in new:
                crc = zlib.crc32(new[name])
            else:
                crc = self._static[name].crc if name in self._static else zlib.crc32(rendered[name])
            if name.startswith("word/media/") and crc in r.media:
                new[name] = r.media[crc]
            elif name.startswith("word/embeddings/") and crc in r.embedded:
                new[name] = r.embedded[crc]
        return {name: deflate(name, data) for name, data in new.items()}

    def _replaced_pics(self, rendered: Mapping[str, bytes]) -> dict[str, bytes]:
        """docxtpl's _replace_pics: pictures of the main part, headers and footers whose
        name, title or description is a key get the new bytes."""
        from docx.oxml.ns import nsmap

        pics = self._replacements.pics
        done = dict.fromkeys(pics, False)
        out: dict[str, bytes] = {}
        for part in self._pic_parts:
            tree = etree.fromstring(rendered[part] if part in rendered else self._pic_xml[part])
            for data in tree.xpath("//a:graphic/a:graphicData", namespaces=nsmap):
                embed = data.xpath("pic:pic/pic:blipFill/a:blip/@r:embed", namespaces=nsmap)
                props = data.xpath("pic:pic/pic:nvPicPr/pic:cNvPr", namespaces=nsmap)
                target = self._pic_rels[part].get(embed[0]) if embed else None
                if data.get("uri") != nsmap["pic"] or not props or target is None:
                    continue
                names = (props[0].get("name"), props[0].get("title", ""), props[0].get("descr", ""))
                for key, new in pics.items():
                    if key in names:
                        out[target] = new
                        done[key] = True
                        break
        missing = [key for key, found in done.items() if not found]
        if missing and not self.allow_missing_pics:
            raise TemplateError(f"{self.name}: Picture {missing[0]} not found in the docx template")
        return out

    # -- what the template reads ----------------------------------------------------------
    def references(self) -> Iterator[tuple[tuple[str, ...], str, str | None]]:
        """Every context name the template reads, with the attribute path after it:
        (("sender", "lines"), part, paragraph text), across every rendered part."""
        for part, source in self._located.items():
            ast = self._env.parse(source)
            names = meta.find_undeclared_variables(ast)
            for node in ast.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
                path = _reference_path(node)
                if path and path[0] in names:
                    yield path, part, _paragraph_text(source, node.lineno, path[0])

    def undeclared_variables(self) -> set[str]:
        """Names the template reads from the context (docxtpl's get_undeclared_template_
        variables, footnotes included)."""
        return {path[0] for path, _, _ in self.references()}

    # -- pickling: ship the template bytes, recompile on the other side ------------------
    def __reduce__(self):
        return (CompiledTemplate, (self.source,), {"name": self.name})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name = state["name"]


def _reference_path(node: nodes.Node) -> tuple[str, ...] | None:
    """`a.b["c"]` -> ("a", "b", "c"); None when the chain does not start at a name."""
    path: list[str] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            path.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            path.append(node.arg.value)
        else:
            path.clear()  # a computed key: only the part before it can be checked
        node = node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return (node.name, *reversed(path))
    return None


def _bound_templates(value: Any, limit: int = 100_000) -> Iterator[Any]:
    """The `tpl` of every InlineImage and Subdoc in a context (dicts, lists, models)."""
    stack, seen = [value], 0
    while stack and seen < limit:
        item = stack.pop()
        seen += 1
        if isinstance(item, _BOUND_TYPES):
            yield item.tpl
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, BaseModel):
            stack.extend(item.__dict__.values())


def _renderer(templates_dir: str, letterhead: bytes | None, letters: dict[str, bytes]) -> Renderer:
    return Renderer(templates_dir, letterhead=letterhead, letters=letters)


def render_with_docxtpl(source: bytes, context: Mapping[str, Any], env: Environment) -> bytes:
    """The reference: plain docxtpl (new DocxTemplate, render, save) for one context."""
    template = DocxTemplate(io.BytesIO(source))
    template.render(dict(context), jinja_env=env)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


class Renderer:
    """Compile-once, render-many for the letter templates; what the batch runner uses.

    `letterhead`: an organisation's letterhead .docx, applied to the shipped templates;
    `letters`: an organisation's own template per letter type (both checked beforehand by
    letters.organisation.check_template). Templates are compiled on first use. A Renderer
    pickles as its templates directory and organisation templates, so a worker process rebuilds
    it cheaply (a few milliseconds per template) instead of shipping compiled code.
    """

    def __init__(
        self,
        templates_dir: Path | str = TEMPLATES_DIR,
        *,
        letterhead: bytes | None = None,
        letters: Mapping[str, bytes] | None = None,
    ):
        self.templates_dir = Path(templates_dir)
        self.letterhead = letterhead
        self.letters = dict(letters or {})
        self.env = make_environment()
        self._compiled: dict[str, CompiledTemplate] = {}

    def __reduce__(self):
        return (_renderer, (str(self.templates_dir), self.letterhead, self.letters))

    def template(self, letter_type: str) -> CompiledTemplate:
        compiled = self._compiled.get(letter_type)
        if compiled is None:
            from letters.types import LETTER_TYPES

            if letter_type not in LETTER_TYPES:
                raise KeyError(f"unknown letter type {letter_type!r}")
            if letter_type in self.letters:
                source, name = self.letters[letter_type], f"organisation {letter_type}.docx"
            else:
                path = self.templates_dir / LETTER_TYPES[letter_type].template
                source, name = path.read_bytes(), path.name
                if self.letterhead:
                    from letters.letterhead import apply_letterhead

                    source = apply_letterhead(source, self.letterhead)
            compiled = CompiledTemplate(source, env=self.env, name=name)
            self._compiled[letter_type] = compiled
        return compiled

    def version_suffix(self, letter_type: str) -> str:
        """What a letter's template version gains from the organisation's template or
        letterhead ("" for the shipped templates): a digest of the file."""
        import hashlib

        own = self.letters.get(letter_type) or self.letterhead
        return f"+org-{hashlib.sha256(own).hexdigest()[:12]}" if own else ""

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
