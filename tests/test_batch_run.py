"""Batch runs: every row ends as letters or a clear error, re-runs redo only what changed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import zipfile
from pathlib import Path

import docx
import pytest
from batch_support import (
    LETTER,
    QUICK,
    TODAY,
    acceptance_rows,
    good_row,
    quick_options,
    tree_digest,
    write_rows,
)
from click.testing import CliRunner

from secondlook.batch import (
    DEFAULT_RENDERER,
    MANIFEST_COLUMNS,
    BatchError,
    read_manifest,
    run_batch,
)
from secondlook.cli import cli

options = quick_options


def _check_manifest_against_files(out: Path, manifest: list[dict]) -> None:
    listed = set()
    for row in manifest:
        files = [f for f in row["files"].split("; ") if f]
        hashes = [h for h in row["sha256"].split("; ") if h]
        assert len(files) == len(hashes)
        for name, digest in zip(files, hashes, strict=True):
            assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
            listed.add(name)
    on_disk = {f"letters/{p.name}" for p in (out / "letters").iterdir()}
    assert on_disk == listed  # nothing missing, nothing extra, no temporary files


def test_1000_rows_with_10_broken_give_990_letters_and_1000_manifest_rows(tmp_path):
    """The acceptance case, end to end with the real letters renderer."""
    rows, broken = acceptance_rows(1000)
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    summary = run_batch(source, out, options(renderer=DEFAULT_RENDERER))
    manifest = read_manifest(out / "manifest.csv")

    assert (summary.rows, summary.ok, summary.errors) == (1000, 990, 10)
    assert len(manifest) == 1000
    assert [int(r["row"]) for r in manifest] == list(range(2, 1002))
    assert list(manifest[0]) == list(MANIFEST_COLUMNS)
    assert len(list((out / "letters").iterdir())) == 990
    errors = {int(r["row"]): r["errors"] for r in manifest if r["status"] == "error"}
    assert set(errors) == set(broken)
    for number, (column, fragment) in broken.items():
        assert errors[number].startswith(f"row {number}, column {column}: "), errors[number]
        assert fragment in errors[number]
    for row in manifest:
        if row["status"] == "ok":
            assert row["files"] == f"letters/{row['case_id']}__{LETTER}.docx"
            assert row["errors"] == ""
    _check_manifest_against_files(out, manifest)
    # A real Word letter for the right patient.
    first = rows[0]
    text = "\n".join(p.text for p in docx.Document(str(out / manifest[0]["files"])).paragraphs)
    assert first["patient_name"] in text and first["records1_fax"] in text


def test_a_rerun_skips_done_rows_and_redoes_failed_and_changed_ones(tmp_path):
    rows = [good_row(i) for i in range(30)]
    rows[5]["patient_dob"] = "not a date"
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    first = run_batch(source, out, options())
    assert (first.ok, first.errors, first.files_written) == (29, 1, 29)
    before = tree_digest(out / "letters")
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "letters").iterdir()}

    again = run_batch(source, out, options())
    assert (again.ok, again.errors, again.reused, again.files_written) == (29, 1, 29, 0)
    assert tree_digest(out / "letters") == before
    assert {p.name: p.stat().st_mtime_ns for p in (out / "letters").iterdir()} == stamps

    rows[5]["patient_dob"] = "1950-01-01"  # fixed
    rows[7]["patient_name"] = "Changed Name"  # changed
    del rows[9]  # gone: its letter must go too
    rows[1], rows[2] = rows[2], rows[1]  # reordered: same content, new row numbers
    write_rows(source, rows)
    third = run_batch(source, out, options())
    assert (third.ok, third.errors, third.files_written, third.reused) == (29, 0, 2, 27)
    assert third.removed_files == 1
    manifest = read_manifest(out / "manifest.csv")
    assert len(manifest) == 29
    assert [r["case_id"] for r in manifest[:3]] == ["C000000", "C000002", "C000001"]
    assert not (out / "letters" / f"C000009__{LETTER}.docx").exists()
    _check_manifest_against_files(out, manifest)


def test_changing_the_letter_choice_or_a_damaged_file_redoes_the_rows(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(4)])
    out = tmp_path / "out"
    run_batch(source, out, options())
    victim = out / "letters" / f"C000001__{LETTER}.docx"
    victim.write_bytes(b"damaged")
    repaired = run_batch(source, out, options())
    assert (repaired.files_written, repaired.reused) == (1, 3)
    assert victim.read_bytes() != b"damaged"

    other = run_batch(source, out, options(letter="physician_letter"))
    assert other.files_written == 4 and other.removed_files == 4
    names = sorted(p.name for p in (out / "letters").iterdir())
    assert names == [f"C00000{i}__physician_letter.docx" for i in range(4)]


def test_auto_gives_the_letters_the_check_recommends(tmp_path):
    from secondlook import service
    from secondlook.batch.rows import parse_row

    rows = [good_row(i) for i in range(12)]
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    run_batch(source, out, options(letter="auto"))
    manifest = read_manifest(out / "manifest.csv")
    for row, line in zip(rows, manifest, strict=True):
        case = parse_row(row, 2).case
        expected = service.check(case, as_of=case.as_of).letters
        assert line["letters"].split() == list(expected)
        assert line["files"].split("; ") == [
            f"letters/{row['case_id']}__{t}.docx" for t in expected
        ] or (not expected and line["files"] == "" and "recommends none" in line["warnings"])


def test_the_letters_column_overrides_the_letter_option_per_row(tmp_path):
    rows = [good_row(0), good_row(1)]
    rows[1]["letters"] = "appeal physician_letter"
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    run_batch(source, out, options())
    manifest = read_manifest(out / "manifest.csv")
    assert manifest[0]["letters"] == LETTER
    assert manifest[1]["letters"] == "appeal physician_letter"


def test_duplicate_case_ids_fail_the_later_row_only(tmp_path):
    rows = [good_row(0), good_row(1), good_row(2)]
    rows[2]["case_id"] = rows[0]["case_id"].lower()  # file names must differ on any file system
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    summary = run_batch(source, out, options())
    manifest = read_manifest(out / "manifest.csv")
    assert [r["status"] for r in manifest] == ["ok", "ok", "error"]
    assert manifest[2]["errors"].startswith(
        "row 4, column case_id: duplicate case id (first on row 2)"
    )
    assert summary.errors == 1


def test_manifest_cells_cannot_run_as_formulas(tmp_path):
    rows = [good_row(0), good_row(1), good_row(2)]
    rows[0]["case_id"] = "-12"
    rows[1]["case_id"] = "=HYPERLINK(x)"  # an invalid id is not copied into the manifest
    rows[2]["plan"] = "=cmd|' /C calc'!A0"
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    run_batch(source, out, options())
    with open(out / "manifest.csv", encoding="utf-8-sig", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    assert "'-12" in cells and not [c for c in cells if "HYPERLINK" in c]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    manifest = read_manifest(out / "manifest.csv")
    assert manifest[0]["status"] == "ok"
    assert manifest[0]["files"] == f"letters/-12__{LETTER}.docx"


def test_xlsx_input_gives_the_same_letters_as_csv(tmp_path):
    rows, broken = acceptance_rows(60, broken_every=20)
    csv_out, xlsx_out = tmp_path / "csv", tmp_path / "xlsx"
    run_batch(write_rows(tmp_path / "cases.csv", rows), csv_out, options())
    run_batch(write_rows(tmp_path / "cases.xlsx", rows), xlsx_out, options())
    assert tree_digest(csv_out / "letters") == tree_digest(xlsx_out / "letters")
    assert read_manifest(csv_out / "manifest.csv") == read_manifest(xlsx_out / "manifest.csv")
    assert sum(r["status"] == "error" for r in read_manifest(xlsx_out / "manifest.csv")) == 3


def test_zip_holds_the_manifest_and_every_letter(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(5)])
    out = tmp_path / "out"
    summary = run_batch(source, out, options(zip=True))
    with zipfile.ZipFile(summary.zip_path) as archive:
        names = sorted(archive.namelist())
        assert archive.read("manifest.csv") == (out / "manifest.csv").read_bytes()
    assert names == sorted(
        ["manifest.csv", *[f"letters/C00000{i}__{LETTER}.docx" for i in range(5)]]
    )
    run_batch(source, out, options(zip=False))
    assert not (out / "letters.zip").exists()  # a stale ZIP would not match the manifest


def test_worker_processes_give_the_same_result_as_one_process(tmp_path):
    rows, _ = acceptance_rows(400, broken_every=40)
    source = write_rows(tmp_path / "cases.csv", rows)
    run_batch(source, tmp_path / "one", options())
    run_batch(source, tmp_path / "two", options(workers=2, chunk_size=16))
    assert read_manifest(tmp_path / "one/manifest.csv") == read_manifest(
        tmp_path / "two/manifest.csv"
    )
    assert tree_digest(tmp_path / "one/letters") == tree_digest(tmp_path / "two/letters")
    assert not (tmp_path / "two/.secondlook-batch/writing").exists()  # the workers' own folders


def test_letter_files_are_made_in_the_workers_own_folder_which_the_run_removes(
    tmp_path, monkeypatch
):
    # Two workers making their temporary files in letters/ itself wait on its lock; each makes
    # them in a folder of its own under the journal's directory, renamed into letters/.
    from secondlook import files

    made_in = []
    real = files._create_temp
    monkeypatch.setattr(files, "_create_temp", lambda p: (made_in.append(p.parent), real(p))[1])
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(6)])
    out = tmp_path / "out"
    writing = out / ".secondlook-batch/writing"
    run_batch(source, out, options())
    letters = {folder for folder in made_in if folder != out}  # not the manifest's
    assert len(letters) == 1 and letters.pop().parent == writing.resolve()
    assert not writing.exists()
    _check_manifest_against_files(out, read_manifest(out / "manifest.csv"))
    # A killed run leaves letters' bytes in its workers' folders: the next run removes them.
    (writing / "4242-0badf00d").mkdir(parents=True)
    (writing / "4242-0badf00d/.C000001__records_request.docx.tmp-4242-0").write_bytes(b"PK")
    run_batch(source, out, options())
    assert not writing.exists()


def test_a_row_that_kills_its_worker_becomes_an_error_and_the_rest_finish(tmp_path):
    rows = [good_row(i) for i in range(240)]
    rows[100]["patient_name"] = "CRASH THE WORKER"
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    summary = run_batch(
        source, out, options(workers=2, chunk_size=8, renderer="batch_support:crashing_renderer")
    )
    manifest = read_manifest(out / "manifest.csv")
    assert (summary.ok, summary.errors, len(manifest)) == (239, 1, 240)
    bad = manifest[100]
    assert bad["status"] == "error"
    assert bad["errors"] == (
        "row 102: the worker stopped while processing this row (BrokenProcessPool)"
    )
    _check_manifest_against_files(out, manifest)


def test_when_worker_processes_cannot_run_the_batch_runs_in_this_process(tmp_path):
    rows = [good_row(i) for i in range(240)]
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    summary = run_batch(
        source, out, options(workers=2, renderer="batch_support:no_workers_renderer")
    )
    assert (summary.ok, summary.errors) == (240, 0)
    _check_manifest_against_files(out, read_manifest(out / "manifest.csv"))


def test_an_output_directory_not_made_by_batch_is_refused(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(0)])
    out = tmp_path / "out"
    (out / "letters").mkdir(parents=True)
    with pytest.raises(BatchError, match="letters exists but was not made by"):
        run_batch(source, out, options())


def test_letter_files_are_private_to_the_user(tmp_path):
    source = write_rows(tmp_path / "cases.csv", [good_row(0)])
    out = tmp_path / "out"
    run_batch(source, out, options())
    for path in [*(out / "letters").iterdir(), out / "manifest.csv"]:
        assert os.stat(path).st_mode & 0o077 == 0, path


def test_cli_batch_exit_codes_and_summary(tmp_path, monkeypatch):
    rows, _ = acceptance_rows(50, broken_every=25)
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    runner = CliRunner()
    args = [
        "batch",
        str(source),
        "--letter",
        LETTER,
        "--out",
        str(out),
        "--workers",
        "1",
        "--renderer",
        QUICK,
        "--today",
        "2026-11-24",
        "--quiet",
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "50 rows: 48 ok, 2 errors" in result.output
    assert "row 14, column patient_dob: not a date" in result.output
    assert f"manifest: {out / 'manifest.csv'}" in result.output

    good = write_rows(tmp_path / "good.csv", [good_row(0)])
    args[1], args[5] = str(good), str(tmp_path / "o2")
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output

    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("case_id,patinet_name\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["batch", str(bad_header), "--letter", "auto", "--out", str(tmp_path / "o3")]
    )
    assert result.exit_code == 2
    assert "bad.csv:1: patinet_name: unknown column (did you mean patient_name?)" in result.output

    result = runner.invoke(cli, ["batch", str(source), "--letter", "fax", "--out", str(out)])
    assert result.exit_code == 2


def test_cli_check_lists_problems_and_writes_nothing(tmp_path):
    rows, broken = acceptance_rows(30, broken_every=15)
    source = write_rows(tmp_path / "cases.csv", rows)
    result = CliRunner().invoke(
        cli,
        ["batch", str(source), "--letter", LETTER, "--check", "--quiet", "--today", "2026-11-24"],
    )
    assert result.exit_code == 1, result.output
    assert "30 rows checked: 28 ready (28 letters), 2 with errors" in result.output
    for number, (column, _) in broken.items():
        assert f"row {number}, column {column}: " in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv"]
    result = CliRunner().invoke(cli, ["batch", str(source), "--letter", LETTER])
    assert result.exit_code == 2 and "--out DIR is required" in result.output


def test_the_batch_checks_through_the_service(tmp_path, monkeypatch):
    """Every answer is service.check's (no engine bypass), worked out once per distinct plan,
    day and facts the engine reads (batch/shared.py), each on its row's own day."""
    from secondlook import service
    from secondlook.batch import shared
    from secondlook.batch.rows import parse_row

    calls = []
    real = service.check

    def counted(case, plan=None, as_of=None):  # noqa: ANN001, ANN202
        calls.append((case.case_id, as_of))
        return real(case, plan, as_of)

    monkeypatch.setattr(service, "check", counted)
    monkeypatch.setattr(shared, "_shared", shared.SharedWork())
    rows = [good_row(i) | ({"as_of": ""} if i % 2 else {}) for i in range(6)]
    rows.append(rows[0] | {"case_id": "C000900", "patient_name": "Sage Sample"})  # as row 1
    run_batch(write_rows(tmp_path / "cases.csv", rows), tmp_path / "out", options())
    expected, seen = [], set()
    for i, row in enumerate(rows):
        day = TODAY if i % 2 else dt.date(2026, 11, 24)
        case = parse_row({k: v for k, v in row.items() if v}, i + 2).case
        key = (case.plan, day, shared.engine_facts(case))
        if key not in seen:
            seen.add(key)
            expected.append((row["case_id"], day))
    assert calls == expected
    assert len(calls) < len(rows)


def test_the_batch_never_calls_the_engine_directly():
    import ast

    root = Path(__file__).resolve().parents[1] / "secondlook" / "batch"
    offenders = []
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith("coverage.engine") for n in names):
                offenders.append(path.name)
    assert offenders == []


def test_a_row_whose_file_cannot_be_written_is_an_error_and_a_rerun_makes_it(tmp_path, monkeypatch):
    from secondlook import files

    real = files.write_atomic

    def disk_full_for_one(path, data, **kw):  # noqa: ANN001, ANN003, ANN202
        if "C000003" in str(path):
            raise OSError(28, "No space left on device")
        return real(path, data, **kw)

    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(6)])
    out = tmp_path / "out"
    monkeypatch.setattr(files, "write_atomic", disk_full_for_one)
    summary = run_batch(source, out, options())
    manifest = read_manifest(out / "manifest.csv")
    assert (summary.ok, summary.errors) == (5, 1)
    assert manifest[3]["errors"] == (
        "row 5: this row could not be processed (OSError: No space left on device)"
    )
    monkeypatch.setattr(files, "write_atomic", real)
    again = run_batch(source, out, options())
    assert (again.ok, again.errors, again.files_written, again.reused) == (6, 0, 1, 5)


def test_a_new_letter_date_redoes_the_letters(tmp_path):
    # The date is printed on every letter: a re-run for another day must not reuse old ones.
    source = write_rows(tmp_path / "cases.csv", [good_row(i) for i in range(3)])
    out = tmp_path / "out"
    run_batch(source, out, options())
    later = run_batch(source, out, options(today=TODAY + dt.timedelta(days=100)))
    assert (later.files_written, later.reused) == (3, 0)


def test_a_row_with_the_plan_the_patient_reported_gets_its_letters(tmp_path):
    """No catalog plan: the reported_* columns are the plan (its appeals address in the
    letter); a row with neither is an error naming both ways."""
    reported = good_row(0) | {
        "case_id": "R1",
        "plan": "",
        "reported_plan_market": "employer_group",
        "reported_plan_name": "Gold PPO 1500",
        "reported_plan_type": "PPO",
        "reported_requests_to_name": "Utilization Management",
        "reported_requests_to_address_line1": "PO Box 4410",
        "reported_requests_to_city": "Kansas City",
        "reported_requests_to_state": "MO",
        "reported_requests_to_zip": "64141",
        "treatment_date": "2026-12-20",
    }
    neither = good_row(1) | {"case_id": "R2", "plan": ""}
    source = write_rows(tmp_path / "cases.csv", [reported, neither])
    out = tmp_path / "out"
    run_batch(source, out, options(letter="preauth_request", renderer=DEFAULT_RENDERER))
    first, second = read_manifest(out / "manifest.csv")
    assert first["status"] == "ok", first["errors"]
    text = "\n".join(p.text for p in docx.Document(out / first["files"]).paragraphs)
    assert "Utilization Management" in text and "PO Box 4410" in text
    assert "Gold PPO 1500" in text
    assert second["status"] == "error"
    assert "reported_plan_market" in second["errors"] and "column plan" in second["errors"]
