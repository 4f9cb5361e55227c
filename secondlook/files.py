"""Files that hold member data: written atomically, private to the user, safe in a spreadsheet.

    write_atomic(path, data)            readers see the old file or the new one, never a part
    with atomic_output(path) as handle:  the same for a file written piece by piece
    neutralise(cell)                    a spreadsheet cell that cannot run as a formula
    unneutralise(cell)                  the value again, when such a file is read back
    private_dir(path)                   a directory only the user can enter (0700)
    private_file(path)                  a file only the user can read (0600), e.g. the database

Every file this module creates has mode 0600 and every directory 0700, whatever the umask:
letters, manifests, journals, exports and the database hold member data.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TEMP_MARK = ".tmp-"  # in the names of temporary files: `.letter.docx.tmp-1234-9f3a`


_calls = itertools.count()


def temp_name(path: Path) -> Path:
    """A temporary name next to `path`: hidden, marked, unique to this process and call (a
    counter, not a random number: no system call for it)."""
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{next(_calls):x}")


def _create_temp(path: Path) -> tuple[Path, int]:
    """A new private temporary file next to `path`, open for writing. A name left by a killed
    process that had the same pid is passed over, never reused (O_EXCL)."""
    for _ in range(1000):
        tmp = temp_name(path)
        try:
            return tmp, _create_private(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path.name}")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TEMP_MARK in name


def _create_private(path: Path) -> int:
    # O_EXCL: never follow or reuse someone else's file; 0600 before any byte is written.
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)


def write_atomic(
    path: Path | str,
    data: bytes,
    *,
    durable: bool = False,
    parents: bool = False,
    temp_dir: Path | str | None = None,
) -> os.stat_result:
    """Write `data` to `path` through a temporary file and a rename.

    Readers see the old file or the whole new one; a crash leaves at most a temporary file
    (`remove_temp_files` clears those). `durable` also fsyncs the data before the rename (for
    files a person keeps: letters written one at a time, manifests, ZIPs). `parents` creates
    missing parent directories (an existing one keeps its mode). Returns the new file's stat.

    The temporary file is made next to `path`, or in `temp_dir` (an existing directory, meant
    to be on the same file system): processes writing many files into one directory at once
    then share its lock only for the rename, not for creating the file as well. Where the
    rename cannot cross from `temp_dir` to `path` (another file system), the file is written
    next to `path` after all.
    """
    path = Path(path)
    if parents:
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tmp, fd = _create_temp(path if temp_dir is None else Path(temp_dir) / path.name)
    try:
        try:  # plain system calls: a letter is written in one or two
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if temp_dir is not None and err.errno == errno.EXDEV:
            return write_atomic(path, data, durable=durable)
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return written


@contextlib.contextmanager
def atomic_output(path: Path | str, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Write a large file (manifest, ZIP) piece by piece, renamed into place when complete
    (and fsynced first). On an exception the temporary file is removed and `path` untouched."""
    path = Path(path)
    tmp, fd = _create_temp(path)
    os.close(fd)
    try:
        with open(tmp, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_temp_files(directory: Path | str) -> int:
    """Remove temporary files a killed writer left in `directory`; returns how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as entries:
        for entry in entries:
            if is_temp_name(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def private_dir(path: Path | str) -> Path:
    """A directory this program owns (a work folder, the database's folder), readable by the
    user only: created 0700, or made 0700 if it exists with a wider mode."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    make_private(path)
    return path


def private_file(path: Path | str) -> Path:
    """A file only the user can read (the database): created empty with 0600 if missing (never
    through a wider mode), or made 0600 if it exists with a wider mode."""
    path = Path(path)
    with contextlib.suppress(FileExistsError):
        os.close(_create_private(path))
    make_private(path)
    return path


def make_private(path: Path | str) -> None:
    """Make an existing file 0600 (a directory 0700) if others could read it."""
    info = os.stat(path)
    wanted = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
    if stat.S_IMODE(info.st_mode) != wanted:
        os.chmod(path, wanted)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """Make a cell safe to open in a spreadsheet program (CSV injection).

    A cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) would be run as a
    formula by Excel or LibreOffice; a leading apostrophe makes it plain text. Other values
    are returned unchanged.
    """
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def unneutralise(cell: str) -> str:
    """The value `neutralise` protected: the apostrophe it added before a formula character is
    removed (so an export reads back exactly)."""
    if cell[:1] == "'" and cell[1:2] and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell
