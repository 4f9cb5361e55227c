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
import re
import types
import typing
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel

import letters.package as package
from letters.letterhead import LetterheadProblem, apply_letterhead, read_letterhead
from letters.renderer import TEMPLATES_DIR, CompiledTemplate, TemplateError

MAX_BYTES = 5 * 1024 * 1024  # a letterhead with a logo is well under 1 MB
MAX_MEMBERS = 400
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 150  # unpacked / packed, per member: more is a zip bomb, not a document

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


def _header_words(problem: str) -> str:
    """Name the letterhead's headers as Word does, not by the part they become in a letter."""
    problem = re.sub(r"word/header-letterhead-first\.xml", "the first-page header", problem)
    return re.sub(r"word/header-letterhead-default\.xml", "the page header", problem)


def _check_letterhead(data: bytes, name: str, libreoffice: bool) -> CheckedTemplate:
    from letters.types import LETTER_TYPES

    try:
        head = read_letterhead(data)
    except LetterheadProblem as problem:
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
                raise TemplateProblem(name, [_header_words(p) for p in problems])
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
