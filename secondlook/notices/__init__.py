"""The denial-notice reader: a patient's denial letter in, the fields of the case out.

    reading = read_notice(data, "notice.pdf")
    reading.notice_date.value, reading.notice_date.where, reading.notice_date.confidence
    reading.case_fields()   # {"denial.notice_date": Found, ...} for the page to prefill
    reading.plan_hints()    # {"name": Found, "market": Found, "funding": ..., "plan_type": ...}
    reading.to_denial()     # a coverage.case.Denial

A PDF's text layer is read with poppler's pdftotext; a scanned PDF page is rasterised with
pdftoppm and, like a photo or scan (PNG, JPEG, TIFF), read with tesseract OCR after the picture
is straightened. The fields are found by rules (labels, headings, patterns and where lines sit on
the page), never by a language model, so the same file always gives the same reading.

Everything happens in memory and in a private temporary folder that is removed before this
function returns, whatever happened. Nothing is logged. Limits (size, pages, pixels, time) are in
`Limits`; a file that breaks one, or is not a readable notice, raises a `NoticeError` subclass
whose message is plain words and never repeats anything from the file. See docs/notices.md.
"""

from __future__ import annotations

from collections.abc import Callable

import secondlook.notices.extract as extract
import secondlook.notices.intake as intake
from secondlook.notices.errors import (
    DamagedFile,
    EmptyDocument,
    EncryptedPdf,
    FileTooLarge,
    ImageTooLarge,
    NoText,
    NoticeError,
    ReadTimeout,
    ToolMissing,
    TooMuchText,
    UnsupportedFile,
)
from secondlook.notices.reading import FIELD_NAMES, Deadline, Found, NoticeReading
from secondlook.notices.tools import Budget, Limits, private_dir

__all__ = [
    "FIELD_NAMES",
    "DamagedFile",
    "Deadline",
    "EmptyDocument",
    "EncryptedPdf",
    "FileTooLarge",
    "Found",
    "ImageTooLarge",
    "Limits",
    "NoText",
    "NoticeError",
    "NoticeReading",
    "ReadTimeout",
    "ToolMissing",
    "TooMuchText",
    "UnsupportedFile",
    "read_notice",
]


def read_notice(
    data: bytes,
    filename: str,
    *,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NoticeReading:
    """Read a denial notice (PDF, PNG, JPEG or TIFF bytes). `filename` is only a hint for the
    error message about formats this reader does not take; the kind of file is decided by its
    content. `progress(pages read, pages to read)` is called before each page and at the end
    (OCR takes seconds a page). Raises a `NoticeError` subclass, never anything else."""
    limits = limits or Limits()
    try:
        budget = Budget(limits)
        with private_dir() as workdir:
            document = intake.load(bytes(data), filename, budget, workdir, progress)
        if not any(page.lines for page in document.pages):
            raise NoText(
                "No text could be read from this file. If it is a photo, take it again flat, "
                "in good light and in focus, with the whole page in the picture."
            )
        return extract.read(document)
    except NoticeError:
        raise
    except MemoryError:
        raise FileTooLarge("This file needs more memory to read than this server allows.") from None
    except Exception as error:  # noqa: BLE001 - a reader of untrusted files must not leak a traceback
        raise NoticeError(
            f"This file could not be read as a denial notice ({type(error).__name__})."
        ) from None
