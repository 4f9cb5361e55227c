"""`secondlook plans ...` and `secondlook check`, run as a user would (through click)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from secondlook import schemas
from secondlook.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
GOOD_PLAN = ROOT / "data" / "plans" / "mo-ppo-gateway-employer-insured.yaml"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plans_list_shows_every_shipped_plan():
    result = run("plans", "list", "--format", "json")
    assert result.exit_code == 0
    ids = {row["id"] for row in json.loads(result.output)}
    shipped = {p.stem for p in (ROOT / "data" / "plans").glob("*.yaml")}
    assert ids == shipped and len(ids) >= 10


def test_plans_list_filters_by_state():
    result = run("plans", "list", "--state", "mo")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines and all(" MO " in line for line in lines)


def test_validate_passes_on_shipped_data():
    result = run("plans", "validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")


BREAKAGES = {
    "wrong type": ("plan_year: 2026", "plan_year: soon", "plan_year"),
    "unknown key": (
        "plan_year: 2026",
        "plan_year: 2026\nplan_yaer: 2026",
        "plan_yaer: unknown key",
    ),
    "missing citation": (
        '    source:\n      document: Gateway Example Health PPO Certificate of Coverage 2026 (fictional)\n      section: Section 5.4 "Second medical opinions", p. 22\n    last_verified: 2026-11-24\n    covered: "yes"\n  in_network:',
        '    last_verified: 2026-11-24\n    covered: "yes"\n  in_network:',
        "second_opinion.coverage.source: required field is missing",
    ),
    "bad date range": ("  end: 2026-12-31", "  end: 2025-12-31", "effective"),
    "duplicate key": ("plan_year: 2026", "plan_year: 2026\nplan_year: 2027", "duplicate key"),
}


@pytest.mark.parametrize("kind", BREAKAGES)
def test_validate_names_file_line_and_field(tmp_path, kind):
    old, new, expected = BREAKAGES[kind]
    text = GOOD_PLAN.read_text()
    if kind == "bad date range":
        text = text.replace(
            "effective:\n  start: 2026-01-01\n  end: 2026-12-31",
            "effective:\n  start: 2026-01-01\n  end: 2025-12-31",
        )
    else:
        assert old in text, kind
        text = text.replace(old, new, 1)
    broken = tmp_path / GOOD_PLAN.name
    broken.write_text(text)
    result = run("plans", "validate", str(broken))
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[0]
    assert line.startswith(f"{broken}:"), line
    assert line.split(":")[1].isdigit(), line  # a line number
    assert expected in line, line


def test_validate_checks_id_matches_file_name(tmp_path):
    target = tmp_path / "renamed.yaml"
    shutil.copy(GOOD_PLAN, target)
    result = run("plans", "validate", str(target))
    assert result.exit_code == 1
    assert f"{target}:1: id: " in result.output


@pytest.mark.parametrize("kind", sorted(schemas.SCHEMAS))
def test_committed_schemas_are_current(kind):
    committed = schemas.schema_path(kind).read_text()
    assert committed == schemas.schema_json(kind), (
        f"data/schema/{kind}.schema.json is stale: run `secondlook plans schema --write`"
    )


@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_check_json_on_every_example(case):
    result = run("check", "--case", str(case), "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for key in (
        "covered",
        "headline",
        "pa_needed",
        "referral_needed",
        "network",
        "cost_sharing",
        "doc_needed",
        "info_needed",
        "next_steps",
        "letters",
        "deadlines",
        "trace",
        "governing_law",
        "disclaimer",
    ):
        assert key in out
    assert out["trace"] and all(t["citation"] and "last_verified" in t for t in out["trace"])


def test_check_text_is_readable():
    result = run("check", "--case", str(EXAMPLES[0]))
    assert result.exit_code == 0
    assert "Rules applied:" in result.output and "Next steps:" in result.output


def test_bad_case_file_gives_file_line_errors_and_exit_2(tmp_path):
    bad = tmp_path / "case.yaml"
    bad.write_text(
        "plan: mo-ppo-gateway-employer-insured\n"
        "patient:\n  name: Zelda Testpatient\n  date_of_birth: Zelda Testpatient\n"
        "provider:\n  in_network: maybe\n"
    )
    result = CliRunner().invoke(cli, ["check", "--case", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{bad}:4: patient.date_of_birth:" in result.output
    assert f"{bad}:6: provider.in_network:" in result.output
    assert "Zelda" not in result.output


def test_unknown_plan_and_bad_date_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--case", str(EXAMPLES[0]), "--plan", "nope"])
    assert result.exit_code == 2 and "no plan with id 'nope'" in result.output
    result = CliRunner().invoke(cli, ["check", "--case", str(EXAMPLES[0]), "--as-of", "03/01/2026"])
    assert result.exit_code == 2 and "--as-of" in result.output


def test_missing_case_file_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--case", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "none.yaml" in result.output


def test_check_accepts_a_plan_file_path():
    plan = ROOT / "tests" / "fixtures" / "plans" / "base-mo-ppo.yaml"
    result = run("check", "--case", str(EXAMPLES[0]), "--plan", str(plan), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["plan_id"] == "base-mo-ppo"
