"""The notice as text to search: lines, paragraphs, headings, labels, and the value patterns
(dates, phone numbers, identifiers, US city lines) the rules look for."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from secondlook.notices.layout import Line, Page

# -- value patterns ------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
DATE = re.compile(
    rf"\b(?:(?P<mon>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<mon2>{_MONTH})\.?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<m3>\d{1,2})[/-](?P<d3>\d{1,2})[/-](?P<y3>\d{4}|\d{2})"
    r"|(?P<y4>\d{4})-(?P<m4>\d{2})-(?P<d4>\d{2}))\b",
    re.IGNORECASE,
)
PHONE = re.compile(r"(?<![\w-])(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-])")
IDENTIFIER = re.compile(r"[A-Z0-9][A-Z0-9./-]{2,39}(?=$|[\s,;)])", re.IGNORECASE)
CITY_LINE = re.compile(r"^[A-Za-z][A-Za-z .'\-]*,?\s+[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?\.?$")
LABEL_VALUE = re.compile(r"^[A-Za-z][\w .'’/&#()-]{0,40}:\s*\S")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def parse_date(text: str) -> tuple[dt.date, re.Match[str]] | None:
    """The first real calendar date written in `text`, with its match."""
    for match in DATE.finditer(text):
        g = match.groupdict()
        try:
            if g["mon"] or g["mon2"]:
                month = _MONTHS[(g["mon"] or g["mon2"]).lower()]
                day, year = int(g["d1"] or g["d2"]), int(g["y1"] or g["y2"])
            elif g["m3"]:
                month, day, year = int(g["m3"]), int(g["d3"]), int(g["y3"])
                year += 2000 if year < 100 else 0
            else:
                year, month, day = int(g["y4"]), int(g["m4"]), int(g["d4"])
            return dt.date(year, month, day), match
        except ValueError:
            continue
    return None


def identifier(text: str) -> str | None:
    """An identifier at the start of `text` (letters, digits, - . /) holding a digit."""
    match = IDENTIFIER.match(text.strip())
    if not match:
        return None
    value = match.group(0).rstrip(".")
    return value if any(ch.isdigit() for ch in value) and len(value) >= 3 else None


def normalise(text: str) -> str:
    """For matching only: straight quotes, plain dashes, single spaces, lower case."""
    return " ".join(text.translate(_QUOTES).split()).casefold()


_ABBREVIATION = re.compile(
    r"(?:\b(?:P\.O|Dr|St|No|Inc|Ste|Mr|Mrs|Ms|Jr|Sr|U\.S|Co|Corp|Ltd|Ave|Blvd|Rd|Dept|Attn|a\.m|"
    r"p\.m|etc|vs|e\.g|i\.e)|(?<![\w.])[A-Z])\.$"
)


def sentences(text: str) -> list[str]:
    """Sentences, not broken after 'P.O.', 'Dr.', an initial or a list number."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and (_ABBREVIATION.search(out[-1]) or re.fullmatch(r"\d{1,2}\.", out[-1])):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [s for s in out if s.strip()]


def join_lines(texts: Iterable[str]) -> str:
    """Lines of one paragraph as running text: a line ending in a hyphen joins the next line
    without a space (a number or word broken across lines), others join with a space."""
    out = ""
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if not out:
            out = text
        elif out.endswith("-") and not out.endswith(" -"):
            out += text
        else:
            out += " " + text
    return out


# -- the document as lines and paragraphs --------------------------------------------------

# Bounds on what the rules read, so that no regular expression ever scans a huge run of text: a
# real notice has paragraphs well under 2,000 characters and under 50,000 characters in all.
MAX_PARAGRAPH_CHARS = 2_000
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class Paragraph:
    lines: tuple[Line, ...]

    @cached_property
    def text(self) -> str:
        return join_lines(line.text for line in self.lines)

    def lines_covering(self, start: int, end: int) -> list[Line]:
        """The lines holding characters start..end of `text` (as join_lines builds it)."""
        out, offset, previous = [], 0, ""
        for line in self.lines:
            piece = line.text.strip()
            gap = (
                0 if not previous or (previous.endswith("-") and not previous.endswith(" -")) else 1
            )
            length = offset + (gap if piece else 0) + len(piece)
            if offset <= end and length >= start:
                out.append(line)
            offset, previous = length, (piece or previous)
        return out or list(self.lines)

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def last(self) -> Line:
        return self.lines[-1]


def group_paragraphs(lines: Iterable[Line]) -> list[Paragraph]:
    """Consecutive lines of one paragraph, cut every MAX_PARAGRAPH_CHARS characters."""
    out: list[Paragraph] = []
    current: list[Line] = []
    size = 0
    for line in lines:
        if current and (
            (line.page, line.paragraph) != (current[-1].page, current[-1].paragraph)
            or size + len(line.text) > MAX_PARAGRAPH_CHARS
        ):
            out.append(Paragraph(tuple(current)))
            current, size = [], 0
        current.append(line)
        size += len(line.text) + 1
    if current:
        out.append(Paragraph(tuple(current)))
    return out


class NoticeText:
    """Lines in reading order, grouped into paragraphs, with lookups the rules share.

    Only the first MAX_TEXT_CHARS characters are kept (`truncated` says when more were cut)."""

    def __init__(self, pages: Iterable[Page]):
        self.lines: list[Line] = []
        self.truncated = False
        size = 0
        for line in (line for page in pages for line in page.lines):
            size += len(line.text) + 1
            if size > MAX_TEXT_CHARS:
                self.truncated = True
                break
            self.lines.append(line)
        self.paragraphs = group_paragraphs(self.lines)
        self._index = {(line.page, line.number): i for i, line in enumerate(self.lines)}
        self._para_of = {
            (line.page, line.number): p
            for p, para in enumerate(self.paragraphs)
            for line in para.lines
        }
        self._rows: dict[int, list[tuple[float, int]]] = {}
        for i, line in enumerate(self.lines):
            self._rows.setdefault(line.page, []).append((line.top, i))
        for row in self._rows.values():
            row.sort()

    def index(self, line: Line) -> int:
        return self._index[(line.page, line.number)]

    def paragraph_index(self, line: Line) -> int:
        return self._para_of[(line.page, line.number)]

    def after(self, line: Line) -> Iterator[Line]:
        return itertools.islice(self.lines, self.index(line) + 1, None)

    def right_of(self, line: Line) -> Line | None:
        """The nearest line to the right on the same row (a table's value cell)."""
        row = self._rows[line.page]
        height = line.box[3] - line.box[1]
        low = bisect.bisect_left(row, (line.top - height, -1))
        high = bisect.bisect_right(row, (line.top + height, len(self.lines)))
        candidates = [
            other
            for other in (self.lines[i] for _, i in row[low:high])
            if other is not line and other.box[0] >= line.box[2] - 0.01 and line.same_row(other)
        ]
        return min(candidates, key=lambda other: other.box[0], default=None)

    def is_heading(self, paragraph: Paragraph) -> bool:
        """A one-line paragraph that reads like a title: short, no full stop, not 'Label: value'."""
        if len(paragraph.lines) != 1:
            return False
        text = paragraph.text.strip()
        return (
            3 <= len(text) <= 90
            and text[0].isupper()
            and not text.endswith((".", ",", ";"))
            and not LABEL_VALUE.match(text)
            and not PHONE.search(text)
            and not CITY_LINE.match(text)
        )

    def headings(self) -> Iterator[tuple[int, Paragraph]]:
        for index, paragraph in enumerate(self.paragraphs):
            if self.is_heading(paragraph):
                yield index, paragraph

    def heading_before(self, paragraph_index: int) -> int | None:
        for index in range(paragraph_index, -1, -1):
            if self.is_heading(self.paragraphs[index]):
                return index
        return None

    def heading_after(self, paragraph_index: int) -> int:
        for index in range(paragraph_index + 1, len(self.paragraphs)):
            if self.is_heading(self.paragraphs[index]):
                return index
        return len(self.paragraphs)


def confidence_of(lines: Iterable[Line]) -> float:
    values = [line.confidence for line in lines]
    return sum(values) / len(values) if values else 1.0


def snippet(lines: Iterable[Line], limit: int = 200) -> str:
    text = join_lines(line.text for line in lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"
