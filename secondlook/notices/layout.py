"""The text of a notice as lines on pages, the same shape whether it came from a PDF's text layer
(pdftotext -bbox-layout) or from OCR (tesseract's TSV).

Each line knows its page, its number on the page (counting only lines with text, as a person
counts), the paragraph it belongs to, where it sits on the page (as fractions of the page's width
and height) and how sure the reader is of it (1.0 for a text layer; tesseract's mean word
confidence for OCR).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

from lxml import etree

from secondlook.notices.errors import DamagedFile


@dataclass(frozen=True)
class Line:
    page: int
    number: int
    text: str
    paragraph: int
    box: tuple[float, float, float, float]  # left, top, right, bottom as fractions of the page
    confidence: float = 1.0

    @property
    def top(self) -> float:
        return self.box[1]

    def same_row(self, other: Line) -> bool:
        """Both lines sit on the same row of the page (a label and its value in a table)."""
        top, bottom = max(self.box[1], other.box[1]), min(self.box[3], other.box[3])
        height = min(self.box[3] - self.box[1], other.box[3] - other.box[1])
        return self.page == other.page and height > 0 and (bottom - top) > 0.5 * height


@dataclass(frozen=True)
class Page:
    number: int
    lines: tuple[Line, ...]
    method: str  # "text" (a PDF's text layer) or "ocr"

    @property
    def char_count(self) -> int:
        return sum(len(line.text.replace(" ", "")) for line in self.lines)


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def pages_from_pdftotext(xhtml: bytes) -> list[Page]:
    """Pages from `pdftotext -bbox-layout` output: page > flow > block > line > word."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=True
    )
    try:
        root = etree.fromstring(xhtml, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise DamagedFile("The text of this PDF could not be read.")
    pages = []
    for page_el in (el for el in root.iter() if _local(el.tag) == "page"):
        size = (float(page_el.get("width") or 0) or 1.0, float(page_el.get("height") or 0) or 1.0)
        lines: list[Line] = []
        paragraph = 0
        for block in (el for el in page_el.iter() if _local(el.tag) == "block"):
            for column in _block_columns(block, size):
                paragraph += 1
                for text, box in column:
                    lines.append(Line(len(pages) + 1, len(lines) + 1, text, paragraph, box))
        pages.append(Page(len(pages) + 1, tuple(lines), "text"))
    return pages


_Word = tuple[str, float, float, float, float]  # text, left, top, right, bottom (in points)


def _block_columns(block, size: tuple[float, float]):
    """A block's lines as columns of (text, box) in reading order.

    poppler sometimes builds one line from two columns that sit side by side (a letter and a
    contact box in the margin), interleaving their words. A line is cut where the gap between
    two words is wider than 1.4 line heights; the pieces are sorted into columns by where they
    start, each column read top to bottom."""
    width, height = size
    pieces: list[list[_Word]] = []
    cuts: list[float] = []
    for line_el in (el for el in block if _local(el.tag) == "line"):
        words = [
            (
                (w.text or "").strip(),
                *(float(w.get(k) or 0) for k in ("xMin", "yMin", "xMax", "yMax")),
            )
            for w in line_el
            if _local(w.tag) == "word" and (w.text or "").strip()
        ]
        if not words:
            continue
        line_height = max(word[4] - word[2] for word in words) or 1.0
        current = [words[0]]
        for word in words[1:]:
            gap = word[1] - current[-1][3]
            if gap > 1.4 * line_height:
                cuts.append((current[-1][3] + word[1]) / 2)
                pieces.append(current)
                current = []
            current.append(word)
        pieces.append(current)
    boundaries = sorted(cuts)
    columns: dict[int, list[tuple[float, str, tuple[float, float, float, float]]]] = {}
    for piece in pieces:
        column = sum(1 for cut in boundaries if cut < piece[0][1]) if boundaries else 0
        box = (
            min(w[1] for w in piece) / width,
            min(w[2] for w in piece) / height,
            max(w[3] for w in piece) / width,
            max(w[4] for w in piece) / height,
        )
        columns.setdefault(column, []).append((box[1], " ".join(w[0] for w in piece), box))
    for column in sorted(columns):
        yield [(text, box) for _, text, box in sorted(columns[column], key=lambda item: item[0])]


def page_from_tesseract(tsv: bytes, page_number: int) -> Page:
    """One page from tesseract's TSV: words grouped by (block, paragraph, line)."""
    reader = csv.reader(io.StringIO(tsv.decode("utf-8", "replace")), delimiter="\t", quoting=3)
    header = next(reader, None)
    if not header or "text" not in header:
        return Page(page_number, (), "ocr")
    col = {name: i for i, name in enumerate(header)}
    width = height = 1.0
    groups: dict[tuple[int, int, int], list[tuple[list[int], float, str]]] = {}
    for row in reader:
        if len(row) < len(header):
            continue
        level = int(row[col["level"]])
        box = [int(row[col[k]]) for k in ("left", "top", "width", "height")]
        if level == 1:
            width, height = float(box[2]) or 1.0, float(box[3]) or 1.0
            continue
        text = row[col["text"]].strip()
        conf = float(row[col["conf"]])
        if level != 5 or not text or conf < 0:
            continue
        key = (int(row[col["block_num"]]), int(row[col["par_num"]]), int(row[col["line_num"]]))
        groups.setdefault(key, []).append((box, conf, text))
    lines: list[Line] = []
    for words in groups.values():
        left = min(b[0] for b, _, _ in words) / width
        top = min(b[1] for b, _, _ in words) / height
        right = max(b[0] + b[2] for b, _, _ in words) / width
        bottom = max(b[1] + b[3] for b, _, _ in words) / height
        confidence = sum(c for _, c, _ in words) / len(words) / 100.0
        text = " ".join(t for _, _, t in words)
        lines.append(
            Line(page_number, len(lines) + 1, text, 0, (left, top, right, bottom), confidence)
        )
    return Page(page_number, tuple(_paragraphs(lines)), "ocr")


def _paragraphs(lines: list[Line]) -> list[Line]:
    """Paragraph numbers for OCR lines, from the page's geometry.

    tesseract's own paragraphs (and blocks) often glue a heading to the text under it, or split a
    paragraph where a photo is skewed or a word is bold. A new paragraph starts after a gap larger
    than the usual line pitch (or on a line above the last one: a new column), where the left edge moves, or after a line that stops well short
    of the column's right edge (the last line of a paragraph, a heading, an address line)."""
    if not lines:
        return []
    steps = sorted(
        b.top - a.top for a, b in zip(lines, lines[1:], strict=False) if 0 < b.top - a.top < 0.05
    )
    pitch = steps[len(steps) // 4] if steps else 0.02  # lines inside a paragraph
    long_rights = sorted(line.box[2] for line in lines if len(line.text) >= 40)
    right_edge = long_rights[int(len(long_rights) * 0.9)] if long_rights else 1.0
    out, paragraph = [], 1
    for index, line in enumerate(lines):
        if index:
            prev = lines[index - 1]
            short = prev.box[2] < right_edge - 0.2 * (right_edge - prev.box[0])
            if (
                not 0 < line.top - prev.top <= 1.35 * pitch
                or abs(line.box[0] - prev.box[0]) > 0.03
                or short
            ):
                paragraph += 1
        out.append(replace(line, paragraph=paragraph))
    return out
