"""FHIR output (secondlook/fhir.py): every engine case row and every example case gives bundles
that parse with the FHIR models and keep Da Vinci CRD's rules; the mapping says what the answer
says; the example in docs/fhir.md is current."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fhir_support import (
    CRD_EXTENSION,
    codes,
    parts,
    resources,
    validate_bundle,
)
from test_engine_cases import LAW, TABLE, build_plan

from coverage.case import Case
from coverage.engine import evaluate
from secondlook import fhir, service

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
DOC = ROOT / "docs" / "fhir.md"
FAKE_PDF = b"%PDF-1.7\n% a stand-in for the letter\n%%EOF\n"


def row_inputs(row: dict):
    plan = build_plan(row["plan"])
    case = Case.model_validate(row["case"])
    return evaluate(plan, case, row["as_of"], LAW), case, plan


def example_inputs(path: Path):
    case = service.load_case(path)
    return service.check(case), case, service.resolve_plan(case.plan)


def coverage_info(bundle: dict) -> dict[str, list[dict]]:
    (request,) = resources(bundle, "ServiceRequest")
    return parts(next(x for x in request["extension"] if x["url"] == CRD_EXTENSION))


def details(found: dict, code: str) -> list[dict]:
    out = []
    for detail in found.get("detail", []):
        by_url = {p["url"]: p for p in detail["extension"]}
        if by_url["code"]["valueCodeableConcept"]["coding"][0]["code"] == code:
            out.append(by_url)
    return out


def assert_says_what_the_answer_says(bundle: dict, d) -> None:  # noqa: ANN001
    found = coverage_info(bundle)
    assert codes(found, "covered") == [d.covered]
    expected_pa = [] if d.pa_needed is None or d.covered == "not-covered" else [d.pa_needed]
    assert codes(found, "pa-needed") == expected_pa
    assert set(codes(found, "doc-needed")) == {x.kind for x in d.doc_needed}
    assert found["date"][0]["valueDate"] == d.as_of.isoformat()
    assert found["reason"][0]["valueCodeableConcept"]["text"] == d.headline
    questions = {x["value"]["valueString"] for x in details(found, "instructions")}
    assert {i.question for i in d.info_needed} <= questions, "every question is carried"
    cited = " ".join(r["valueCodeableConcept"]["text"] for r in found["reason"])
    for entry in d.trace:
        if entry.status == "applied":
            assert entry.citation in cited


@pytest.mark.parametrize("row", TABLE, ids=[row["name"] for row in TABLE])
def test_engine_case_bundle_is_valid_crd(row):
    d, case, plan = row_inputs(row)
    bundle = fhir.coverage_bundle(d, case, plan, law=LAW)
    validate_bundle(bundle)
    assert_says_what_the_answer_says(bundle, d)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_case_bundles_are_valid(path):
    d, case, plan = example_inputs(path)
    bundle = fhir.coverage_bundle(d, case, plan, law=service.lawbook())
    validate_bundle(bundle)
    assert_says_what_the_answer_says(bundle, d)
    (patient,) = resources(bundle, "Patient")
    dob = case.patient.date_of_birth
    assert patient["name"][0]["text"] == case.patient.name
    assert patient.get("birthDate") == (dob.isoformat() if dob else None)
    (coverage,) = resources(bundle, "Coverage")
    assert coverage.get("subscriberId") == case.patient.member_id
    (payer,) = [o for o in resources(bundle, "Organization") if o.get("type")]
    assert payer["name"] == plan.issuer
    assert coverage["payor"][0]["reference"] in {e["fullUrl"] for e in bundle["entry"]}

    pas = fhir.preauth_bundle(d, case, plan, letter_pdf=FAKE_PDF, law=service.lawbook())
    validate_bundle(pas)
    claim = pas["entry"][0]["resource"]
    assert claim["resourceType"] == "Claim" and claim["use"] == "preauthorization"
    assert claim["item"][0]["productOrService"] == fhir.CONSULTATION
    by_url = {e["fullUrl"]: e["resource"] for e in pas["entry"]}
    letter = by_url[claim["supportingInfo"][0]["valueReference"]["reference"]]
    attachment = letter["content"][0]["attachment"]
    assert base64.b64decode(attachment["data"]) == FAKE_PDF
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(FAKE_PDF).digest()
    requested = claim["item"][0]["extension"][0]["valueReference"]["reference"]
    assert by_url[requested]["resourceType"] == "ServiceRequest"
    assert by_url[claim["insurer"]["reference"]]["name"] == plan.issuer


def _row(name_start: str) -> dict:
    return next(row for row in TABLE if row["name"].startswith(name_start))


def test_info_needed_codes():
    d, case, plan = row_inputs(_row("Doctor's network status unknown"))
    found = coverage_info(fhir.coverage_bundle(d, case, plan, law=LAW))
    assert codes(found, "covered") == ["conditional"] and codes(found, "info-needed") == [
        "performer"
    ]
    d, case, plan = row_inputs(_row("Telehealth second opinion"))
    assert codes(coverage_info(fhir.coverage_bundle(d, case, plan)), "info-needed") == ["location"]
    d, case, plan = row_inputs(_row("Funding not known"))
    assert codes(coverage_info(fhir.coverage_bundle(d, case, plan)), "info-needed") == ["OTH"]
    # A date outside the plan's terms: CRD's contract-window.
    row = _row("Missouri fully insured, newly diagnosed, in network")
    plan = build_plan(row["plan"])
    case = Case.model_validate(row["case"])
    late = plan.effective.end.replace(year=plan.effective.end.year + 1)
    d = evaluate(plan, case, late, LAW)
    found = coverage_info(fhir.coverage_bundle(d, case, plan))
    assert "contract-window" in codes(found, "info-needed")


def test_indeterminate_carries_its_questions_without_info_needed():
    """CRD allows info-needed only with 'conditional': an indeterminate answer keeps its
    questions as instructions details."""
    d, case, plan = row_inputs(_row("Plan documents silent"))
    assert d.covered == "indeterminate" and d.info_needed and d.pa_needed == "no-auth"
    bundle = fhir.coverage_bundle(d, case, plan)
    validate_bundle(bundle)
    found = coverage_info(bundle)
    assert codes(found, "covered") == ["indeterminate"] and not found.get("info-needed")
    limits = [x for x in details(found, "instructions") if x["category"]["valueCode"]]
    assert d.info_needed[0].question in {x["value"]["valueString"] for x in limits}


def test_cost_details():
    d, case, plan = example_inputs(ROOT / "examples/cases/mo-newly-diagnosed-network-gap.yaml")
    found = coverage_info(fhir.coverage_bundle(d, case, plan))
    (copay,) = details(found, "out-network-copay")  # out of network, at in-network cost
    assert copay["value"]["valueString"] == f"{d.cost_sharing.copay} copay per visit"
    assert copay["qualification"]["valueString"] == d.cost_sharing.summary
    assert not details(found, "in-network-copay")

    d, case, plan = example_inputs(ROOT / "examples/cases/medicare-surgery-recommended.yaml")
    found = coverage_info(fhir.coverage_bundle(d, case, plan))
    (coins,) = details(found, "in-network-copay")
    assert coins["value"]["valueQuantity"] == {
        "value": 20,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert coins["category"]["valueCode"] == "cat-decisional"

    d, case, plan = row_inputs(_row("Doctor's network status unknown"))
    assert d.cost_sharing.tier == "unknown"
    found = coverage_info(fhir.coverage_bundle(d, case, plan))
    assert details(found, "in-network-copay") and details(found, "out-network-copay")


def test_citations_are_reasons_and_policy_links():
    d, case, plan = example_inputs(ROOT / "examples/cases/mo-newly-diagnosed-network-gap.yaml")
    found = coverage_info(fhir.coverage_bundle(d, case, plan, law=service.lawbook()))
    links = {
        x["value"]["valueUrl"]: x["qualification"]["valueString"]
        for x in details(found, "policy-link")
    }
    mandate = next(r for r in service.lawbook().rules if r.id == "mo-rsmo-376-1253")
    assert links[str(mandate.reference[0].href)] == mandate.reference[0].title
    # Without the law book the answer still cites the rules, as reasons (no links to law).
    found = coverage_info(fhir.coverage_bundle(d, case, plan))
    assert str(mandate.reference[0].href) not in {
        x["value"]["valueUrl"] for x in details(found, "policy-link")
    }
    assert any(mandate.citation in r["valueCodeableConcept"]["text"] for r in found["reason"])


def test_unverified_rules_are_not_cited_as_law():
    for row in TABLE:
        d, case, plan = row_inputs(row)
        unverified = [t for t in d.trace if not t.verified and t.status in ("applied", "depends")]
        if not unverified:
            continue
        texts = [r["valueCodeableConcept"]["text"] for r in coverage_info(
            fhir.coverage_bundle(d, case, plan))["reason"]]  # fmt: skip
        entry = unverified[0]
        said = next(t for t in texts if t.startswith(entry.title))
        assert "not verified law" in said
        return
    pytest.fail("no engine case applies an unverified rule: add one to tests/cases/engine.yaml")


def test_the_checker_catches_broken_bundles():
    """The validator the other tests rely on fails on each kind of mistake."""
    d, case, plan = row_inputs(_row("Same plan but self-funded"))  # not covered
    good = fhir.coverage_bundle(d, case, plan)
    validate_bundle(good)

    def broken(change) -> dict:  # noqa: ANN001
        bundle = copy.deepcopy(good)
        (request,) = resources(bundle, "ServiceRequest")
        change(request["extension"][0]["extension"], bundle)
        return bundle

    mistakes = {
        "pa-needed on not-covered": lambda ext, b: ext.append(
            {"url": "pa-needed", "valueCode": "no-auth"}
        ),
        "info-needed without conditional": lambda ext, b: ext.append(
            {"url": "info-needed", "valueCode": "performer"}
        ),
        "code outside the value set": lambda ext, b: ext.__setitem__(
            1, {"url": "covered", "valueCode": "maybe"}
        ),
        "two dates": lambda ext, b: ext.append({"url": "date", "valueDate": "2026-01-01"}),
        "dangling reference": lambda ext, b: ext.__setitem__(
            0, {"url": "coverage", "valueReference": {"reference": "urn:uuid:nowhere"}}
        ),
        "bad FHIR date": lambda ext, b: b["entry"][0]["resource"].__setitem__(
            "birthDate", "1971-13-40"
        ),
    }
    for name, change in mistakes.items():
        with pytest.raises((AssertionError, ValueError)):
            validate_bundle(broken(change))
            pytest.fail(name)


def test_satisfied_without_an_authorisation_number_is_refused():
    d, case, plan = row_inputs(_row("Missouri fully insured, newly diagnosed, in network"))
    with pytest.raises(fhir.FhirDataError, match="prior authorization number"):
        fhir.coverage_bundle(d.model_copy(update={"pa_needed": "satisfied"}), case, plan)


def test_claim_needs_a_provider_and_says_which_fields():
    d, case, plan = example_inputs(ROOT / "examples/cases/mo-newly-diagnosed-network-gap.yaml")
    nobody = case.model_copy(
        update={
            "provider": case.provider.model_copy(
                update={"name": None, "institution": None, "npi": None}
            )
        }  # fmt: skip
    )
    with pytest.raises(fhir.FhirDataError) as err:
        fhir.preauth_bundle(d, nobody, plan, letter_pdf=FAKE_PDF)
    assert err.value.fields == ("provider.name", "provider.institution")
    assert case.patient.name not in str(err.value)


def test_same_answer_same_bundle():
    d, case, plan = example_inputs(EXAMPLES[0])
    assert fhir.coverage_bundle(d, case, plan) == fhir.coverage_bundle(d, case, plan)
    other = d.model_copy(update={"headline": d.headline + " (changed)"})
    assert fhir.assertion_id(other) != fhir.assertion_id(d)


def test_doc_example_is_current():
    """docs/fhir.md shows the bundle `secondlook check --format fhir` prints for the example
    case; after a change, run `.venv/bin/python scripts/fhir_doc_example.py`."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fhir_doc_example.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = DOC.read_text()
    block = text.split("```json\n", 1)[1].split("\n```", 1)[0]
    validate_bundle(json.loads(block))
