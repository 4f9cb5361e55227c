"""Checks a FHIR bundle the way a receiving system would: the FHIR R4B models of `fhir.resources`
(structure, cardinality, data types), that every reference resolves inside the bundle, FHIR's
ext-1 rule, the Da Vinci CRD STU 2.2.1 value sets of the coverage-information extension and its
invariants crd-ci-q1..q8 (see docs/fhir.md).

The value sets are copied from the published guide (CRD 2.2.1 CodeSystem coverage-information-
codes and HL7 terminology's crd-coverage-detail); a code outside them fails the test.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fhir.resources.R4B.bundle import Bundle

CRD_EXTENSION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
COVERED = {"covered", "not-covered", "conditional", "indeterminate"}
PA_NEEDED = {"no-auth", "auth-needed", "satisfied", "performpa", "conditional", "indeterminate"}
DOC_NEEDED = {"clinical", "admin", "patient", "conditional", "indeterminate"}
DOC_PURPOSE = {"withpa", "withclaim", "withorder", "retain-doc", "OTH"}
INFO_NEEDED = {"performer", "location", "timeframe", "contract-window", "detail-code", "OTH"}
DETAIL_CATEGORY = {"cat-limitation", "cat-decisional", "cat-other"}
DETAIL_CODES = {
    "allowed-quantity",
    "allowed-period",
    "in-network-copay",
    "out-network-copay",
    "concurrent-review",
    "appropriate-use-needed",
    "policy-link",
    "instructions",
}
PARTS = {  # sub-extension -> (min, max)
    "coverage": (1, 1),
    "covered": (1, 1),
    "pa-needed": (0, 1),
    "doc-needed": (0, None),
    "doc-purpose": (0, None),
    "info-needed": (0, None),
    "billingCode": (0, None),
    "reason": (0, None),
    "detail": (0, None),
    "dependency": (0, None),
    "questionnaire": (0, None),
    "date": (1, 1),
    "coverage-assertion-id": (1, 1),
    "satisfied-pa-id": (0, 1),
    "contact": (0, None),
    "expiry-date": (0, 1),
}


def walk(node: Any):
    """Every dict in a JSON tree."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def validate_bundle(bundle: dict) -> None:
    """Raises AssertionError (or pydantic's ValidationError) when the bundle is not valid."""
    Bundle.model_validate(bundle)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls)), "duplicate fullUrl"
    for node in walk(bundle):
        if "url" in node and ("extension" in node or any(k.startswith("value") for k in node)):
            has_value = any(k.startswith("value") for k in node)
            assert has_value != ("extension" in node), f"ext-1: {node['url']}"
        ref = node.get("reference")
        if isinstance(ref, str):
            assert ref in urls, f"unresolved reference {ref}"
    for request in resources(bundle, "ServiceRequest"):
        infos = [x for x in request.get("extension", []) if x["url"] == CRD_EXTENSION]
        assert len(infos) == 1
        check_coverage_information(infos[0], bundle)


def parts(info: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for part in info["extension"]:
        found.setdefault(part["url"], []).append(part)
    return found


def codes(found: dict[str, list[dict]], name: str) -> list[str]:
    return [p["valueCode"] for p in found.get(name, [])]


def check_coverage_information(info: dict, bundle: dict) -> None:
    found = parts(info)
    assert set(found) <= set(PARTS), set(found) - set(PARTS)
    for name, (low, high) in PARTS.items():
        count = len(found.get(name, []))
        assert count >= low and (high is None or count <= high), f"{name}: {count}"
    coverage_ref = found["coverage"][0]["valueReference"]["reference"]
    coverage = [e for e in bundle["entry"] if e["fullUrl"] == coverage_ref]
    assert coverage and coverage[0]["resource"]["resourceType"] == "Coverage"
    covered, pa = codes(found, "covered"), codes(found, "pa-needed")
    doc, purpose, info_needed = (
        codes(found, "doc-needed"),
        codes(found, "doc-purpose"),
        codes(found, "info-needed"),
    )
    assert set(covered) <= COVERED and set(pa) <= PA_NEEDED and set(doc) <= DOC_NEEDED
    assert set(purpose) <= DOC_PURPOSE and set(info_needed) <= INFO_NEEDED
    for name in ("doc-needed", "doc-purpose", "info-needed"):
        values = codes(found, name)
        assert len(values) == len(set(values)), f"{name} repeats a code"
    reasons = found.get("reason", [])
    # crd-ci-q1: no questionnaire without doc-needed
    assert not found.get("questionnaire") or doc
    # crd-ci-q2: not-covered -> no pa-needed
    assert not (covered == ["not-covered"] and pa), "crd-ci-q2"
    # crd-ci-q3: info-needed exactly when covered, pa-needed or doc-needed is conditional
    conditional = "conditional" in covered + pa + doc
    assert bool(info_needed) == conditional, "crd-ci-q3"
    # crd-ci-q4: pa-needed satisfied / no-auth -> no doc-purpose withpa
    assert not (set(pa) & {"satisfied", "no-auth"} and "withpa" in purpose), "crd-ci-q4"
    # crd-ci-q5: satisfied-pa-id exactly when pa-needed is satisfied
    assert bool(found.get("satisfied-pa-id")) == (pa == ["satisfied"]), "crd-ci-q5"
    # crd-ci-q6: info-needed OTH -> a reason
    assert "OTH" not in info_needed or reasons, "crd-ci-q6"
    # crd-ci-q7: every reason without a code from the value set has text
    assert all(r["valueCodeableConcept"].get("text") for r in reasons), "crd-ci-q7"
    # crd-ci-q8: doc-purpose (other than conditional) -> a reason
    assert not [p for p in purpose if p != "conditional"] or reasons, "crd-ci-q8"
    for detail in found.get("detail", []):
        check_detail(detail)


def check_detail(detail: dict) -> None:
    inner = Counter(p["url"] for p in detail["extension"])
    assert inner["category"] == 1 and inner["code"] == 1 and inner["value"] == 1, inner
    assert inner["qualification"] <= 1 and set(inner) <= {
        "category",
        "code",
        "value",
        "qualification",
    }
    by_url = {p["url"]: p for p in detail["extension"]}
    assert by_url["category"]["valueCode"] in DETAIL_CATEGORY
    coding = by_url["code"]["valueCodeableConcept"]["coding"][0]
    assert coding["system"] == "http://terminology.hl7.org/CodeSystem/crd-coverage-detail"
    assert coding["code"] in DETAIL_CODES
    value_types = {k for k in by_url["value"] if k.startswith("value")}
    assert value_types <= {
        "valueBoolean",
        "valueString",
        "valueUrl",
        "valueQuantity",
        "valuePeriod",
    }
    if coding["code"] == "policy-link":
        assert value_types == {"valueUrl"}
