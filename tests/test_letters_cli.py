"""`secondlook letters list` and `secondlook letter`: files, errors, exit codes."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from docx import Document
from letters_support import case_path, plan_path, scenario

import letters
from secondlook.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_letters_list_shows_every_type_in_order():
    result = run("letters", "list")
    assert result.exit_code == 0
    positions = [result.output.index(name) for name in letters.LETTER_TYPES]
    assert positions == sorted(positions)
    assert "Letter of medical necessity" in result.output


def test_letter_writes_a_docx(tmp_path):
    out = tmp_path / "appeal.docx"
    result = run(
        "letter", "appeal",
        "--case", str(case_path("commercial-denied")),
        "--plan", str(plan_path("letters-mo-insured-ppo")),
        "--as-of", "2026-03-20",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    text = "\n".join(p.text for p in Document(io.BytesIO(out.read_bytes())).paragraphs)
    assert "RE: Request for an internal appeal" in text and "March 20, 2026" in text
    assert [p.name for p in tmp_path.iterdir()] == ["appeal.docx"]  # no temporary files left


def test_auto_writes_the_recommended_letters_into_a_folder(tmp_path):
    result = run(
        "letter", "auto",
        "--case", str(case_path("commercial-network-gap")),
        "--plan", str(plan_path("letters-mo-insured-ppo")),
        "--out", str(tmp_path / "letters"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    _, _, determination = scenario("commercial-network-gap")
    assert "network_exception_request" in determination.letters
    written = sorted(p.name for p in (tmp_path / "letters").iterdir())
    assert written == sorted(f"LT-001-{kind}.docx" for kind in determination.letters)


def test_a_bad_case_file_gives_file_line_field_messages_and_exit_2(tmp_path):
    bad = tmp_path / "case.yaml"
    bad.write_text("patient:\n  name: X\n  nmae: typo\ndiagnosis:\n  icd10: banana\n")
    out = tmp_path / "x.docx"
    result = run("letter", "appeal", "--case", str(bad), "--out", str(out))
    assert result.exit_code == 2
    assert f"{bad}:3: patient.nmae: unknown key" in result.output
    assert f"{bad}:5: diagnosis.icd10:" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_missing_fields_are_named_and_nothing_is_written(tmp_path):
    out = tmp_path / "x.docx"
    out.write_bytes(b"the previous letter")
    result = run(
        "letter", "appeal",
        "--case", str(case_path("commercial-network-gap")),
        "--plan", str(plan_path("letters-mo-insured-ppo")),
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "denial: the denial being appealed" in result.output
    assert "(needed for the appeal letter)" in result.output
    assert out.read_bytes() == b"the previous letter"  # untouched


def test_plan_fields_are_named_with_the_plan(tmp_path):
    result = run(
        "letter", "external_review_request",
        "--case", str(case_path("commercial-final")),
        "--plan", "generic-employer_group-mo-fully_insured",
        "--out", str(tmp_path / "x.docx"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "plan generic-employer_group-mo-fully_insured: external_review.contact:" in (
        result.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["letter", "nonsense"], "unknown letter type 'nonsense'"),
        (["letter", "appeal", "--as-of", "yesterday"], "not a date"),
        (["letter", "appeal", "--out", "x.pdf"], "use a .docx name"),
        (["letter", "auto", "--out", "x.docx"], "give a folder"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, message):
    full = args[:2] + ["--case", str(case_path("commercial-denied"))]
    full += ["--plan", str(plan_path("letters-mo-insured-ppo"))]
    rest = args[2:]
    if "--out" not in rest:
        rest += ["--out", str(tmp_path / "x.docx")]
    else:
        rest = [str(tmp_path / r) if r.startswith("x.") else r for r in rest]
    result = run(*full, *rest)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--pdf", "--pdfa"])
def test_letter_with_pdf_is_a_tagged_pdf_a(tmp_path, flag):
    out = tmp_path / "claim.docx"
    result = run(
        "letter", "claim_file_request",
        "--case", str(case_path("commercial-denied")),
        "--plan", str(plan_path("letters-mo-insured-ppo")),
        "--out", str(out), flag,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"pdfaid:part" in pdf and b"/StructTreeRoot" in pdf


def test_auto_skips_letters_that_do_not_apply_without_failing(tmp_path):
    text = (
        case_path("ma-denied-urgent").read_text().replace("level: initial", "level: final_internal")
    )
    # complete enough for the other recommended letters, so only the skip is tested
    text = text.replace(
        "  visit_type: telehealth\n", "  visit_type: telehealth\n  fax: (816) 555-0101\n"
    )
    text += "records_from:\n  - name: Example Hospital\n    fax: (816) 555-0102\n"
    case = tmp_path / "case.yaml"
    case.write_text(text)
    result = run(
        "letter", "auto",
        "--case", str(case),
        "--plan", str(plan_path("letters-ma-hmo")),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    # The engine and the letters share coverage.appeals.next_appeal_step, so after an MA
    # reconsideration nothing is recommended that the letters would refuse (the plan forwards
    # the case to the Independent Review Entity itself).
    assert "external_review_request" not in " ".join(p.name for p in (tmp_path / "out").iterdir())
    assert "skipped" not in result.output
    assert result.exit_code == 0, result.output
    with pytest.raises(letters.NotApplicableError, match="Independent Review Entity"):
        from secondlook import service

        c = service.load_case(case)
        plan = service.load_plan_argument(str(plan_path("letters-ma-hmo")))
        letters.build_context("external_review_request", c, plan, service.check(c, plan))


NINA_YAML = """\
name: Nina Navigator
role: Patient navigator
organisation: Riverside Cancer Center
address_lines:
  - 500 River Rd
  - Kirkwood, MO 63122
phone: (314) 555-0100
email: nina@riverside.example
"""


def _docx_lines(path) -> list[str]:  # noqa: ANN001
    return [p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs if p.text]


def test_auto_as_the_representative_signs_every_letter_but_the_physicians(tmp_path):
    rep = tmp_path / "nina.yaml"
    rep.write_text(NINA_YAML)
    result = run(
        "letter", "auto",
        "--case", str(case_path("commercial-network-gap")),
        "--plan", str(plan_path("letters-mo-insured-ppo")),
        "--out", str(tmp_path / "letters"),
        "--representative", str(rep),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = {p.stem.removeprefix("LT-001-"): p for p in (tmp_path / "letters").iterdir()}
    assert {"network_exception_request", "physician_letter"} <= set(written)
    for kind, path in written.items():
        lines = _docx_lines(path)
        if kind == "physician_letter":
            assert lines[0] != "Nina Navigator" and "authorized representative" not in lines
        else:
            assert lines[0] == "Nina Navigator"
            assert "Authorized representative of Maria Example" in lines


@pytest.mark.parametrize(
    ("content", "letter_type", "message"),
    [
        ("name: Nina\nnickname: x\nphone: '1'\n", "appeal", "nina.yaml:2: nickname: unknown key"),
        ("name: ''\nphone: '1'\n", "appeal", "nina.yaml:1: name:"),
        ("name: Nina\n", "appeal", "give the representative's address, phone or e-mail"),
        ("- a list\n", "appeal", "expected a mapping"),
        (None, "appeal", "nina.yaml: (file): No such file"),
        (NINA_YAML, "physician_letter", "not for the physician's letter"),
    ],
)
def test_a_bad_representative_file_exits_2_naming_file_line_and_field(
    tmp_path, content, letter_type, message
):
    rep = tmp_path / "nina.yaml"
    if content is not None:
        rep.write_text(content)
    out = tmp_path / "letter.docx"
    result = run(
        "letter", letter_type,
        "--case", str(case_path("commercial-denied")),
        "--plan", str(plan_path("letters-mo-insured-ppo")),
        "--out", str(out),
        "--representative", str(rep),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_authorization_form_for_the_patient_to_sign(tmp_path):
    rep = tmp_path / "nina.yaml"
    rep.write_text(NINA_YAML)
    out = tmp_path / "authorization.docx"
    args = ["authorization-form", "--case", str(case_path("commercial-denied")),
            "--plan", str(plan_path("letters-mo-insured-ppo")), "--representative", str(rep)]  # fmt: skip
    result = run(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = _docx_lines(out)
    assert lines[0] == "Authorization of representative"
    assert "I, Maria Example, authorize the representative named above" in " ".join(lines)
    bad = run(*args, "--out", str(tmp_path / "form.pdf"))
    assert bad.exit_code == 2 and "use a .docx name" in bad.output
    rep.write_text("name: Nina\n")
    bad = run(*args, "--out", str(tmp_path / "again.docx"))
    assert bad.exit_code == 2 and "address, phone or e-mail" in bad.output
    assert not (tmp_path / "again.docx").exists()
