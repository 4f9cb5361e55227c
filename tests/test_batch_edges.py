"""The batch and the CLI at the edges: killed processes, full disks, far dates, signals, member
data in messages, template-like text, formulas without results, a manifest during a run.

Every failure here is a clear message and exit status 2 (or the signal's status), never a
traceback, and never repeats a cell's content.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest
from batch_support import LETTER, QUICK, good_row, quick_options, write_rows
from bounded_child import ROOT
from click.testing import CliRunner

from secondlook.batch import read_manifest, run_batch
from secondlook.cli import cli

options = quick_options


def _env() -> dict[str, str]:
    paths = [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "secondlook.console", *args]


def _session_processes(sid: int) -> list[int]:
    alive = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    state = Path(f"/proc/{entry.name}/stat").read_text().rpartition(")")[2]
                    if state.split()[0] != "Z":
                        alive.append(int(entry.name))
            except OSError:
                continue
    return alive


# --- 1. processes: nothing outlives a killed run ----------------------------------------------

IDLE_POOL = """
import sys, time, datetime as dt
from secondlook.batch.executors import Pool
from secondlook.batch.outcome import Job
pool = Pool(2)
job = Job("idle", "records_request", False, dt.date(2026, 11, 24), "batch_support:quick_renderer", None)
for future in [pool.submit(job, []) for _ in range(4)]:
    future.result()
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_idle_workers_leave_with_a_killed_run_and_release_its_output(sig):
    child = subprocess.Popen(
        [sys.executable, "-c", IDLE_POOL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        start_new_session=True,
        cwd=ROOT / "tests",
    )
    try:
        assert child.stdout.readline() == b"ready\n"
        assert len(_session_processes(child.pid)) >= 4  # main, forkserver, tracker, workers
        os.kill(child.pid, sig)
        child.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _session_processes(child.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(child.pid) == []
        assert child.stdout.read() == b""  # end of file: nothing else holds the output open
    finally:
        for pid in _session_processes(child.pid):
            os.kill(pid, signal.SIGKILL)
        child.stdout.close()
        child.stderr.close()


def test_a_worker_killed_from_outside_does_not_make_a_healthy_row_an_error(tmp_path):
    """Kill a worker, then a worker of the restarted pool: every row still gets its letter."""
    rows = [good_row(i) for i in range(240)]
    rows[150]["patient_name"] = "KILL ONCE first"
    rows[170]["patient_name"] = "KILL ONCE second"
    markers = tmp_path / "markers"
    markers.mkdir()
    renderer = f"batch_support:once_killed_renderer:{markers}"
    source = write_rows(tmp_path / "cases.csv", rows)
    summary = run_batch(
        source, tmp_path / "out", options(workers=2, chunk_size=8, renderer=renderer)
    )
    manifest = read_manifest(tmp_path / "out" / "manifest.csv")
    assert sorted(p.name for p in markers.iterdir()) == ["KILL_ONCE_first", "KILL_ONCE_second"]
    assert (summary.ok, summary.errors) == (240, 0), [r["errors"] for r in manifest if r["errors"]]


# --- 3. a clear message and exit 2, never a traceback ---------------------------------------


def _batch(tmp_path: Path, *args: str, rows=None):  # noqa: ANN001, ANN202
    source = write_rows(tmp_path / "cases.csv", rows or [good_row(i) for i in range(3)])
    result = CliRunner().invoke(
        cli,
        ["batch", str(source), "--letter", LETTER, "--renderer", QUICK, "--quiet", *args],
    )
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    ), result.output
    return result


def test_out_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "taken.txt").write_text("x")
    result = _batch(tmp_path, "--out", str(tmp_path / "taken.txt"))
    assert result.exit_code == 2
    assert "this is a file; give a directory" in result.output


def test_out_on_a_read_only_file_system_is_a_clear_error(tmp_path, monkeypatch):
    def read_only(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = _batch(tmp_path, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "cannot write there (Read-only file system)" in result.output


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (48 * 1024, 48 * 1024))
sys.argv = ["secondlook"] + sys.argv[1:]
from secondlook.console import main
main()
"""


def test_a_full_disk_is_a_clear_error_and_the_run_resumes(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(300)])
    args = ["batch", str(source), "--letter", LETTER, "--out", str(tmp_path / "out"),
            "--renderer", QUICK, "--quiet", "--today", "2026-11-24"]  # fmt: skip
    full = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *args], capture_output=True, text=True, env=_env()
    )
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    assert f"--out {tmp_path / 'out'}: " in full.stderr
    assert "run the same command again to resume" in full.stderr
    again = subprocess.run(_command(*args), capture_output=True, text=True, env=_env())
    assert again.returncode == 0, again.stderr
    assert len(read_manifest(tmp_path / "out" / "manifest.csv")) == 300


def test_dates_near_year_9999_name_their_column_or_field(tmp_path):
    rows = [
        good_row(0) | {"as_of": "9999-12-31"},
        good_row(1) | {"denial_notice_date": "9999-12-30"},
    ]
    result = _batch(tmp_path, "--out", str(tmp_path / "out"), rows=rows)
    assert result.exit_code == 1
    manifest = read_manifest(tmp_path / "out" / "manifest.csv")
    assert (
        manifest[0]["errors"]
        == "row 2, column as_of: a date between 1900 and 2199, e.g. 2026-03-14"
    )
    assert manifest[1]["errors"].startswith("row 3, column denial_notice_date: a date between")
    assert _batch(tmp_path, "--check", "--today", "9999-12-31").exit_code == 2


def test_a_case_file_with_a_far_date_is_a_clear_error(tmp_path):
    case = ROOT / "examples" / "cases" / "mo-self-funded-denied-urgent.yaml"
    text = case.read_text(encoding="utf-8")
    far = tmp_path / "far.yaml"
    far.write_text(
        text.replace("notice_date: ", "notice_date: 9999-12-30 #").replace(
            "date_received: ", "date_received: 9999-12-30 #"
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--case", str(far)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "denial.notice_date: a date between 1900 and 2199" in result.output
    result = runner.invoke(cli, ["check", "--case", str(case), "--as-of", "9999-12-31"])
    assert result.exit_code == 2 and "as_of: a date between 1900 and 2199" in result.output


def test_a_yaml_key_that_is_a_mapping_is_exit_2(tmp_path):
    bad = tmp_path / "case.yaml"
    bad.write_text("case_id: x\n? {a: 1}\n: 2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--case", str(bad)])
    assert result.exit_code == 2
    assert "case.yaml:2: (file): a key must be a plain name" in result.output


INTERRUPTED_IMPORT = """
import os, signal, sys

class Trip:  # Ctrl-C while the command is still importing (the first half second)
    def find_spec(self, name, path=None, target=None):
        if name == "secondlook.service":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Trip())
sys.argv = ["secondlook", "plans", "list"]
from secondlook.console import main
main()
"""


def test_ctrl_c_while_starting_is_a_message_not_a_traceback():
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT], capture_output=True, text=True, env=_env()
    )
    assert (done.returncode, done.stderr) == (130, "\ninterrupted\n")


def test_sigterm_stops_a_run_with_a_word_and_it_resumes(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(200)])
    args = ("batch", str(source), "--letter", LETTER, "--out", str(tmp_path / "out"),
            "--quiet", "--today", "2026-11-24", "--renderer",
            "batch_support:slow_letters_renderer")  # fmt: skip
    child = subprocess.Popen(_command(*args), stderr=subprocess.PIPE, env=_env())
    journal = tmp_path / "out" / ".secondlook-batch" / "state.sqlite"
    while not journal.exists() and child.poll() is None:  # the run is under way
        time.sleep(0.05)
    time.sleep(0.5)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 143, err
    assert b"interrupted: run the same command again to resume" in err
    assert b"Traceback" not in err
    again = subprocess.run(_command(*args), capture_output=True, env=_env())
    assert again.returncode == 0 and len(read_manifest(tmp_path / "out" / "manifest.csv")) == 200


# --- 4. member data is never echoed -----------------------------------------------------------


def test_unknown_letters_plans_and_invalid_ids_are_not_repeated_anywhere(tmp_path):
    rows = [
        good_row(0) | {"letters": "zyxwvut"},
        good_row(1) | {"plan": "quolp"},
        good_row(2) | {"case_id": "Jordan Example"},  # a name shifted into the id column
        good_row(3),
    ]
    result = _batch(tmp_path, "--out", str(tmp_path / "out"), rows=rows)
    out = tmp_path / "out"
    assert result.exit_code == 1
    journal = out / ".secondlook-batch" / "state.sqlite"
    with sqlite3.connect(journal) as db:
        stored = " ".join(r[0] for r in db.execute("SELECT line FROM run_rows"))
        stored += " ".join(r[0] for r in db.execute("SELECT outcome FROM results"))
    shown = result.output + (out / "manifest.csv").read_text(encoding="utf-8-sig") + stored
    for secret in ("zyxwvut", "quolp", "Jordan Example"):
        assert secret not in shown
    manifest = read_manifest(out / "manifest.csv")
    assert manifest[0]["errors"].startswith("row 2, column letters: 1 word is not a letter type")
    assert (
        manifest[1]["errors"]
        == "row 3, column plan: no plan with this id (see `secondlook plans list`)"
    )
    assert manifest[2]["case_id"] == "" and "row 4, column case_id:" in manifest[2]["errors"]


def test_the_journal_and_output_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        _batch(tmp_path, "--out", str(tmp_path / "out"))
    finally:
        os.umask(old)
    state = tmp_path / "out" / ".secondlook-batch"
    for path in [state, tmp_path / "out" / "letters", *state.iterdir()]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path.name, oct(mode))


# --- 5. text is never rewritten ---------------------------------------------------------------


def test_template_like_text_in_a_field_reaches_the_letter_unchanged(tmp_path):
    typed = "A {_{ b }_} c {_% d %_} e {{ f }} g {% h %}"
    rows = [good_row(0) | {"patient_name": typed, "records1_name": "Lab {_{x}_}"}]
    source = write_rows(tmp_path / "cases.csv", rows)
    run_batch(source, tmp_path / "out", options(renderer="secondlook.batch:letters_renderer"))
    letter = tmp_path / "out" / "letters" / f"C000000__{LETTER}.docx"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(letter.read_bytes())).paragraphs)
    assert typed in text and "Lab {_{x}_}" in text


# --- 6. no silent blanks ----------------------------------------------------------------------


def test_a_formula_without_a_saved_result_is_a_row_error(tmp_path):
    from openpyxl import Workbook

    from secondlook.batch.columns import COLUMN_NAMES

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cases"
    columns = list(COLUMN_NAMES)
    sheet.append(columns)
    row = good_row(0)
    sheet.append([row.get(c) or None for c in columns])
    sheet.cell(row=2, column=columns.index("patient_name") + 1, value='=CONCAT("Jo","rdan")')
    workbook.save(tmp_path / "cases.xlsx")  # openpyxl saves formulas without their results
    summary = run_batch(tmp_path / "cases.xlsx", tmp_path / "out", options())
    manifest = read_manifest(tmp_path / "out" / "manifest.csv")
    assert summary.errors == 1
    assert manifest[0]["errors"] == (
        "row 2, column patient_name: a formula whose result is not saved in the file (open and "
        "save it in Excel or LibreOffice, or paste the values)"
    )


def test_a_utf16_csv_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("case_id,plan\nC1,original-medicare\n", encoding="utf-16")
    result = CliRunner().invoke(cli, ["batch", str(path), "--letter", LETTER, "--check"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "cases.csv: (file): the file is UTF-16 text (or holds NUL bytes): save it as 'CSV UTF-8'"
    )


# --- 7. the manifest never disagrees with the letters -----------------------------------------


def test_no_manifest_is_left_that_disagrees_with_letters_being_rewritten(tmp_path, monkeypatch):
    from secondlook.batch import work

    rows = [good_row(i) for i in range(20)]
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    run_batch(source, out, options(zip=True))
    assert (out / "manifest.csv").exists() and (out / "letters.zip").exists()

    real = work.process_rows
    done = []

    def killed_part_way(job, chunk):  # noqa: ANN001, ANN202
        if done:
            raise KeyboardInterrupt
        done.append(1)
        return real(job, chunk)

    monkeypatch.setattr(work, "process_rows", killed_part_way)
    changed = [r | {"patient_name": "Changed Name"} for r in rows]
    write_rows(source, changed)
    with pytest.raises(KeyboardInterrupt):
        run_batch(source, out, options(chunk_size=5, zip=True))
    # Some letters are new, some old: no manifest or ZIP claims to describe them.
    assert not (out / "manifest.csv").exists() and not (out / "letters.zip").exists()
    monkeypatch.setattr(work, "process_rows", real)
    run_batch(source, out, options(zip=True))
    for line in read_manifest(out / "manifest.csv"):
        data = (out / line["files"]).read_bytes()
        import hashlib

        assert hashlib.sha256(data).hexdigest() == line["sha256"]
    with zipfile.ZipFile(out / "letters.zip") as archive:
        assert len(archive.namelist()) == 21


# --- 8. limits on what a letter is made from --------------------------------------------------


def test_a_case_file_with_an_overlong_field_is_refused_by_the_letter_command(tmp_path):
    case = ROOT / "examples" / "cases" / "mo-self-funded-denied-urgent.yaml"
    text = case.read_text(encoding="utf-8")
    long = tmp_path / "long.yaml"
    data = text.split("\n")
    patched = [
        line if not line.startswith("  name:") else "  name: " + "\U0001f600" * 5000
        for line in data
    ]
    long.write_text("\n".join(patched), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["letter", "appeal", "--case", str(long), "--out", str(tmp_path / "a.docx")]
    )
    assert result.exit_code == 2
    assert "name: longer than 500 characters" in result.output
    assert not (tmp_path / "a.docx").exists()
