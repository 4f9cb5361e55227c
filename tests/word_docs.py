"""Templates as Word writes them, built in the test from python-docx and raw XML (no binary
fixtures): every run split where Word splits them (revision ids, spell-check marks, a tag's
braces in runs of their own), pictures in headers, hyperlinks, merged cells, footnotes,
endnotes, text boxes, and small PNG pictures drawn here.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from copy import deepcopy

from docx import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG (RGB, 8 bits)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


RED, BLUE, GREEN = (
    png(40, 20, (200, 30, 30)),
    png(30, 30, (30, 30, 200)),
    png(20, 40, (30, 160, 60)),
)


def save(document) -> bytes:  # noqa: ANN001 - a python-docx Document
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- parts python-docx has no API for ----------------------------------------------------------

_NOTE_TEMPLATE = (
    "<w:{kind}s {ns}>"
    '<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
    '<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
    "</w:r></w:p></w:{kind}>{notes}</w:{kind}s>"
)


def add_notes(document, kind: str, texts: list[str]) -> None:  # noqa: ANN001
    """Footnotes or endnotes (kind "footnote" / "endnote"), each referenced from a new body
    paragraph, as Word stores them."""
    notes = "".join(
        f'<w:{kind} w:id="{i}"><w:p><w:r><w:{kind}Ref/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>'
        for i, text in enumerate(texts, start=1)
    )
    blob = _NOTE_TEMPLATE.format(kind=kind, ns=nsdecls("w", "r"), notes=notes)
    content_type = CT.WML_FOOTNOTES if kind == "footnote" else CT.WML_ENDNOTES
    reltype = RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, blob.encode(), document.part.package)
    document.part.relate_to(part, reltype)
    for i in range(1, len(texts) + 1):
        paragraph = document.add_paragraph(f"See {kind} {i}")
        paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:{kind}Reference w:id="{i}"/></w:r>'))


def add_hyperlink(paragraph, url: str, text: str) -> None:  # noqa: ANN001
    """A hyperlink as Word writes it: <w:hyperlink r:id> around a styled run."""
    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    paragraph._p.append(
        parse_xml(
            f'<w:hyperlink {nsdecls("w", "r")} r:id="{rid}" w:history="1"><w:r><w:rPr>'
            f'<w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr><w:t>{text}</w:t></w:r>'
            "</w:hyperlink>"
        )
    )


def add_text_box(paragraph, text: str) -> None:  # noqa: ANN001
    """A VML text box (paragraphs inside a run inside a paragraph)."""
    paragraph._p.append(
        parse_xml(
            f'<w:r {nsdecls("w", "v")}><w:pict><v:shape style="width:200pt;height:40pt">'
            f'<v:textbox><w:txbxContent><w:p><w:r><w:t xml:space="preserve">{text}</w:t>'
            "</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
        )
    )


# -- Word's run splitting ----------------------------------------------------------------------


def _pieces(text: str) -> list[str]:
    """Cut text as Word's editing history does: each brace alone, words apart."""
    out, current = [], ""
    for char in text:
        if char in "{}%#":
            if current:
                out.append(current)
            out.append(char)
            current = ""
        elif char == " " and current.strip():
            out.append(current)
            current = " "
        else:
            current += char
    if current:
        out.append(current)
    return out


def _split_runs(root: etree._Element) -> None:
    rsid = 0x00A1B2C0
    for run in list(root.iter(f"{W}r")):
        texts = run.findall(f"{W}t")
        if len(texts) != 1 or len(run) > 2 or not (texts[0].text or "").strip():
            continue
        pieces = _pieces(texts[0].text)
        if len(pieces) < 2:
            continue
        parent, at = run.getparent(), run.getparent().index(run)
        props = run.find(f"{W}rPr")
        for i, piece in enumerate(pieces):
            rsid += 7
            new = etree.Element(f"{W}r", {f"{W}rsidR": f"{rsid:08X}", f"{W}rsidRPr": f"{rsid:08X}"})
            new_props = deepcopy(props) if props is not None else etree.Element(f"{W}rPr")
            etree.SubElement(new_props, f"{W}lang", {f"{W}val": "en-US"})
            new.append(new_props)
            t = etree.SubElement(new, f"{W}t")
            t.text = piece
            if piece != piece.strip():
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            if i % 3 == 1:  # spell-check marks between runs, as Word leaves them
                mark = etree.Element(f"{W}proofErr", {f"{W}type": "spellStart"})
                parent.insert(at, mark)
                at += 1
            parent.insert(at, new)
            at += 1
        parent.remove(run)


def wordify(data: bytes) -> bytes:
    """The same document with every text run split as Word splits them, in every part."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            raw = src.read(info)
            if (
                info.filename.startswith("word/")
                and info.filename.endswith(".xml")
                and b"<w:t" in raw
            ):
                root = etree.fromstring(raw)
                _split_runs(root)
                raw = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            dst.writestr(info, raw, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def new_document() -> Document:
    return Document()


__all__ = [
    "BLUE",
    "GREEN",
    "RED",
    "add_hyperlink",
    "add_notes",
    "add_text_box",
    "new_document",
    "png",
    "qn",
    "save",
    "wordify",
]
