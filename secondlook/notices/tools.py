"""Running poppler and tesseract with limits: a private temporary folder, a time budget, a cap on
what a tool may print, and no trace of the notice left behind.

poppler and tesseract read files, so a notice passes through a temporary folder: created by
`tempfile.mkdtemp` (mode 0700, under the system temporary folder), used only by this reading and
removed when the reading ends, whether it succeeded, failed or ran out of time. Tools run in their
own process group, which is killed on a timeout.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from secondlook.notices.errors import ReadTimeout, ToolMissing, TooMuchText

INSTALL_HINT = "see scripts/setup.sh"
_TOOL_PACKAGES = {
    "pdfinfo": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "tesseract": "tesseract-ocr",
}


@dataclass(frozen=True)
class Limits:
    """How much one notice may cost. The defaults suit a patient's upload."""

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 10  # later pages are not read (the reading says how many were skipped)
    max_pixels: int = 40_000_000  # per image or page; larger is refused before decoding
    max_text_bytes: int = 8 * 1024 * 1024  # what pdftotext or tesseract may print
    seconds_per_step: float = 45.0  # one tool run (one page's OCR, the text of a PDF)
    total_seconds: float = 180.0
    ocr_long_side: int = 3300  # pixels on a page's long side for OCR (letter size at 300 dpi)


class Budget:
    """The time left for one reading; every tool run takes its timeout from here."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._end = time.monotonic() + limits.total_seconds

    def timeout(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise ReadTimeout(_too_long(self.limits))
        return min(self.limits.seconds_per_step, left)


def _too_long(limits: Limits) -> str:
    return (
        f"Reading this notice took too long (the limit is {limits.seconds_per_step:g} seconds a "
        f"page and {limits.total_seconds:g} seconds in all). A sharper photo, or a PDF, reads "
        "faster."
    )


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolMissing(
            f"{name} is not installed on this server ({_TOOL_PACKAGES.get(name, name)}; "
            f"{INSTALL_HINT}), so notices cannot be read here."
        )
    return found


@contextlib.contextmanager
def private_dir() -> Iterator[Path]:
    """A folder only this process can read, removed on the way out whatever happened."""
    path = Path(tempfile.mkdtemp(prefix="secondlook-notice-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes


def run(
    args: list[str], *, budget: Budget, workdir: Path, max_output: int | None = None
) -> Completed:
    """Run a tool with the budget's timeout; stdout is capped, stderr kept short.

    Tools get a small environment: one OCR thread (the machine is shared and results stay the
    same), the C locale, and TMPDIR pointing into the private folder."""
    timeout = budget.timeout()
    limit = max_output if max_output is not None else budget.limits.max_text_bytes
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
        "OMP_THREAD_LIMIT": "1",
        "TMPDIR": str(workdir),
        "HOME": str(workdir),
    }
    with open(workdir / ".stderr", "w+b") as err:
        proc = subprocess.Popen(
            [tool(args[0]), *args[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
        try:
            stdout = _read_capped(proc, time.monotonic() + timeout, limit, budget.limits)
        finally:
            _stop(proc)
        err.seek(0)
        stderr = err.read(4096)
    return Completed(proc.returncode, stdout, stderr)


def _read_capped(proc: subprocess.Popen, end: float, limit: int, limits: Limits) -> bytes:
    assert proc.stdout is not None
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise ReadTimeout(_too_long(limits))
            if not selector.select(left):
                continue
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise TooMuchText(
                    "This file holds far more text than a denial notice "
                    f"(over {limit // (1024 * 1024)} MB), so it was not read."
                )
            chunks.append(chunk)
    try:
        proc.wait(timeout=max(0.05, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise ReadTimeout(_too_long(limits)) from None
    return b"".join(chunks)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()
