"""What a run asks of each row (`Job`) and what each row gives (`RowOutcome`): small, picklable
records that travel between the run, its workers and the journal."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Job:
    """What every row of a chunk shares; small and picklable (it travels with each chunk)."""

    run_id: str
    letter: str  # a letter type or "auto"
    pdf: bool
    today: dt.date
    renderer: str
    letters_dir: str | None  # workers write letter files here; None: see chunks_dir
    owner_pid: int = 0  # local workers stop writing once the process that started them is gone
    dry_run: bool = False  # validate only: check each letter can be made, write nothing
    # ZIP output: workers write each chunk's letters as one file `chunk` in `chunks_dir`. With
    # neither directory the letters' bytes go back to the run, which writes them.
    chunks_dir: str | None = None
    chunk: str = ""  # set for each chunk of rows
    # Dask: the path of a file the run made; a worker that sees it shares the run's file system
    # and writes the letter or chunk files itself, any other sends the bytes back.
    shared_mark: str = ""
    # Letter files: each process makes its temporary files in a folder of its own under here,
    # then renames them into letters_dir. Two processes creating files in one folder wait on
    # that folder's lock (measured: twice the system time a file), so they share it only for
    # the rename.
    temp_root: str = ""


@dataclass
class FileOut:
    name: str  # file name inside letters/
    sha256: str
    size: int
    mtime_ns: int = 0  # of the letter file, or with ZIP output of its chunk file
    data: bytes | None = None  # only on the way to the file that holds it
    chunk: str = ""  # ZIP output: the chunk file holding this letter
    chunk_bytes: int = 0  # that chunk file's size


@dataclass
class RowOutcome:
    row: int
    case_id: str
    status: Literal["ok", "error"]
    letters: list[str] = field(default_factory=list)
    files: list[FileOut] = field(default_factory=list)
    covered: str = ""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def error(cls, row: int, case_id: str, errors: list[str], covered: str = "") -> RowOutcome:
        return cls(row, case_id, "error", covered=covered, errors=errors)

    def to_json(self) -> str:
        data = {
            "row": self.row,
            "case_id": self.case_id,
            "status": self.status,
            "letters": self.letters,
            "files": [_file_json(f) for f in self.files],
            "covered": self.covered,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        return _ENCODE(data)

    @classmethod
    def from_json(cls, text: str) -> RowOutcome:
        data = json.loads(text)
        data["files"] = [FileOut(**f) for f in data["files"]]
        return cls(**data)


# json.dumps(data, ensure_ascii=False) makes a new encoder at every call (the journal records
# every row); the same text from one made once.
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _file_json(item: FileOut) -> dict[str, object]:
    data: dict[str, object] = {
        "name": item.name,
        "sha256": item.sha256,
        "size": item.size,
        "mtime_ns": item.mtime_ns,
    }
    if item.chunk:
        data |= {"chunk": item.chunk, "chunk_bytes": item.chunk_bytes}
    return data
