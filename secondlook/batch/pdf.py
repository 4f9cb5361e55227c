"""PDFs of a row's letters: one warm LibreOffice per process (`letters.pdf.PdfConverter`), started
on the first PDF and stopped by `close_worker_resources` or at the process's exit."""

from __future__ import annotations

import multiprocessing.util
import threading

_lock = threading.Lock()
_converter = None  # letters.pdf.PdfConverter, once started
_unavailable = False  # the warm converter cannot start here: one soffice run per row instead


def _warm_converter():  # noqa: ANN202
    global _converter, _unavailable
    from letters import pdf

    with _lock:
        if _converter is None and not _unavailable:
            try:
                _converter = pdf.PdfConverter().start()
            except pdf.PdfError:
                _unavailable = True
            else:
                # Runs at exit in pool workers too (they leave through os._exit, skipping atexit).
                multiprocessing.util.Finalize(None, _converter.close, exitpriority=10)
        return _converter


def to_pdf(rendered: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """(name.pdf, bytes) for each (name.docx, bytes)."""
    from letters import pdf

    converter = _warm_converter()
    if converter is not None:
        converted = {name: converter.convert(data) for name, data in rendered}
    else:
        converted = pdf.convert_batch(dict(rendered))
    return [(name[: -len(".docx")] + ".pdf", converted[name]) for name, _ in rendered]


def close_worker_resources(*, quick: bool = False) -> None:
    """Stop this process's warm LibreOffice, if a run with PDFs started one. `quick`: from a
    worker that is leaving because its run is gone (no lock: a conversion may hold it)."""
    global _converter
    if quick:
        converter, _converter = _converter, None
    else:
        with _lock:
            converter, _converter = _converter, None
    if converter is not None:
        converter.close()
