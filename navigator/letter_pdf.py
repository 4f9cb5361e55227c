"""A stored letter as PDF, made when the navigator asks for it (to save or to print).

The PDF comes from the letter exactly as stored (its .docx), through the one LibreOffice path
of the service layer, within `PDF_SECONDS`. When LibreOffice is missing, fails or takes too
long, the error says so in plain words; LibreOffice's own output is not repeated (it could name
the document)."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path, PurePath

from letters.pdf import PdfError, soffice_binary
from navigator import letter_store
from navigator.errors import NavigatorError
from navigator.store import Actor, Store
from secondlook import service

log = logging.getLogger(__name__)

PDF_SECONDS = 60.0  # LibreOffice's start and one letter; a cold start takes a few seconds
PDF_MIME = "application/pdf"


class PdfUnavailable(NavigatorError):
    """The PDF could not be made (the Word file can still be downloaded)."""


def letter_pdf(store: Store, actor: Actor, case_id: int, letter_id: int) -> tuple[str, bytes]:
    """(file name, PDF bytes) of a stored letter; the download is logged as the letter's."""
    info, docx = letter_store.letter_content(store, actor, case_id, letter_id)
    try:
        soffice_binary()
    except PdfError:
        raise PdfUnavailable(
            "PDFs cannot be made on this server: LibreOffice is not installed (the server's "
            "operator runs scripts/setup.sh). The Word file (DOCX) downloads as usual."
        ) from None
    try:
        pdf = service.letters_to_pdf({"letter": docx}, timeout=PDF_SECONDS)["letter"]
    except PdfError as exc:
        log.warning("letter PDF failed for letter #%s: %s", letter_id, type(exc).__name__)
        raise PdfUnavailable(
            f"The PDF could not be made: LibreOffice failed or took longer than "
            f"{PDF_SECONDS:.0f} seconds. Try again in a moment, or download the Word file (DOCX) "
            "and print it from Word or LibreOffice."
        ) from None
    return PurePath(info.filename).with_suffix(".pdf").name, pdf


PRINT_DPI = 150  # sharp enough on paper; a two-page letter is a few hundred KB of images
PAGES_SECONDS = 30.0
MAX_PAGES = 20  # a letter is one to three pages


def print_pages(pdf: bytes) -> list[bytes]:
    """The PDF's pages as PNG images (poppler's pdftoppm) for a print view of just the letter."""
    with tempfile.TemporaryDirectory(prefix="secondlook-print-") as tmp:
        source = Path(tmp) / "letter.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(PRINT_DPI), "-l", str(MAX_PAGES), str(source),
                 str(Path(tmp) / "page")],
                check=True, capture_output=True, timeout=PAGES_SECONDS,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("letter print view failed: %s", type(exc).__name__)
            raise PdfUnavailable(
                "The print view could not be made (poppler's pdftoppm is missing or failed): "
                "save the PDF and print it from your PDF viewer."
            ) from None
        return [page.read_bytes() for page in sorted(Path(tmp).glob("page-*.png"))]
