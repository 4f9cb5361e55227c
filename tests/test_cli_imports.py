"""`secondlook check` imports only what it uses; --help still lists every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from secondlook.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "cases" / "ca-hmo-third-opinion-unknowns.yaml"
NOT_FOR_A_CHECK = (
    "secondlook.batch",
    "secondlook.cli_batch",
    "secondlook.cli_letters",
    "letters",
    "docx",
    "docxtpl",
    "jinja2",
    "openpyxl",
    "dask",
    "sqlalchemy",
    "streamlit",
)


def test_check_imports_no_batch_letters_or_word(tmp_path):
    script = (
        "import json, sys\n"
        "from secondlook.cli import cli\n"
        f"cli.main(['check', '--case', {str(CASE)!r}], standalone_mode=False)\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"SECONDLOOK_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip()  # the answer was printed
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    loaded = [m for m in modules for n in NOT_FOR_A_CHECK if m == n or m.startswith(n + ".")]
    assert loaded == []


def test_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line}
    assert set(COMMANDS) | {"check", "plans"} <= listed


def test_a_lazy_command_runs():
    result = CliRunner().invoke(cli, ["letters", "--help"])
    assert result.exit_code == 0 and "letter" in result.output
