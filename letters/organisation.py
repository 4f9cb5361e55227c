"""Organisation templates: a letterhead (logo and address in the page header) applied to the
shipped letters, or an organisation's own .docx for one letter type. Checked on upload:

- bounded: file size, number of zip members, unpacked size, compression ratio; no macros, no
  links to outside files or pictures;
- it compiles (TemplateError names the part and paragraph);
- it reads only variables the letter's context model has (a letterhead: those every letter
  has); unknown ones are named with the part and paragraph where they are;
- it renders with a sample context made from the model, and the result is a sound .docx;
- LibreOffice opens the result (optional: it takes a few seconds).

A letterhead's page headers (first page and following pages) replace the letter's header; the
letter's footer (reference and page numbers) stays. The shipped templates stay the default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import posixpath
import re
import types
import typing
import zipfile
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel

from letters import package
from letters.renderer import TEMPLATES_DIR, CompiledTemplate, TemplateError

MAX_BYTES = 5 * 1024 * 1024  # a letterhead with a logo is well under 1 MB
MAX_MEMBERS = 400
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 150  # unpacked / packed, per member: more is a zip bomb, not a document

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
R = f"{{{package.R_NS}}}"
HEADER_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
HEADER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
IMAGE_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


class TemplateProblem(ValueError):
    """An uploaded template that cannot be used; `problems` lists every reason found."""

    def __init__(self, name: str, problems: list[str]):
        self.name = name
        self.problems = problems
        super().__init__(f"{name}: " + "; ".join(problems))


@dataclass(frozen=True)
class CheckedTemplate:
    """A template that passed every check."""

    kind: Literal["letterhead", "letter"]
    letter_type: str | None  # for kind "letter"
    data: bytes
    digest: str  # SHA-256, hex

    @property
    def short(self) -> str:
        return self.digest[:12]


# -- bounds ---------------------------------------------------------------------------------------


def package_limits(data: bytes) -> list[str]:
    """Why a file is not a .docx this program will open (empty: it may be one)."""
    if len(data) > MAX_BYTES:
        return [f"the file is {len(data) / 1048576:.1f} MB; at most {MAX_BYTES // 1048576} MB"]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a Word .docx file (it is not a zip package)"]
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            return [f"the package has {len(infos)} parts; at most {MAX_MEMBERS}"]
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            return [f"the package unpacks to more than {MAX_UNPACKED // 1048576} MB"]
        problems = []
        for info in infos:
            if info.flag_bits & 0x1:
                problems.append("the package is encrypted")
            elif info.file_size > 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                problems.append(f"{info.filename} is compressed suspiciously well (a zip bomb?)")
            elif info.filename.lower().endswith("vbaproject.bin"):
                problems.append("the document has macros (save it as .docx, not .docm)")
        names = {i.filename for i in infos}
        if "word/document.xml" not in names and "[Content_Types].xml" not in names:
            problems.append("not a Word .docx file (no document part)")
        problems += _outside_links(archive, names)
    return problems


def _outside_links(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    """Relationships to outside files (linked pictures, attached templates): LibreOffice would
    fetch them while converting. Hyperlinks (web and e-mail) are fine."""
    out = []
    for name in sorted(names):
        if not name.endswith(".rels"):
            continue
        try:
            root = etree.fromstring(archive.read(name))
        except etree.XMLSyntaxError:
            out.append(f"{name} is not well-formed XML")
            continue
        for rel in root.iter(f"{{{package.PKG_REL_NS}}}Relationship"):
            if rel.get("TargetMode") != "External":
                continue
            if rel.get("Type") == HYPERLINK_TYPE and re.match(
                r"(https?|mailto):", rel.get("Target", ""), re.I
            ):
                continue
            out.append(
                f"{name}: a link to an outside file or picture ({rel.get('Type', '').rsplit('/', 1)[-1]})"
            )
    return out


# -- the context models ---------------------------------------------------------------------------


def letter_model(letter_type: str | None) -> type[BaseModel]:
    """The context model of a letter type; None: what every letter has (for a letterhead)."""
    from letters.contexts import CONTEXT_MODELS, LetterContext

    if letter_type is None:
        return LetterContext
    if letter_type not in CONTEXT_MODELS:
        raise KeyError(f"unknown letter type {letter_type!r}")
    return CONTEXT_MODELS[letter_type]


def _unwrap(annotation: Any) -> Any:
    """Optional[X] / X | None -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if args else annotation
    return annotation


def _sample(annotation: Any, label: str) -> Any:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple):
        args = typing.get_args(annotation) or (str,)
        return [_sample(args[0], f"{label} {i}") for i in (1, 2)]
    if origin in (dict, Mapping):
        return {"key": _sample(typing.get_args(annotation)[-1], label)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return sample_context(annotation)
    if annotation is bool:
        return True
    if annotation in (int, float):
        return annotation(1)
    if annotation is dt.date:
        return dt.date(2026, 1, 2)
    return f"Sample {label.replace('_', ' ')}"


def sample_context(model: type[BaseModel]) -> dict[str, Any]:
    """A context with every field of the model filled (lists with two items, flags true), so
    a sample render takes every branch a real letter can."""
    values = {name: _sample(field.annotation, name) for name, field in model.model_fields.items()}
    return model.model_validate(values).model_dump()


def _unknown_reference(path: tuple[str, ...], model: type[BaseModel]) -> str | None:
    """The first part of `a.b.c` the model does not have (None: all known, or beyond what the
    model describes, such as a method of a string)."""
    current: Any = model
    for depth, name in enumerate(path):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(name)
        if field is None:
            return ".".join(path[: depth + 1])
        current = _unwrap(field.annotation)
    return None


def unknown_variables(compiled: CompiledTemplate, model: type[BaseModel], parts=None) -> list[str]:
    """Messages for every variable the template reads that the model does not have."""
    seen, out = set(), []
    for path, part, paragraph in compiled.references():
        if parts is not None and part not in parts:
            continue
        unknown = _unknown_reference(path, model)
        if unknown and (unknown, part, paragraph) not in seen:
            seen.add((unknown, part, paragraph))
            where = f"{part}, paragraph “{paragraph}”" if paragraph else part
            out.append(f"unknown variable '{unknown}' in {where}")
    return out


# -- letterheads ----------------------------------------------------------------------------------


def _main_part(archive: zipfile.ZipFile) -> str:
    for target, external in package.relationships(archive, "").values():
        if not external and target.endswith(".xml") and "document" in posixpath.basename(target):
            return target
    return "word/document.xml"


def _final_section(document: etree._Element) -> etree._Element:
    body = document.find(f"{W}body")
    section = body.find(f"{W}sectPr") if body is not None else None
    if section is None:
        raise TemplateProblem("letterhead", ["the document has no page settings (section)"])
    return section


def _is_on(element: etree._Element | None) -> bool:
    return element is not None and element.get(f"{W}val", "true") not in ("0", "false", "off")


@dataclass
class _Letterhead:
    """The parts of a letterhead .docx that go into each letter."""

    headers: dict[str, bytes]  # header type (default, first) -> header part XML
    header_rels: dict[str, bytes]  # header type -> its rewritten .rels
    media: dict[str, bytes]  # new zip name -> bytes
    defaults: dict[str, str]  # extension -> content type, for the media
    styles: list[etree._Element]  # style definitions the headers use


def read_letterhead(data: bytes) -> _Letterhead:
    """The page headers of a letterhead .docx, with their pictures and styles."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    main = _main_part(archive)
    section = _final_section(etree.fromstring(archive.read(main)))
    rels = package.relationships(archive, main)
    wanted = {"default"} | ({"first"} if _is_on(section.find(f"{W}titlePg")) else set())
    found = {
        ref.get(f"{W}type", "default"): rels.get(ref.get(f"{R}id", ""), ("", True))[0]
        for ref in section.findall(f"{W}headerReference")
    }
    found = {kind: part for kind, part in found.items() if kind in wanted and part}
    if not found:
        raise TemplateProblem(
            "letterhead",
            ["the letterhead has no page header (put the logo and address in Word's header)"],
        )
    head = _Letterhead({}, {}, {}, {}, [])
    types_root = etree.fromstring(archive.read("[Content_Types].xml"))
    known = {
        d.get("Extension", "").lower(): d.get("ContentType", "")
        for d in types_root.iter(f"{{{package.CT_NS}}}Default")
    }
    for kind, part in sorted(found.items()):
        xml = archive.read(part)
        if b"<w:numPr" in xml:
            raise TemplateProblem(
                "letterhead", ["lists (bullets or numbering) in the page header are not supported"]
            )
        head.headers[kind] = _space_after_header(xml)
        head.header_rels[kind] = _copy_header_rels(archive, part, kind, head, known)
    head.styles = _styles_used(archive, list(head.headers.values()))
    return head


_AFTER_SPACING = (
    "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
    "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr",
    "pPrChange",
)  # fmt: skip


def _space_after_header(xml: bytes) -> bytes:
    """12 pt after the header's last paragraph (unless it sets its own), so the letter does
    not start right under the logo when the header is taller than the top margin."""
    root = etree.fromstring(xml)
    paragraphs = root.findall(f"{W}p")
    if not paragraphs:
        return xml
    last = paragraphs[-1]
    props = last.find(f"{W}pPr")
    if props is None:
        props = etree.Element(f"{W}pPr")
        last.insert(0, props)
    spacing = props.find(f"{W}spacing")
    if spacing is None:
        spacing = etree.Element(f"{W}spacing")
        later = [c for c in props if etree.QName(c).localname in _AFTER_SPACING]
        if later:
            later[0].addprevious(spacing)
        else:
            props.append(spacing)
    if spacing.get(f"{W}after") is None:
        spacing.set(f"{W}after", "240")
    return _xml(root)


def _copy_header_rels(archive, part, kind, head, known) -> bytes:  # noqa: ANN001
    """The header's relationships with its pictures renamed (letterhead-<kind>-<name>)."""
    name = package.rels_name(part)
    if name not in archive.namelist():
        return b""
    root = etree.fromstring(archive.read(name))
    for rel in root.iter(f"{{{package.PKG_REL_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue  # checked by package_limits: web and e-mail links only
        if rel.get("Type") != IMAGE_TYPE:
            raise TemplateProblem(
                "letterhead",
                [
                    f"the page header holds a {rel.get('Type', '').rsplit('/', 1)[-1]}; only text and pictures are supported"
                ],
            )
        source = package.resolve_target(part, rel.get("Target", ""))
        new = f"word/media/letterhead-{kind}-{posixpath.basename(source)}"
        head.media[new] = archive.read(source)
        extension = new.rsplit(".", 1)[-1].lower()
        if extension in known:
            head.defaults[extension] = known[extension]
        rel.set("Target", new.removeprefix("word/"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _styles_used(archive: zipfile.ZipFile, headers: list[bytes]) -> list[etree._Element]:
    """Style definitions the headers refer to, with the styles they are based on."""
    try:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    except KeyError:
        return []
    by_id = {s.get(f"{W}styleId"): s for s in styles.iter(f"{W}style")}
    wanted = []
    for xml in headers:
        root = etree.fromstring(xml)
        for tag in ("pStyle", "rStyle", "tblStyle"):
            wanted += [e.get(f"{W}val") for e in root.iter(f"{W}{tag}")]
    out, seen = [], set()
    while wanted:
        style_id = wanted.pop()
        if style_id in seen or style_id not in by_id:
            continue
        seen.add(style_id)
        out.append(by_id[style_id])
        for link in ("basedOn", "link", "next"):
            element = by_id[style_id].find(f"{W}{link}")
            if element is not None:
                wanted.append(element.get(f"{W}val"))
    return out


_SECTION_TAIL = ("textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")


def _set_headers(section: etree._Element, refs: dict[str, str]) -> None:
    """Point a section at the letterhead's headers; with a first-page header, the first page
    keeps the letter's footer."""
    for old in section.findall(f"{W}headerReference"):
        section.remove(old)
    for index, (kind, rid) in enumerate(sorted(refs.items())):
        ref = etree.Element(f"{W}headerReference", {f"{W}type": kind, f"{R}id": rid})
        section.insert(index, ref)
    if "first" not in refs:
        return
    footers = {f.get(f"{W}type", "default"): f for f in section.findall(f"{W}footerReference")}
    if "default" in footers and "first" not in footers:
        first = deepcopy(footers["default"])
        first.set(f"{W}type", "first")
        section.insert(section.index(footers["default"]) + 1, first)
    if section.find(f"{W}titlePg") is None:
        title = etree.Element(f"{W}titlePg")
        tail = [c for c in section if etree.QName(c).localname in _SECTION_TAIL]
        if tail:
            tail[0].addprevious(title)
        else:
            section.append(title)


def apply_letterhead(template: bytes, letterhead: bytes | _Letterhead) -> bytes:
    """The template with the letterhead's page headers (and their pictures and styles)."""
    head = letterhead if isinstance(letterhead, _Letterhead) else read_letterhead(letterhead)
    archive = zipfile.ZipFile(io.BytesIO(template))
    main = _main_part(archive)
    rels_name = package.rels_name(main)
    rels = etree.fromstring(archive.read(rels_name))
    dropped = set()
    for rel in list(rels):
        if rel.get("Type") == HEADER_TYPE:
            dropped.add(package.resolve_target(main, rel.get("Target", "")))
            rels.remove(rel)
    refs, new = {}, {}
    folder = posixpath.dirname(main)
    for kind, xml in head.headers.items():
        part = posixpath.join(folder, f"header-letterhead-{kind}.xml")
        refs[kind] = f"rIdLetterhead{kind.title()}"
        etree.SubElement(
            rels,
            f"{{{package.PKG_REL_NS}}}Relationship",
            Id=refs[kind],
            Type=HEADER_TYPE,
            Target=posixpath.basename(part),
        )
        new[part] = xml
        if head.header_rels[kind]:
            new[package.rels_name(part)] = head.header_rels[kind]
    document = etree.fromstring(archive.read(main))
    for section in document.iter(f"{W}sectPr"):
        _set_headers(section, refs)
    new.update(head.media)
    changed = {
        main: _xml(document),
        rels_name: _xml(rels),
        "[Content_Types].xml": _content_types(archive, new, head.defaults, dropped),
    }
    if head.styles and "word/styles.xml" in archive.namelist():
        changed["word/styles.xml"] = _merged_styles(archive.read("word/styles.xml"), head.styles)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as result:
        skip = dropped | {package.rels_name(d) for d in dropped} | set(new)
        for info in archive.infolist():
            if info.filename not in skip:
                result.writestr(info.filename, changed.get(info.filename, archive.read(info)))
        for name, data in new.items():
            result.writestr(name, data)
    return out.getvalue()


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _content_types(archive: zipfile.ZipFile, new: Mapping[str, bytes], defaults, dropped) -> bytes:  # noqa: ANN001
    root = etree.fromstring(archive.read("[Content_Types].xml"))
    ct = f"{{{package.CT_NS}}}"
    for override in list(root.iter(f"{ct}Override")):
        if override.get("PartName", "").lstrip("/") in dropped:
            root.remove(override)
    have = {d.get("Extension", "").lower() for d in root.iter(f"{ct}Default")}
    for extension, content_type in sorted(defaults.items()):
        if extension not in have:
            root.insert(
                0, etree.Element(f"{ct}Default", Extension=extension, ContentType=content_type)
            )
    for name in new:
        if name.endswith(".xml") and "/media/" not in name:
            etree.SubElement(root, f"{ct}Override", PartName=f"/{name}", ContentType=HEADER_CT)
    return _xml(root)


def _merged_styles(styles_xml: bytes, wanted: list[etree._Element]) -> bytes:
    root = etree.fromstring(styles_xml)
    have = {s.get(f"{W}styleId") for s in root.iter(f"{W}style")}
    for style in wanted:
        if style.get(f"{W}styleId") not in have:
            root.append(deepcopy(style))
    return _xml(root)


# -- checking an upload ---------------------------------------------------------------------------


def _without_name(err: Exception, name: str) -> str:
    return str(err).removeprefix(f"{name}: ")


def _sample_render(compiled: CompiledTemplate, model: type[BaseModel], name: str) -> bytes:
    try:
        out = compiled.render(sample_context(model))
    except TemplateError as err:
        raise TemplateProblem(name, [_without_name(err, name)]) from None
    found = package.problems(out)
    if found:
        raise TemplateProblem(name, [f"a letter made from it is broken: {found[0]}"])
    return out


def _opens_in_libreoffice(docx: bytes, name: str) -> None:
    from letters.pdf import PdfError, docx_to_pdf

    try:
        docx_to_pdf(docx, timeout=120)
    except PdfError:
        raise TemplateProblem(name, ["LibreOffice cannot open a letter made from it"]) from None


def check_template(
    data: bytes,
    *,
    letter_type: str | None = None,
    name: str = "template.docx",
    libreoffice: bool = True,
) -> CheckedTemplate:
    """Check an uploaded .docx: a letterhead (`letter_type` None) or the organisation's own
    template for `letter_type`. Raises TemplateProblem listing what is wrong."""
    problems = package_limits(data)
    if problems:
        raise TemplateProblem(name, problems)
    if letter_type is None:
        return _check_letterhead(data, name, libreoffice)
    model = letter_model(letter_type)
    try:
        compiled = CompiledTemplate(data, name=name)
    except TemplateError as err:
        raise TemplateProblem(name, [_without_name(err, name)]) from None
    problems = unknown_variables(compiled, model)
    if problems:
        raise TemplateProblem(name, problems)
    sample = _sample_render(compiled, model, name)
    if libreoffice:
        _opens_in_libreoffice(sample, name)
    return CheckedTemplate("letter", letter_type, data, hashlib.sha256(data).hexdigest())


def _check_letterhead(data: bytes, name: str, libreoffice: bool) -> CheckedTemplate:
    from letters.types import LETTER_TYPES

    try:
        head = read_letterhead(data)
    except TemplateProblem as problem:
        raise TemplateProblem(name, problem.problems) from None
    except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile):
        raise TemplateProblem(
            name, ["not a Word .docx file Word or LibreOffice can open"]
        ) from None
    samples = []
    for letter_type, info in LETTER_TYPES.items():
        combined = apply_letterhead((TEMPLATES_DIR / info.template).read_bytes(), head)
        try:
            compiled = CompiledTemplate(combined, name=name)
        except TemplateError as err:
            raise TemplateProblem(name, [_without_name(err, name)]) from None
        if not samples:  # the letterhead's own tags: only what every letter has
            headers = {p for p in compiled._located if "letterhead-" in p}
            problems = unknown_variables(compiled, letter_model(None), parts=headers)
            if problems:
                raise TemplateProblem(name, problems)
        samples.append(_sample_render(compiled, letter_model(letter_type), name))
    if libreoffice:
        _opens_in_libreoffice(samples[0], name)
    return CheckedTemplate("letterhead", None, data, hashlib.sha256(data).hexdigest())


# -- an organisation's set ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationTemplates:
    """A letterhead and/or per-letter templates (already checked); `renderer()` uses them."""

    letterhead: bytes | None = None
    letters: Mapping[str, bytes] = field(default_factory=dict)

    def renderer(self):  # noqa: ANN201 - letters.Renderer
        from letters.renderer import Renderer

        return Renderer(letterhead=self.letterhead, letters=dict(self.letters))

    def __bool__(self) -> bool:
        return bool(self.letterhead or self.letters)


def load_templates(path, *, libreoffice: bool = True) -> OrganisationTemplates:  # noqa: ANN001
    """Templates from the command line: a .docx file (a letterhead), or a folder holding
    `letterhead.docx` and/or `<letter type>.docx` files. Every file is checked."""
    from pathlib import Path

    from letters.types import LETTER_TYPES

    path = Path(path)
    if path.is_dir():
        files = {p.stem: p for p in sorted(path.glob("*.docx"))}
        unknown = sorted(set(files) - set(LETTER_TYPES) - {"letterhead"})
        if unknown or not files:
            known = ", ".join(["letterhead", *LETTER_TYPES])
            what = (
                f"unexpected {', '.join(f'{u}.docx' for u in unknown)}"
                if unknown
                else "no .docx files"
            )
            raise TemplateProblem(str(path), [f"{what}; the folder may hold: {known} (.docx)"])
    elif path.is_file():
        files = {"letterhead": path}
    else:
        raise TemplateProblem(str(path), ["no such file or folder"])
    checked = {}
    for stem, file in files.items():
        if file.stat().st_size > MAX_BYTES:
            raise TemplateProblem(str(file), [f"the file is larger than {MAX_BYTES // 1048576} MB"])
        letter_type = None if stem == "letterhead" else stem
        checked[stem] = check_template(
            file.read_bytes(), letter_type=letter_type, name=str(file), libreoffice=libreoffice
        ).data
    letterhead = checked.pop("letterhead", None)
    return OrganisationTemplates(letterhead=letterhead, letters=checked)
