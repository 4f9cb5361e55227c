"""`secondlook check --format fhir` and `secondlook letter preauth_request --format fhir`, run as
a user would; bad input keeps the `file:line: field: message` lines and exit code 2."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir_support import resources, validate_bundle

from secondlook.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
GAP = ROOT / "examples" / "cases" / "mo-newly-diagnosed-network-gap.yaml"
SECRET = "Zebulon Quillfeather"  # a name that must never show up in an error


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_check_prints_a_valid_bundle(path):
    result = run("check", "--case", str(path), "--format", "fhir")
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    validate_bundle(bundle)
    as_json = json.loads(run("check", "--case", str(path), "--format", "json").output)
    (request,) = resources(bundle, "ServiceRequest")
    covered = [x for x in request["extension"][0]["extension"] if x["url"] == "covered"]
    assert covered[0]["valueCode"] == as_json["covered"]


def _case_with(tmp_path: Path, old: str, new: str) -> Path:
    text = GAP.read_text().replace("Maria Example", SECRET)
    assert old in text
    path = tmp_path / "case.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_bad_case_file_is_exit_2_with_file_line_field(tmp_path):
    path = _case_with(tmp_path, "date_of_birth: 1971-04-12", "date_of_birth: 1971-13-45")
    result = CliRunner().invoke(cli, ["check", "--case", str(path), "--format", "fhir"])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "patient.date_of_birth" in result.output
    assert "Traceback" not in result.output and SECRET not in result.output
    assert "{" not in result.output  # no partial bundle


def test_unknown_plan_is_exit_2(tmp_path):
    path = _case_with(tmp_path, "plan: mo-ppo-gateway-employer-insured", "plan: no-such-plan")
    result = CliRunner().invoke(cli, ["check", "--case", str(path), "--format", "fhir"])
    assert result.exit_code == 2
    assert "no plan with id 'no-such-plan'" in result.output
    assert "Traceback" not in result.output and SECRET not in result.output


def test_letter_fhir_is_for_the_preauth_request_only(tmp_path):
    out = tmp_path / "x.json"
    result = CliRunner().invoke(
        cli, ["letter", "appeal", "--case", str(GAP), "--format", "fhir", "--out", str(out)]
    )
    assert result.exit_code == 2 and "use TYPE preauth_request" in result.output
    result = CliRunner().invoke(
        cli,
        ["letter", "preauth_request", "--case", str(GAP), "--format", "fhir", "--out",
         str(tmp_path / "x.docx")],
    )  # fmt: skip
    assert result.exit_code == 2 and "use a .json name" in result.output
    assert not list(tmp_path.iterdir())


def test_letter_fhir_with_missing_letter_data_names_the_field(tmp_path):
    path = _case_with(tmp_path, "  member_id: GXH123456789\n", "")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli, ["letter", "preauth_request", "--case", str(path), "--format", "fhir", "--out",
              str(out)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "member_id" in result.output and SECRET not in result.output
    assert not out.exists()


@pytest.mark.slow
def test_preauth_bundle_carries_the_letter_pdf(tmp_path):
    out = tmp_path / "preauth.json"
    result = run("letter", "preauth_request", "--case", str(GAP), "--format", "fhir",
                 "--out", str(out), "--as-of", "2026-03-02")  # fmt: skip
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    validate_bundle(bundle)
    claim = bundle["entry"][0]["resource"]
    assert claim["resourceType"] == "Claim" and claim["use"] == "preauthorization"
    (document,) = resources(bundle, "DocumentReference")
    attachment = document["content"][0]["attachment"]
    pdf = base64.b64decode(attachment["data"])
    assert pdf.startswith(b"%PDF-") and attachment["size"] == len(pdf)
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(pdf).digest()
    (tmp_path / "letter.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "letter.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Maria Example" in text and "GXH123456789" in text
    assert "authorization" in text.lower()
