"""ZIP output (`--letters-into zip`): the letters only in letters.zip, written a chunk of rows at a
time; the same letters, manifest and guarantees as one file per letter."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from batch_support import (
    LETTER,
    QUICK,
    acceptance_rows,
    good_row,
    quick_options,
    tree_digest,
    write_rows,
)
from click.testing import CliRunner

from secondlook.batch import DEFAULT_RENDERER, BatchError, BatchOptions, read_manifest, run_batch
from secondlook.batch.storedzip import StoredZip
from secondlook.cli import cli
from secondlook.cli_batch import summary_text

options = quick_options


def zip_options(**kw) -> BatchOptions:
    return options(letters_into="zip", **kw)


def chunk_dir(out: Path) -> Path:
    return out / ".secondlook-batch" / "chunks"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every member matches its CRC
        return {name: archive.read(name) for name in archive.namelist()}


def chunk_members(out: Path) -> list[str]:
    """Every letter held by a chunk file (a letter held twice would appear twice)."""
    names = []
    for path in sorted(chunk_dir(out).iterdir()):
        with zipfile.ZipFile(path) as archive:
            names += archive.namelist()
    return names


def test_zip_output_holds_the_same_letters_as_letter_files(tmp_path):
    rows, broken = acceptance_rows(120, broken_every=40)
    source = write_rows(tmp_path / "cases.csv", rows)
    files_out, zip_out = tmp_path / "files", tmp_path / "zip"
    run_batch(source, files_out, options(renderer=DEFAULT_RENDERER, zip=True))
    summary = run_batch(
        source, zip_out, zip_options(renderer=DEFAULT_RENDERER, workers=2, chunk_size=16)
    )

    assert (summary.ok, summary.errors, summary.files_written) == (117, 3, 117)
    assert summary.zip_path == zip_out / "letters.zip"
    manifest = read_manifest(zip_out / "manifest.csv")
    assert manifest == read_manifest(files_out / "manifest.csv")
    # Nothing but the manifest, the ZIP and the journal: no letter files.
    assert sorted(p.name for p in zip_out.iterdir()) == [
        ".secondlook-batch",
        "letters.zip",
        "manifest.csv",
    ]
    inside = members(zip_out / "letters.zip")
    letters = {f"letters/{k}": v for k, v in tree_digest(files_out / "letters").items()}
    assert list(inside) == ["manifest.csv", *[r["files"] for r in manifest if r["files"]]]
    assert inside["manifest.csv"] == (zip_out / "manifest.csv").read_bytes()
    assert {n: hashlib.sha256(d).hexdigest() for n, d in inside.items() if n != "manifest.csv"} == (
        letters
    )
    first = manifest[0]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(inside[first["files"]])).paragraphs)
    assert rows[0]["patient_name"] in text and rows[0]["records1_fax"] in text
    # The same letters in the same order give the same archive, byte for byte.
    assert (zip_out / "letters.zip").read_bytes() == (files_out / "letters.zip").read_bytes()
    # Eight chunks of 16 rows; each letter in exactly one of them.
    assert sorted(chunk_members(zip_out)) == sorted(n for n in inside if n != "manifest.csv")
    for path in [zip_out / "letters.zip", *chunk_dir(zip_out).iterdir()]:
        assert os.stat(path).st_mode & 0o077 == 0, path


def test_a_rerun_reuses_every_chunk_and_gives_the_same_archive(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(20)])
    out = tmp_path / "out"
    run_batch(source, out, zip_options(chunk_size=4))
    before = (out / "letters.zip").read_bytes()
    again = run_batch(source, out, zip_options(chunk_size=4))
    assert (again.reused, again.files_written) == (20, 0)
    assert (out / "letters.zip").read_bytes() == before


def test_a_missing_or_damaged_chunk_is_redone(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(12)])
    clean, out = tmp_path / "clean", tmp_path / "out"
    run_batch(source, clean, zip_options(chunk_size=4))
    run_batch(source, out, zip_options(chunk_size=4))
    first, second, third = sorted(chunk_dir(out).iterdir())
    first.unlink()
    second.write_bytes(second.read_bytes()[:100])  # cut short

    again = run_batch(source, out, zip_options(chunk_size=4))
    assert (again.files_written, again.reused) == (8, 4)
    assert (out / "letters.zip").read_bytes() == (clean / "letters.zip").read_bytes()
    assert read_manifest(out / "manifest.csv") == read_manifest(clean / "manifest.csv")
    assert third.exists() and not second.exists()  # the damaged chunk is no row's any more
    assert sorted(chunk_members(out)) == sorted(chunk_members(clean))


def test_a_chunk_damaged_behind_the_runs_back_is_found_and_redone(tmp_path):
    """Damage that keeps the chunk's size and time (so the run reuses it): the letter's
    checksum fails when letters.zip is assembled; the command says so, and a re-run redoes the
    chunk's rows."""
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(8)])
    clean, out = tmp_path / "clean", tmp_path / "out"
    run_batch(source, clean, zip_options(chunk_size=4))
    run_batch(source, out, zip_options(chunk_size=4))
    victim = sorted(chunk_dir(out).iterdir())[1]
    stat = victim.stat()
    data = bytearray(victim.read_bytes())
    data[200] ^= 0xFF  # inside the first letter's bytes
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    with pytest.raises(BatchError, match="was damaged.*run the same command again"):
        run_batch(source, out, zip_options(chunk_size=4))
    assert not (out / "letters.zip").exists() and not (out / "manifest.csv").exists()
    again = run_batch(source, out, zip_options(chunk_size=4))
    assert (again.files_written, again.reused) == (4, 4)
    assert (out / "letters.zip").read_bytes() == (clean / "letters.zip").read_bytes()


def test_switching_between_letter_files_and_zip_output(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(6)])
    out = tmp_path / "out"
    run_batch(source, out, options())
    into_zip = run_batch(source, out, zip_options())
    assert (into_zip.files_written, into_zip.removed_files, into_zip.removed_for_zip) == (6, 0, 6)
    assert "rows changed or gone" not in summary_text(into_zip)
    assert "letter files removed from letters/ (the letters are in letters.zip now): 6" in (
        summary_text(into_zip)
    )
    assert not (out / "letters").exists()
    assert len(chunk_members(out)) == 6

    back = run_batch(source, out, options())
    assert back.files_written == 6 and len(list((out / "letters").iterdir())) == 6
    assert list(chunk_dir(out).iterdir()) == []
    assert not (out / "letters.zip").exists()


def test_a_chunk_that_cannot_be_written_fails_its_rows_and_a_rerun_makes_them(
    tmp_path, monkeypatch
):
    from secondlook import files

    real = files.write_atomic
    calls = []

    def second_chunk_fails(path, data, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data, **kw)

    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(9)])
    out = tmp_path / "out"
    monkeypatch.setattr(files, "write_atomic", second_chunk_fails)
    summary = run_batch(source, out, zip_options(chunk_size=3))
    manifest = read_manifest(out / "manifest.csv")
    assert (summary.ok, summary.errors) == (6, 3)
    assert [r["errors"] for r in manifest[3:6]] == [
        f"row {n}: this row could not be processed (OSError: No space left on device)"
        for n in (5, 6, 7)
    ]
    assert len(members(out / "letters.zip")) == 1 + 6
    monkeypatch.setattr(files, "write_atomic", real)
    again = run_batch(source, out, zip_options(chunk_size=3))
    assert (again.ok, again.errors, again.files_written, again.reused) == (9, 0, 3, 6)
    assert len(members(out / "letters.zip")) == 1 + 9


def test_an_archive_of_more_than_65535_members_is_read_back(tmp_path):
    """ZIP64 end records: 100,000 letters need them."""
    path = tmp_path / "big.zip"
    with open(path, "wb") as handle:
        writer = StoredZip(handle)
        for n in range(70_000):
            writer.add(f"letters/{n}.docx", str(n).encode())
        writer.close()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert len(infos) == 70_000
        assert archive.read("letters/69999.docx") == b"69999"
        assert infos[5].date_time == (2000, 1, 1, 0, 0, 0)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--letters-into", "zip", "--check"], "--letters-into zip says where letters go"),
        (["--zip", "--check"], "--zip says where letters go"),
        (["--letters-into", "folder", "--out", "o"], "'folder' is not one of 'files', 'zip'"),
    ],
)
def test_bad_option_combinations_are_exit_2(tmp_path, extra, message):
    source = write_rows(tmp_path / "cases.csv", [good_row(0)])
    result = CliRunner().invoke(cli, ["batch", str(source), "--letter", LETTER, *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv"]


def test_cli_zip_output_summary(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(3)])
    out = tmp_path / "out"
    args = ["batch", str(source), "--letter", LETTER, "--out", str(out), "--workers", "1"]
    args += ["--renderer", QUICK, "--today", "2026-11-24", "--quiet", "--letters-into", "zip"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "letters: 3 (3 made, 0 rows already done)" in result.output
    assert f"zip: {out / 'letters.zip'}" in result.output
    assert len(members(out / "letters.zip")) == 4
