"""A batch killed with SIGKILL part-way resumes with no duplicates and nothing missing."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from batch_support import acceptance_rows, tree_digest, write_rows

from secondlook.batch import read_manifest

ROOT = Path(__file__).resolve().parent.parent
ROWS = 1000


def _command(source: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from secondlook.cli import main; main()",
        "batch",
        str(source),
        "--letter",
        "records_request",
        "--out",
        str(out),
        "--workers",
        "2",
        "--renderer",
        "batch_support:slow_letters_renderer",
        "--today",
        "2026-11-24",
        "--quiet",
    ]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))


@pytest.mark.parametrize("kill", ["process_group", "main_process_only"])
def test_a_killed_run_resumes_to_the_same_result_as_an_uninterrupted_one(tmp_path, kill):
    rows, broken = acceptance_rows(ROWS, broken_every=100)
    source = write_rows(tmp_path / "cases.csv", rows)
    killed, clean = tmp_path / "killed", tmp_path / "clean"

    proc = subprocess.Popen(
        _command(source, killed),
        env=_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    letters = killed / "letters"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = len(os.listdir(letters)) if letters.is_dir() else 0
        if done >= ROWS // 4:
            break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    if kill == "process_group":
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    made = len(os.listdir(letters))
    assert 0 < made < ROWS - len(broken), "killed part-way"
    assert not (killed / "manifest.csv").exists()

    resumed = subprocess.run(_command(source, killed), env=_env(), capture_output=True, text=True)
    assert resumed.returncode == 1, resumed.stderr  # 1: finished, with the broken rows as errors
    assert f"{ROWS:,} rows: {ROWS - len(broken):,} ok, {len(broken)} errors" in resumed.stdout
    uninterrupted = subprocess.run(_command(source, clean), env=_env(), capture_output=True)
    assert uninterrupted.returncode == 1

    manifest = read_manifest(killed / "manifest.csv")
    assert len(manifest) == ROWS
    assert [int(r["row"]) for r in manifest] == list(range(2, ROWS + 2))
    assert manifest == read_manifest(clean / "manifest.csv")
    assert tree_digest(killed / "letters") == tree_digest(clean / "letters")
    assert len(os.listdir(killed / "letters")) == ROWS - len(broken)
    leftovers = [p for p in killed.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []


def _rows_recorded(out: Path) -> int:
    """Rows the journal of a run under way has committed (0 before it exists)."""
    path = out / ".secondlook-batch" / "state.sqlite"
    if not path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("SELECT COUNT(*) FROM run_rows").fetchone()[0]
    except sqlite3.Error:  # not created yet, or busy this instant
        return 0


def test_a_killed_run_with_zip_output_resumes_to_the_same_archive(tmp_path):
    """ZIP output: the resumed letters.zip and manifest equal an uninterrupted run's byte for
    byte; every letter is in exactly one chunk file; nothing half-written is left."""
    rows, broken = acceptance_rows(ROWS, broken_every=100)
    source = write_rows(tmp_path / "cases.csv", rows)
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    command = [*_command(source, killed), "--letters-into", "zip"]
    chunks = killed / ".secondlook-batch" / "chunks"

    proc = subprocess.Popen(
        command,
        env=_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _rows_recorded(killed) >= ROWS // 4:  # their chunk files written, so reused
            break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (killed / "manifest.csv").exists() and not (killed / "letters.zip").exists()

    resumed = subprocess.run(command, env=_env(), capture_output=True, text=True)
    assert resumed.returncode == 1, resumed.stderr
    assert f"{ROWS:,} rows: {ROWS - len(broken):,} ok, {len(broken)} errors" in resumed.stdout
    assert "rows already done)" in resumed.stdout and " 0 rows already done" not in resumed.stdout
    clean_command = [*_command(source, clean), "--letters-into", "zip"]
    assert subprocess.run(clean_command, env=_env(), capture_output=True).returncode == 1

    assert (killed / "manifest.csv").read_bytes() == (clean / "manifest.csv").read_bytes()
    assert (killed / "letters.zip").read_bytes() == (clean / "letters.zip").read_bytes()
    with zipfile.ZipFile(killed / "letters.zip") as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) == 1 + ROWS - len(broken)
    held = []
    for path in chunks.iterdir():
        with zipfile.ZipFile(path) as archive:
            held += archive.namelist()
    assert len(held) == len(set(held)) == ROWS - len(broken)  # no orphaned chunk left
    assert not (killed / "letters").exists()
    assert [p for p in killed.rglob("*") if ".tmp-" in p.name] == []
