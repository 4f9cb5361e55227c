"""The coverage answer and the pre-authorisation request as HL7 FHIR R4 JSON (plain dicts).

* `coverage_bundle`: a `collection` Bundle with the Patient, the payer Organization, the
  Coverage and a ServiceRequest for the second-opinion consultation. The ServiceRequest carries
  Da Vinci CRD's `coverage-information` extension (CRD STU 2.2.1): covered, pa-needed,
  doc-needed with doc-purpose, info-needed, the reason, cost and instruction details, the rule
  citations (reasons, and policy links where a rule or plan term has a URL), the date and a
  trace id.
* `preauth_bundle`: the same resources plus a PAS-style Claim (`use = preauthorization`) with the
  consultation as its item and the pre-authorisation letter (PDF) as a DocumentReference.

docs/fhir.md says which elements conform to CRD and PAS and which do not. The bundles hold
member data by design (they are the export); nothing here logs, and errors name fields only.
Every identifier is derived from the content (a hash), so the same answer gives the same bundle.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from coverage import markets
from coverage.base import Contact
from coverage.case import Case
from coverage.determination import Determination
from coverage.law import LawBook
from coverage.plan import Plan, TierCostSharing

CRD_VERSION = "2.2.1"
COVERAGE_INFORMATION = (
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
)
PAS_REQUESTED_SERVICE = (
    "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-requestedService"
)
PAS_CODES = "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes"
CRD_CODES = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/coverage-information-codes"
DETAIL_CODES = "http://terminology.hl7.org/CodeSystem/crd-coverage-detail"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
FHIR_JSON = "application/fhir+json"

# SNOMED CT 11429006 |Consultation (procedure)|. SNOMED has no concept for "second opinion" that
# we could confirm, so the coding is the general consultation and the text says what it is.
CONSULTATION = {
    "coding": [{"system": SNOMED, "code": "11429006", "display": "Consultation"}],
    "text": "Second opinion consultation with an oncologist",
}
# HL7 v2 table 0336 (referral reason): S = Second Opinion.
SECOND_OPINION_REASON = {
    "system": "http://terminology.hl7.org/CodeSystem/v2-0336",
    "code": "S",
    "display": "Second Opinion",
}

# Case fields whose answer CRD names with its own info-needed code; anything else is OTH.
_INFO_CODES = {
    "provider.visit_type": "location",
    "plan.effective": "contract-window",
}
_SHAPING = ("applied", "depends", "overridden")  # trace entries that shaped the answer


class FhirDataError(ValueError):
    """The case lacks what a FHIR resource requires. `fields` are case field paths, and the
    message never repeats member data."""

    def __init__(self, message: str, fields: Sequence[str]) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


# ---------------------------------------------------------------------------------------------
# Small builders


def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty elements: drop None, '' and empty lists/dicts."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _ext(url: str, **value: Any) -> dict[str, Any]:
    return {"url": url, **value}


def _telecom(phone: str | None = None, fax: str | None = None, email: str | None = None) -> list:
    found = [("phone", phone), ("fax", fax), ("email", email)]
    return [{"system": system, "value": v.strip()} for system, v in found if _text(v)]


def _address(lines: Sequence[str], state: str | None = None) -> list[dict[str, Any]]:
    lines = [line.strip() for line in lines if line and line.strip()]
    if not lines and not state:
        return []
    return [_without_empty({"line": lines, "state": state, "country": "US" if state else None})]


def _number(text: str | None) -> int | float | None:
    """'20%' or '$1,500' -> 20 or 1500 (the Determination writes figures as words)."""
    raw = (text or "").replace("$", "").replace("%", "").replace(",", "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class _Ids:
    """Deterministic urn:uuid full URLs, derived from the answer's trace id."""

    def __init__(self, seed: str) -> None:
        self.seed = seed

    def __call__(self, name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'secondlook:{self.seed}:{name}')}"


def assertion_id(determination: Determination) -> str:
    """The coverage-assertion-id: a hash of the answer (the same answer, the same id)."""
    data = json.dumps(determination.model_dump(mode="json"), sort_keys=True).encode()
    return "secondlook-" + hashlib.sha256(data).hexdigest()[:24]


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


# ---------------------------------------------------------------------------------------------
# Resources


def patient_resource(case: Case) -> dict[str, Any]:
    p = case.patient
    return _without_empty(
        {
            "resourceType": "Patient",
            "name": [{"text": p.name.strip()}] if _text(p.name) else None,
            "birthDate": p.date_of_birth.isoformat() if p.date_of_birth else None,
            "telecom": _telecom(p.phone, None, p.email),
            "address": _address(p.address_lines, p.state),
        }
    )


def _contact_parts(contact: Contact | None) -> dict[str, Any]:
    if contact is None:
        return {}
    return {
        "telecom": _telecom(contact.phone, contact.fax, contact.email),
        "address": _address(contact.address_lines),
    }


def payer_resource(plan: Plan) -> dict[str, Any]:
    return _without_empty(
        {
            "resourceType": "Organization",
            "active": True,
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                            "code": "pay",
                            "display": "Payer",
                        }
                    ]
                }
            ],
            "name": plan.issuer,
            **_contact_parts(plan.appeals.um_contact),
        }
    )


def coverage_resource(case: Case, plan: Plan, patient_url: str, payer_url: str) -> dict[str, Any]:
    p = case.patient
    classes = [
        {
            "type": {"coding": [{"system": _COVERAGE_CLASS, "code": "plan"}]},
            "value": plan.id,
            "name": plan.name,
        }
    ]
    if _text(p.group_number):
        classes.insert(
            0,
            {
                "type": {"coding": [{"system": _COVERAGE_CLASS, "code": "group"}]},
                "value": p.group_number.strip(),
            },
        )
    member = _text(p.member_id)
    return _without_empty(
        {
            "resourceType": "Coverage",
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "MB",
                                "display": "Member Number",
                            }
                        ]
                    },
                    "value": member,
                }
            ]
            if member
            else None,
            "status": "active",
            "type": {"text": markets.profile(plan.market).label},
            "subscriberId": member,
            "beneficiary": {"reference": patient_url},
            "period": _without_empty(
                {
                    "start": plan.effective.start.isoformat(),
                    "end": plan.effective.end.isoformat() if plan.effective.end else None,
                }
            ),
            "payor": [{"reference": payer_url, "display": plan.issuer}],
            "class": classes,
        }
    )


_COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"


def _practitioner(name: str | None, npi: str | None, phone, fax, lines) -> dict | None:  # noqa: ANN001
    if not _text(name) and not npi:
        return None
    return _without_empty(
        {
            "resourceType": "Practitioner",
            "identifier": [{"system": NPI, "value": npi}] if npi else None,
            "name": [{"text": name.strip()}] if _text(name) else None,
            "telecom": _telecom(phone, fax),
            "address": _address(lines),
        }
    )


def provider_resources(case: Case) -> dict[str, dict[str, Any]]:
    """The second-opinion doctor, their institution and the referring physician, as known."""
    p, r = case.provider, case.referring_physician
    found = {
        "performer": _practitioner(p.name, p.npi, p.phone, p.fax, p.address_lines),
        "institution": (
            {"resourceType": "Organization", "name": p.institution.strip()}
            if _text(p.institution)
            else None
        ),
        "requester": _practitioner(r.name, r.npi, r.phone, r.fax, r.address_lines),
    }
    return {key: value for key, value in found.items() if value}


def _reason_codes(case: Case) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = [{"coding": [SECOND_OPINION_REASON]}]
    d = case.diagnosis
    if d.icd10 or _text(d.description):
        reasons.append(
            _without_empty(
                {
                    "coding": [{"system": ICD10CM, "code": d.icd10}] if d.icd10 else None,
                    "text": _text(d.description),
                }
            )
        )
    return reasons


def service_request(
    case: Case, urls: dict[str, str], coverage_information: dict[str, Any]
) -> dict[str, Any]:
    """The second-opinion consultation, proposed (not an order: nobody has signed it)."""
    performers = [{"reference": urls[k]} for k in ("performer", "institution") if k in urls]
    return _without_empty(
        {
            "resourceType": "ServiceRequest",
            "extension": [coverage_information],
            "status": "draft",
            "intent": "proposal",
            "priority": "urgent" if case.urgency.physician_certifies_urgent == "yes" else None,
            "code": CONSULTATION,
            "subject": {"reference": urls["patient"]},
            "requester": {"reference": urls["requester"]} if "requester" in urls else None,
            "performer": performers,
            "reasonCode": _reason_codes(case),
            "insurance": [{"reference": urls["coverage"]}],
        }
    )


# ---------------------------------------------------------------------------------------------
# The CRD coverage-information extension


def _detail(category: str, code: str, value: dict[str, Any], qualification: str | None = None):  # noqa: ANN202
    parts = [
        _ext("category", valueCode=category),
        _ext("code", valueCodeableConcept={"coding": [{"system": DETAIL_CODES, "code": code}]}),
        _ext("value", **value),
    ]
    if _text(qualification):
        parts.append(_ext("qualification", valueString=qualification.strip()))
    return _ext("detail", extension=parts)


def _percent_quantity(text: str | None) -> dict[str, Any] | None:
    number = _number(text)
    if number is None:
        return None
    return {"valueQuantity": {"value": number, "unit": "%", "system": UCUM, "code": "%"}}


def _tier_details(code: str, copay: str | None, coinsurance: str | None, words: str) -> list:
    """in-network-copay / out-network-copay: a percentage as a Quantity (as CRD asks), a dollar
    copay as text; the qualification is the whole cost sentence (deductible included)."""
    out = []
    quantity = _percent_quantity(coinsurance)
    if quantity:
        out.append(_detail("cat-decisional", code, quantity, words))
    if copay:
        out.append(
            _detail("cat-decisional", code, {"valueString": f"{copay} copay per visit"}, words)
        )
    return out


def _plan_tier(tier: TierCostSharing | None) -> tuple[str | None, str | None]:
    if tier is None:
        return None, None
    copay, coins = tier.specialist_copay, tier.specialist_coinsurance_percent
    if copay is not None:
        copay = f"${copay:,.0f}" if copay == copay.to_integral() else f"${copay:,.2f}"
    return copay, None if coins is None else f"{coins.normalize():f}%"


def cost_details(determination: Determination, plan: Plan) -> list[dict[str, Any]]:
    cost, outcome = determination.cost_sharing, determination.network.outcome
    words = cost.summary
    if cost.tier == "no_cost":
        return [_detail("cat-decisional", "in-network-copay", _percent_quantity("0"), words)]
    if cost.tier == "unknown":  # the network status decides: give both tiers from the plan
        in_copay, in_coins = _plan_tier(plan.cost_sharing.in_network)
        out_copay, out_coins = _plan_tier(plan.cost_sharing.out_of_network)
        return _tier_details("in-network-copay", in_copay, in_coins, words) + _tier_details(
            "out-network-copay", out_copay, out_coins, words
        )
    code = "in-network-copay"
    if cost.tier == "out_of_network" or outcome == "out_of_network_at_in_network_cost":
        code = "out-network-copay"  # the doctor is out of network (at in-network cost or not)
    return _tier_details(code, cost.copay, cost.coinsurance_percent, words)


def _something_conditional(determination: Determination) -> bool:
    return determination.covered == "conditional" or determination.pa_needed == "conditional"


def _info_code(field: str) -> str:
    if field in _INFO_CODES:
        return _INFO_CODES[field]
    return "performer" if field.startswith("provider.") else "OTH"


def _plan_term_url(plan: Plan, rule_id: str) -> str | None:
    """The source URL of a plan term named in the trace as `plan:<plan id>:<dotted path>`."""
    prefix = f"plan:{plan.id}:"
    if not rule_id.startswith(prefix):
        return None
    node: Any = plan
    for part in rule_id.removeprefix(prefix).split("."):
        node = getattr(node, part, None)
    source = getattr(node, "source", None)
    url = getattr(source, "url", None)
    return str(url) if url else None


def _rule_urls(entry, plan: Plan, law: LawBook | None) -> list[tuple[str, str]]:  # noqa: ANN001
    """(URL, what it is) for each link a rule or plan term gives."""
    if entry.layer == "plan":
        url = _plan_term_url(plan, entry.rule_id)
        return [(url, entry.citation)] if url else []
    rules = {r.id: r for r in law.rules} if law is not None else {}
    rule = rules.get(entry.rule_id)
    return [(str(ref.href), ref.title) for ref in rule.reference if ref.href] if rule else []


def citations(
    determination: Determination, plan: Plan, law: LawBook | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rules that shaped the answer: one `reason` each (title, citation, status, whether it
    is verified law) and a `policy-link` detail for each URL the rule or plan term gives."""
    reasons, links = [], []
    for entry in determination.trace:
        if entry.status not in _SHAPING:
            continue
        checked = f"last verified {entry.last_verified.isoformat()}" if entry.last_verified else ""
        trust = "" if entry.verified else "not verified law: confirm with your plan; "
        words = f"{entry.title} ({entry.citation}): {entry.status}; {trust}{checked}".rstrip("; ")
        reasons.append(_ext("reason", valueCodeableConcept={"text": words}))
        for url, title in _rule_urls(entry, plan, law):
            links.append(_detail("cat-other", "policy-link", {"valueUrl": url}, title))
    return reasons, links


def _instructions(determination: Determination) -> list[dict[str, Any]]:
    d = determination
    out = [_detail("cat-limitation", "instructions", {"valueString": d.network.explanation})]
    out += [
        _detail("cat-limitation", "instructions", {"valueString": i.question}, i.why)
        for i in d.info_needed
    ]
    out += [
        _detail("cat-limitation", "instructions", {"valueString": point}) for point in d.unverified
    ]
    out += [
        _detail(
            "cat-other",
            "instructions",
            {"valueString": doc.description},
            f"{doc.kind} documentation, {doc.purpose}",
        )
        for doc in d.doc_needed
    ]
    out += [_detail("cat-other", "instructions", {"valueString": step}) for step in d.next_steps]
    return out


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def coverage_information(
    determination: Determination, plan: Plan, coverage_url: str, law: LawBook | None = None
) -> dict[str, Any]:
    """CRD `ext-coverage-information` for the answer (invariants crd-ci-q2..q8 hold)."""
    d = determination
    if d.pa_needed == "satisfied":
        # crd-ci-q5 needs the approval's number with 'satisfied'; the case has no such field.
        raise FhirDataError("pa-needed 'satisfied' needs the prior authorization number", [])
    parts = [
        _ext("coverage", valueReference={"reference": coverage_url}),
        _ext("covered", valueCode=d.covered),
    ]
    if d.pa_needed is not None and d.covered != "not-covered":
        parts.append(_ext("pa-needed", valueCode=d.pa_needed))
    parts += [_ext("doc-needed", valueCode=k) for k in _unique(x.kind for x in d.doc_needed)]
    purposes = _unique(x.purpose for x in d.doc_needed)
    if d.pa_needed in ("no-auth", "satisfied", None):
        purposes = [p for p in purposes if p != "withpa"]  # crd-ci-q4
    parts += [_ext("doc-purpose", valueCode=p) for p in purposes]
    if _something_conditional(d):  # crd-ci-q3: info-needed exactly when something is conditional
        codes = _unique(_info_code(i.field) for i in d.info_needed)
        parts += [_ext("info-needed", valueCode=c) for c in codes]
    reasons, links = citations(d, plan, law)
    parts.append(_ext("reason", valueCodeableConcept={"text": d.headline}))
    parts += reasons
    parts += cost_details(d, plan) + _instructions(d) + links
    parts.append(_ext("date", valueDate=d.as_of.isoformat()))
    parts.append(_ext("coverage-assertion-id", valueString=assertion_id(d)))
    return {"url": COVERAGE_INFORMATION, "extension": parts}


# ---------------------------------------------------------------------------------------------
# Bundles


def _core_entries(
    determination: Determination, case: Case, plan: Plan, ids: _Ids, law: LawBook | None
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    urls = {name: ids(name) for name in ("patient", "payer", "coverage", "service")}
    people = provider_resources(case)
    urls.update({name: ids(name) for name in people})
    info = coverage_information(determination, plan, urls["coverage"], law)
    entries = [
        _entry(urls["patient"], patient_resource(case)),
        _entry(urls["coverage"], coverage_resource(case, plan, urls["patient"], urls["payer"])),
        _entry(urls["payer"], payer_resource(plan)),
        _entry(urls["service"], service_request(case, urls, info)),
    ]
    entries += [_entry(urls[name], resource) for name, resource in people.items()]
    return urls, entries


def coverage_bundle(
    determination: Determination, case: Case, plan: Plan, *, law: LawBook | None = None
) -> dict[str, Any]:
    """`secondlook check --format fhir`: the answer as a FHIR R4 collection Bundle."""
    ids = _Ids(assertion_id(determination))
    _, entries = _core_entries(determination, case, plan, ids, law)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": ids("bundle")},
        "type": "collection",
        "entry": entries,
    }


def letter_document(
    pdf: bytes, title: str, filename: str, patient_url: str, created: dt.datetime
) -> dict[str, Any]:
    """The letter as a DocumentReference with the PDF inline (base64) and its SHA-1."""
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"text": title},
        "subject": {"reference": patient_url},
        "date": created.isoformat(),
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "language": "en-US",
                    "data": base64.b64encode(pdf).decode("ascii"),
                    "size": len(pdf),
                    "hash": base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii"),  # noqa: S324 (FHIR Attachment.hash is SHA-1)
                    "title": filename,
                    "creation": created.isoformat(),
                }
            }
        ],
    }


def _claim(
    determination: Determination, case: Case, urls: dict[str, str], created: dt.datetime
) -> dict[str, Any]:
    provider = urls.get("performer") or urls.get("institution")
    if provider is None:
        raise FhirDataError(
            "the pre-authorisation request needs the second-opinion doctor or institution",
            ["provider.name", "provider.institution"],
        )
    urgent = case.urgency.physician_certifies_urgent == "yes"
    has_dx = bool(case.diagnosis.icd10)
    return _without_empty(
        {
            "resourceType": "Claim",
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": urls["claim"]}],
            "status": "active",
            "type": {"coding": [{"system": _CLAIM_TYPE, "code": "professional"}]},
            "use": "preauthorization",
            "patient": {"reference": urls["patient"]},
            "created": created.date().isoformat(),
            "insurer": {"reference": urls["payer"]},
            "provider": {"reference": provider},
            "priority": {"coding": [{"system": _PRIORITY, "code": "stat" if urgent else "normal"}]},
            "careTeam": [
                {
                    "sequence": 1,
                    "provider": {"reference": provider},
                    "role": {"coding": [{"system": _CARE_TEAM_ROLE, "code": "primary"}]},
                }
            ],
            "supportingInfo": [
                {
                    "sequence": 1,
                    "category": {
                        "coding": [{"system": PAS_CODES, "code": "additionalInformation"}]
                    },
                    "valueReference": {"reference": urls["letter"]},
                },
                {
                    "sequence": 2,
                    "category": {"coding": [{"system": PAS_CODES, "code": "freeFormMessage"}]},
                    "valueString": f"Second Look coverage check: {determination.headline}",
                },
            ],
            "diagnosis": [
                {
                    "sequence": 1,
                    "diagnosisCodeableConcept": {
                        "coding": [{"system": ICD10CM, "code": case.diagnosis.icd10}]
                    },
                }
            ]
            if has_dx
            else None,
            "insurance": [
                {"sequence": 1, "focal": True, "coverage": {"reference": urls["coverage"]}}
            ],
            "item": [
                _without_empty(
                    {
                        "extension": [
                            _ext(
                                PAS_REQUESTED_SERVICE, valueReference={"reference": urls["service"]}
                            )
                        ],
                        "sequence": 1,
                        "careTeamSequence": [1],
                        "diagnosisSequence": [1] if has_dx else None,
                        "informationSequence": [1, 2],
                        "productOrService": CONSULTATION,
                        "quantity": {"value": 1},
                    }
                )
            ],
        }
    )


_CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
_PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
_CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"


def preauth_bundle(
    determination: Determination,
    case: Case,
    plan: Plan,
    *,
    letter_pdf: bytes,
    letter_title: str = "Prior authorization request",
    letter_filename: str = "preauth_request.pdf",
    law: LawBook | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """`secondlook letter preauth_request --format fhir`: a PAS-style request Bundle (the Claim
    first, as PAS asks), with the letter PDF attached."""
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)  # a FHIR instant needs its time zone
    seed = assertion_id(determination) + hashlib.sha256(letter_pdf).hexdigest()[:16]
    ids = _Ids(seed)
    urls, entries = _core_entries(determination, case, plan, ids, law)
    urls.update(claim=ids("claim"), letter=ids("letter"))
    document = letter_document(letter_pdf, letter_title, letter_filename, urls["patient"], created)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": ids("bundle")},
        "type": "collection",
        "timestamp": created.isoformat(),
        "entry": [
            _entry(urls["claim"], _claim(determination, case, urls, created)),
            *entries,
            _entry(urls["letter"], document),
        ],
    }


def to_json(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
