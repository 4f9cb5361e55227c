""".docx packages: a fast deterministic zip writer, and the structural checks every rendered or
uploaded document must pass (well-formed XML, every relationship id defined, every internal
relationship target present, unique drawing ids).

A .docx is a zip of XML parts. Each part's relationships live in `_rels/<part>.rels`; markup
refers to them by id (`r:id`, `r:embed`, ...). A picture whose `r:embed` names no relationship
is blank, a hyperlink whose `r:id` names none is broken, and Word calls the file corrupt: these
are the "silently wrong" documents the checks exist to catch.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

try:  # ISA-L's deflate: same format, about 3x faster than zlib at level 1, no larger
    from isal import isal_zlib as _deflater
except ImportError:  # pragma: no cover - isal is pinned; zlib gives the same (valid) zips
    _deflater = zlib

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"

# Every zip we write (letters, letters.zip) dates its members 2000-01-01 00:00: same bytes.
DOS_TIME, DOS_DATE = 0, (2000 - 1980) << 9 | 1 << 5 | 1


@dataclass(frozen=True)
class Member:
    """A zip member, already deflated."""

    name: bytes
    data: bytes  # deflated
    crc: int
    size: int


def deflate(name: str, raw: bytes, level: int = 6) -> Member:
    """A member deflated once: level 6 (zlib) for parts reused by every letter, level 1 (ISA-L)
    for a letter's own parts."""
    compressor = (zlib if level > 3 else _deflater).compressobj(level, zlib.DEFLATED, -15)
    data = compressor.compress(raw) + compressor.flush()
    return Member(name.encode("utf-8"), data, zlib.crc32(raw), len(raw))


@dataclass(frozen=True)
class Record:
    """A member as the zip holds it: its local header and deflated data, and its central
    directory entry up to the offset (the one field that depends on where the member lands).
    A part every letter shares is laid out once and copied into each letter as it is."""

    local: bytes
    central: bytes
    name: bytes


LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # a member's local header, before its name
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHI")  # ..., extra, comment, disk, internal, external
_OFFSET = struct.Struct("<I")
_END = struct.Struct("<IHHHHIIH")


def record(member: Member) -> Record:
    """The zip layout of one member, with the fixed timestamp."""
    head = (20, 0x0800, zipfile.ZIP_DEFLATED, DOS_TIME, DOS_DATE, member.crc)
    sizes = (len(member.data), member.size, len(member.name))
    local = LOCAL_HEADER.pack(0x04034B50, *head, *sizes, 0) + member.name + member.data
    central = _CENTRAL.pack(0x02014B50, 20, *head, *sizes, 0, 0, 0, 0, 0)
    return Record(local, central, member.name)


def write_records(records: Iterable[Record]) -> bytes:
    """A zip of members already laid out: their bytes, then the central directory."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for item in records:
        out.append(item.local)
        central += (item.central, _OFFSET.pack(offset), item.name)
        offset += len(item.local)
    directory = b"".join(central)
    count = len(out)
    out += (directory, _END.pack(0x06054B50, 0, 0, count, count, len(directory), offset, 0))
    return b"".join(out)


def write_zip(members: Iterable[Member]) -> bytes:
    """A zip of pre-deflated members with a fixed timestamp: same members, same bytes."""
    return write_records(record(member) for member in members)


def rels_name(part: str) -> str:
    """The relationships member of a part: word/document.xml -> word/_rels/document.xml.rels."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def resolve_target(part: str, target: str) -> str:
    """A relationship target (relative to the part's folder, or absolute) as a zip name."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, bool]]:
    """rId -> (target zip name or external URL, is_external) for one part ('' = the package)."""
    name = rels_name(part) if part else "_rels/.rels"
    try:
        root = etree.fromstring(archive.read(name))
    except KeyError:
        return {}
    out = {}
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        external = rel.get("TargetMode") == "External"
        target = rel.get("Target", "")
        out[rel.get("Id", "")] = (target if external else resolve_target(part, target), external)
    return out


def problems(data: bytes, *, limit: int = 20) -> list[str]:
    """What is structurally wrong with a .docx (empty: nothing). Each problem names the part.

    Checked: it is a zip; every XML part is well-formed; every part has a content type; every
    internal relationship's target exists; every relationship id used in a part's markup is
    defined in that part's relationships; drawing ids (wp:docPr) are unique within a part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a zip file"]
    found: list[str] = []
    with archive:
        names = set(archive.namelist())
        trees = {}
        for name in sorted(names):
            if name.endswith((".xml", ".rels")):
                try:
                    trees[name] = etree.fromstring(archive.read(name))
                except etree.XMLSyntaxError as err:
                    found.append(f"{name}: not well-formed XML ({str(err).split(',')[0]})")
        found += _content_type_problems(trees.get("[Content_Types].xml"), names)
        for name, tree in trees.items():
            if name.endswith(".rels") or name == "[Content_Types].xml":
                continue
            found += _part_problems(archive, names, name, tree)
        for rid, (target, external) in relationships(archive, "").items():
            if not external and target not in names:
                found.append(f"_rels/.rels: relationship {rid} points at missing {target}")
    return found[:limit]


def _content_type_problems(types: etree._Element | None, names: set[str]) -> list[str]:
    if types is None:
        return ["[Content_Types].xml is missing"]
    defaults = {d.get("Extension", "").lower() for d in types.iter(f"{{{CT_NS}}}Default")}
    overrides = {o.get("PartName", "").lstrip("/") for o in types.iter(f"{{{CT_NS}}}Override")}
    out = []
    for name in sorted(names):
        if name == "[Content_Types].xml" or name.endswith("/"):
            continue
        if name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults:
            out.append(f"{name}: no content type")
    return out


def _part_problems(
    archive: zipfile.ZipFile, names: set[str], name: str, tree: etree._Element
) -> list[str]:
    out = []
    rels = relationships(archive, name)
    for rid, (target, external) in rels.items():
        if not external and target not in names:
            out.append(f"{name}: relationship {rid} points at missing {target}")
    for element in tree.iter():
        for attr, value in element.attrib.items():
            if attr.startswith(f"{{{R_NS}}}") and value and value not in rels:
                local = etree.QName(element).localname
                out.append(
                    f"{name}: <{local}> refers to relationship {value}, which is not defined"
                )
    ids = [d.get("id") for d in tree.iter(f"{{{WP_NS}}}docPr")]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        out.append(f"{name}: drawing ids repeat ({', '.join(repeated[:5])})")
    return out
