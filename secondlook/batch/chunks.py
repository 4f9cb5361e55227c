"""ZIP output (`--letters-into zip`): each chunk of rows a worker processes becomes one stored ZIP
in the journal's folder, written atomically once; the run's end copies every current letter from
those chunk files into `letters.zip`, byte for byte, in input-row order.

    out/.secondlook-batch/chunks/<run id>-<sequence>.zip     letters/<case_id>__<type>.docx ...

A row's journal entry names its chunk file with that file's size and modification time, as a
per-letter entry names its letter file: a row whose chunk file is missing or changed is redone,
and chunk files no current row refers to are removed at the end.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import secondlook.batch.storedzip as storedzip
from secondlook import files
from secondlook.batch.outcome import RowOutcome

MEMBER_DIR = "letters"  # members are letters/<file name>, as in letters.zip


def member_name(name: str) -> str:
    return f"{MEMBER_DIR}/{name}"


def write_chunk(path: Path, outcomes: list[RowOutcome]) -> None:
    """One file for the letters of a chunk of rows; each FileOut then names it (and loses its
    bytes). Nothing is written for a chunk without letters."""
    made = [item for outcome in outcomes if outcome.status == "ok" for item in outcome.files]
    if not made:
        return
    data = storedzip.build((member_name(item.name), item.data or b"") for item in made)
    written = files.write_atomic(path, data)
    for item in made:
        item.data = None
        item.chunk = path.name
        item.chunk_bytes = written.st_size
        item.mtime_ns = written.st_mtime_ns


class DamagedChunk(Exception):
    """A chunk file that no longer reads back as written (or is gone)."""

    def __init__(self, chunk: str):
        super().__init__(chunk)
        self.chunk = chunk


class ChunkCheck:
    """Whether the chunk files a journal entry names are still as written (each one looked at
    once per run)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.seen: dict[str, tuple[int, int] | None] = {}

    def intact(self, outcome: RowOutcome) -> bool:
        for item in outcome.files:
            if not item.chunk:
                return False  # made as a letter file, by a run without ZIP output
            if item.chunk not in self.seen:
                try:
                    st = os.stat(self.directory / item.chunk)
                    self.seen[item.chunk] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    self.seen[item.chunk] = None
            if self.seen[item.chunk] != (item.chunk_bytes, item.mtime_ns):
                return False
        return True


class ChunkReader:
    """Letters read back from chunk files, a few kept open (rows mostly come chunk by chunk)."""

    KEEP_OPEN = 8

    def __init__(self, directory: Path):
        self.directory = directory
        self.open: OrderedDict[str, tuple[int, dict[str, storedzip.Entry]]] = OrderedDict()

    def read(self, chunk: str, name: str) -> tuple[bytes, int]:
        """(bytes, CRC-32) of one letter. Raises storedzip.DamagedArchive or OSError."""
        if not chunk or "/" in chunk:
            raise storedzip.DamagedArchive("a letter is in no chunk")
        fd, index = self._chunk(chunk)
        entry = index.get(member_name(name))
        if entry is None:
            raise storedzip.DamagedArchive("a letter is missing from its chunk")
        return storedzip.read_member(fd, entry), entry.crc

    def _chunk(self, chunk: str) -> tuple[int, dict[str, storedzip.Entry]]:
        if chunk in self.open:
            self.open.move_to_end(chunk)
            return self.open[chunk]
        fd = os.open(self.directory / chunk, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.open[chunk] = (fd, storedzip.read_index(fd))
        except BaseException:
            os.close(fd)
            raise
        if len(self.open) > self.KEEP_OPEN:
            os.close(self.open.popitem(last=False)[1][0])
        return self.open[chunk]

    def close(self) -> None:
        while self.open:
            os.close(self.open.popitem()[1][0])


def letters_from_chunks(
    directory: Path, current: Iterable[tuple[str, str | None]]
) -> Iterator[tuple[str, bytes, int]]:
    """(member name, bytes, CRC-32) of every current letter, in the order given."""
    reader = ChunkReader(directory)
    try:
        for name, chunk in current:
            try:
                data, crc = reader.read(chunk or "", name)
            except (storedzip.DamagedArchive, OSError) as err:
                raise DamagedChunk(chunk or "") from err
            yield member_name(name), data, crc
    finally:
        reader.close()


def remove_unused(directory: Path, used: set[str]) -> int:
    """Remove chunk files no current row refers to (and temporary files); returns how many."""
    removed = files.remove_temp_files(directory)
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name not in used and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed
