"""The output directory: its layout, its lock, and the refusal to overwrite what a batch did not
make.

    out/manifest.csv      out/letters/<case_id>__<letter_type>.docx
    out/letters.zip       out/.secondlook-batch/ (the journal and the lock)
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from secondlook.batch.problems import BatchError

STATE_DIR = ".secondlook-batch"
LETTERS_DIR = "letters"
MANIFEST = "manifest.csv"
ZIP_NAME = "letters.zip"


def prepare_out_dir(out: Path) -> Path:
    """Create the output directory's layout; returns the journal's directory."""
    state = out / STATE_DIR
    if out.exists() and not state.exists():
        clash = [n for n in (LETTERS_DIR, MANIFEST, ZIP_NAME) if (out / n).exists()]
        if clash:
            raise BatchError(
                f"{out}: {clash[0]} exists but was not made by `secondlook batch`; "
                "choose a new or empty output directory"
            )
    (out / LETTERS_DIR).mkdir(parents=True, exist_ok=True)
    state.mkdir(exist_ok=True)
    return state


@contextlib.contextmanager
def locked(state: Path) -> Iterator[None]:
    """One run at a time per output directory."""
    with open(state / "lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another batch is writing to {state.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
