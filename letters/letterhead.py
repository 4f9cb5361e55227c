"""Letterheads: the page headers of an organisation's letterhead .docx (with their pictures and
styles) put into a letter template, in place of its header. The letter's footer stays.

Only text and pictures are taken from the header (no lists, charts or embedded objects); the
last header paragraph gets 12 pt after it, so the letter does not start right under the logo.
Checked uploads come through letters.organisation.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass

from lxml import etree

import letters.package as package

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
R = f"{{{package.R_NS}}}"
HEADER_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
HEADER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
IMAGE_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


class LetterheadProblem(ValueError):
    """A letterhead that cannot be applied; `problems` says why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


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
        raise LetterheadProblem(["the document has no page settings (section)"])
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
        raise LetterheadProblem(
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
            raise LetterheadProblem(
                ["lists (bullets or numbering) in the page header are not supported"]
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
            raise LetterheadProblem(
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
