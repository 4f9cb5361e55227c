"""The template a navigator starts from must work as it is: its example row makes letters."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from secondlook.cli import cli


def test_template_example_row_makes_its_letters(tmp_path):
    template = tmp_path / "cases.csv"
    runner = CliRunner()
    assert runner.invoke(cli, ["batch-template", str(template)]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(cli, ["batch", str(template), "--letter", "auto", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "manifest.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and rows[0]["status"] == "ok", rows
    assert "records_request" in rows[0]["letters"]
    for name in rows[0]["files"].split("; "):
        assert (out / name).stat().st_size > 0
