"""Batch with --pdf: each letter also as a PDF (LibreOffice), listed and hashed in the manifest."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from batch_support import good_row, write_rows

from secondlook.batch import BatchOptions, read_manifest, run_batch

pytestmark = pytest.mark.slow  # LibreOffice (scripts/setup.sh installs it; missing = failure)


def test_pdf_letters_are_made_listed_and_hashed(tmp_path):
    rows = [good_row(i) for i in range(3)]
    rows[1]["patient_dob"] = "not a date"  # an error row gets neither .docx nor .pdf
    source = write_rows(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    options = BatchOptions(letter="records_request", pdf=True, today=dt.date(2026, 11, 24))
    summary = run_batch(source, out, options)
    assert (summary.ok, summary.errors, summary.files_written) == (2, 1, 4)
    manifest = read_manifest(out / "manifest.csv")
    for row in (manifest[0], manifest[2]):
        files = row["files"].split("; ")
        assert files == [
            f"letters/{row['case_id']}__records_request.docx",
            f"letters/{row['case_id']}__records_request.pdf",
        ]
        for name, digest in zip(files, row["sha256"].split("; "), strict=True):
            data = (out / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest
        assert (out / files[1]).read_bytes().startswith(b"%PDF")
    assert sorted(p.suffix for p in (out / "letters").iterdir()) == [".docx"] * 2 + [".pdf"] * 2

    again = run_batch(source, out, options)  # PDFs count as made: nothing is redone
    assert (again.reused, again.files_written) == (2, 0)
