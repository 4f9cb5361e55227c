"""Files that hold member data: atomic, private whatever the umask, nothing left half-written."""

from __future__ import annotations

import errno
import itertools
import os
import stat

import pytest

from secondlook import files


@pytest.fixture
def open_umask():
    old = os.umask(0)  # the most permissive umask: modes must not depend on it
    yield
    os.umask(old)


def _mode(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_atomic_makes_a_private_file_and_replaces_it_whole(tmp_path, open_umask):
    target = tmp_path / "letter.docx"
    written = files.write_atomic(target, b"first")
    assert target.read_bytes() == b"first" and _mode(target) == 0o600
    assert written.st_size == 5
    files.write_atomic(target, b"second version", durable=True)
    assert target.read_bytes() == b"second version" and _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.docx"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "manifest.csv"
    files.write_atomic(target, b"old")

    def broken_replace(src, dst):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_atomic(target, b"new")
    with pytest.raises(OSError), files.atomic_output(target, "wb") as handle:
        handle.write(b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.csv"]


def test_a_temporary_name_left_by_an_earlier_process_is_passed_over(tmp_path, monkeypatch):
    """Temporary names come from the pid and a counter; a file a killed process with the same
    pid left under the next name is neither reused nor followed, and stays as it was."""
    monkeypatch.setattr(files, "_calls", itertools.count(0x64))
    target = tmp_path / "letter.docx"
    taken = tmp_path / f".letter.docx.tmp-{os.getpid()}-64"
    taken.symlink_to(tmp_path / "elsewhere")
    files.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert taken.is_symlink() and not (tmp_path / "elsewhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["letter.docx", taken.name])


def test_parents_are_created_but_an_existing_folder_keeps_its_mode(tmp_path, open_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    files.write_atomic(shared / "new" / "a.docx", b"x", parents=True)
    assert _mode(shared) == 0o755 and _mode(shared / "new") == 0o700
    assert _mode(shared / "new" / "a.docx") == 0o600


def test_private_dir_creates_and_tightens(tmp_path, open_umask):
    loose = tmp_path / "var"
    loose.mkdir(mode=0o755)
    files.private_dir(loose)
    files.private_dir(tmp_path / "work")
    assert _mode(loose) == 0o700 and _mode(tmp_path / "work") == 0o700


def test_temporary_files_of_a_killed_writer_are_recognised_and_removed(tmp_path):
    leftover = files.temp_name(tmp_path / "a.docx")
    leftover.write_bytes(b"half")
    (tmp_path / "a.docx").write_bytes(b"whole")
    assert files.is_temp_name(leftover.name)
    assert files.remove_temp_files(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]


def test_a_folder_of_its_own_holds_the_temporary_file_until_the_rename(
    tmp_path, monkeypatch, open_umask
):
    # Batch workers make their temporary files each in a folder of its own: processes creating
    # files in one shared folder wait on its lock.
    own, letters = tmp_path / "own", tmp_path / "letters"
    own.mkdir()
    letters.mkdir()
    made_in = []
    real = files._create_temp
    monkeypatch.setattr(files, "_create_temp", lambda p: (made_in.append(p.parent), real(p))[1])
    files.write_atomic(letters / "a.docx", b"first")
    files.write_atomic(letters / "a.docx", b"second", temp_dir=own)
    assert made_in == [letters, own]
    assert (letters / "a.docx").read_bytes() == b"second"
    assert _mode(letters / "a.docx") == 0o600
    assert list(own.iterdir()) == [] and [p.name for p in letters.iterdir()] == ["a.docx"]


def test_where_the_rename_cannot_cross_file_systems_the_file_is_written_in_its_folder(
    tmp_path, monkeypatch
):
    own, letters = tmp_path / "own", tmp_path / "letters"
    own.mkdir()
    letters.mkdir()
    real = os.replace

    def same_folder_only(src, dst):  # noqa: ANN001, ANN202
        if os.path.dirname(src) != os.path.dirname(dst):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", same_folder_only)
    files.write_atomic(letters / "a.docx", b"letter", temp_dir=own)
    assert (letters / "a.docx").read_bytes() == b"letter"
    assert list(own.iterdir()) == [] and [p.name for p in letters.iterdir()] == ["a.docx"]


@pytest.mark.parametrize("payload", ["=1+1", "+SUM(A1)", "-12", "@cmd", "\tx", "\rx"])
def test_neutralise_defuses_formula_cells(payload):
    assert files.neutralise(payload) == "'" + payload


def test_neutralise_leaves_other_values_alone():
    assert files.neutralise("plain") == "plain" and files.neutralise(12) == 12
