"""From the uploaded bytes to lines on pages: PDF text layer, scanned PDF pages, or pictures.

The kind of file is decided by its first bytes, never by its name. A PDF page whose text layer is
(nearly) empty is a scan: it is rasterised with pdftoppm and read with OCR.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

import secondlook.notices.images as images
import secondlook.notices.ocr as ocr
from secondlook.notices.errors import (
    DamagedFile,
    EmptyDocument,
    EncryptedPdf,
    FileTooLarge,
    UnsupportedFile,
)
from secondlook.notices.layout import Page, pages_from_pdftotext
from secondlook.notices.tools import Budget, run

MIN_TEXT_CHARS = 40  # a page with fewer characters in its text layer is treated as a scan
_PAGES = re.compile(rb"^Pages:\s+(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    kind: str  # text_pdf | scanned_pdf | mixed_pdf | image
    pages: tuple[Page, ...]
    pages_total: int


def sniff(data: bytes, filename: str) -> str:
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"
    if not data.strip():
        raise EmptyDocument("This file is empty.")
    hint = ""
    if Path(filename or "").suffix.lower() in (".heic", ".heif"):
        hint = " An iPhone photo (HEIC) can be shared as JPEG, or a screenshot of it uploaded."
    raise UnsupportedFile(
        "This file is not a PDF or a picture this reader knows (PNG, JPEG or TIFF)." + hint
    )


Progress = Callable[[int, int], None]  # (pages read, pages to read)


def _no_progress(done: int, total: int) -> None:
    pass


def load(
    data: bytes, filename: str, budget: Budget, workdir: Path, progress: Progress | None = None
) -> Document:
    limits = budget.limits
    if len(data) > limits.max_bytes:
        raise FileTooLarge(
            f"This file is larger than {limits.max_bytes // (1024 * 1024)} MB. A denial notice "
            "is usually much smaller: upload the notice's pages only, or a photo of each page."
        )
    progress = progress or _no_progress
    if sniff(data, filename) == "pdf":
        return _load_pdf(data, budget, workdir, progress)
    return _load_image(data, budget, workdir, progress)


def _load_pdf(data: bytes, budget: Budget, workdir: Path, progress: Progress) -> Document:
    path = workdir / "notice.pdf"
    path.write_bytes(data)
    total = _pdf_page_count(path, budget, workdir)
    count = min(total, budget.limits.max_pages)
    done = run(
        ["pdftotext", "-q", "-bbox-layout", "-f", "1", "-l", str(count), path.name, "-"],
        budget=budget,
        workdir=workdir,
    )
    if done.returncode != 0:
        raise DamagedFile("The text of this PDF could not be read.")
    text_pages = pages_from_pdftotext(done.stdout)[:count]
    pages = []
    for number in range(1, count + 1):
        progress(number - 1, count)
        page = text_pages[number - 1] if number <= len(text_pages) else None
        if page is None or page.char_count < MIN_TEXT_CHARS:
            page = ocr.read_page(_rasterise(path, number, budget, workdir), number, budget, workdir)
        pages.append(page)
    progress(count, count)
    methods = {page.method for page in pages}
    kind = (
        {"text": "text_pdf", "ocr": "scanned_pdf"}.get(methods.pop(), "")
        if len(methods) == 1
        else "mixed_pdf"
    )
    return Document(kind, tuple(pages), total)


def _pdf_page_count(path: Path, budget: Budget, workdir: Path) -> int:
    done = run(["pdfinfo", path.name], budget=budget, workdir=workdir, max_output=1 << 20)
    problem = done.stderr.lower()
    if b"page count 0" in problem or b"wrong page range" in problem:
        raise EmptyDocument("This PDF has no pages.")
    if done.returncode != 0:
        if b"password" in problem or b"encrypt" in problem:
            raise EncryptedPdf(
                "This PDF is locked with a password. Open it, print it to a new PDF (or take a "
                "screenshot of each page) and upload that."
            )
        raise DamagedFile("This PDF is damaged and could not be opened.")
    match = _PAGES.search(done.stdout)
    if not match:
        raise DamagedFile("This PDF is damaged and could not be opened.")
    pages = int(match.group(1))
    if pages == 0:
        raise EmptyDocument("This PDF has no pages.")
    return pages


def _rasterise(path: Path, number: int, budget: Budget, workdir: Path) -> Image.Image:
    """One page as a grey picture whose long side is `ocr_long_side` pixels, whatever the size
    the PDF claims for the page (a hostile page size cannot make a huge picture)."""
    side = str(budget.limits.ocr_long_side)
    # Plain PGM output: PNG compression of a page this size costs seconds, PGM nothing.
    args = ["pdftoppm", "-f", str(number), "-l", str(number), "-scale-to", side, "-gray"]
    done = run([*args, path.name, "raster"], budget=budget, workdir=workdir, max_output=1 << 20)
    produced = sorted(workdir.glob("raster*.pgm"))
    try:
        if done.returncode != 0 or not produced:
            raise DamagedFile("A page of this PDF could not be turned into a picture to read.")
        return images.open_raster(produced[0], budget.limits)
    finally:
        for file in produced:
            file.unlink(missing_ok=True)


def _load_image(data: bytes, budget: Budget, workdir: Path, progress: Progress) -> Document:
    total, frames = images.open_frames(data, budget.limits)
    if total == 0:
        raise EmptyDocument("This picture has no pages.")
    count = min(total, budget.limits.max_pages)
    pages = []
    for number, frame in enumerate(frames, 1):
        progress(number - 1, count)
        pages.append(ocr.read_page(frame, number, budget, workdir))
    progress(len(pages), len(pages))
    return Document("image", tuple(pages), total)
