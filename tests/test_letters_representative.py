"""Letters written and signed by the patient's authorised representative (a navigator, a cancer
center): the sender, the opening, the signature and the enclosed authorization are theirs, and
the patient is spoken of in the third person, in every letter to a plan, a reviewer or a
records office. The patient's own letters are unchanged (tests/test_letters_golden.py).

Golden text: tests/golden/letters/representative/<scenario>__<letter type>.txt; regenerate with
SECONDLOOK_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
import re

import pytest
from letters_support import GOLDEN, SCENARIOS, TODAY, docx_text, scenario
from pydantic import ValidationError

import letters
from secondlook import service

UPDATE = os.environ.get("SECONDLOOK_UPDATE_GOLDEN") == "1"
REP_GOLDEN = GOLDEN / "representative"
NINA = letters.Representative(
    name="Nina Navigator",
    organisation="Riverside Cancer Center",
    address_lines=["500 River Rd", "Kirkwood, MO 63122"],
    phone="(314) 555-0100",
    email="nina@riverside.example",
)
# The patient's first person, which a representative's letter must not say of her.
FIRST_PERSON = re.compile(
    r"\b(my|My|I was diagnosed|I pay|I would pay|bill me|see me|against me|for me to|"
    r"I received|I have looked|I have not found|giving me|I am not billed)\b"
)
# Every (scenario, letter type) a representative may write that the fixtures can make.
VOICED = [
    (name, letter_type)
    for name in SCENARIOS
    for letter_type in sorted(letters.VOICED_LETTERS)
    if not isinstance(service.render_letter(letter_type, *scenario(name), today=TODAY),
                      service.LetterProblem)
]  # fmt: skip
GOLDEN_REP = [("commercial-denied", "appeal"), ("commercial-network-gap", "preauth_request")]


def _representative_text(name: str, letter_type: str) -> str:
    case, plan, determination = scenario(name)
    data = letters.render_letter(
        letter_type, case, plan, determination, today=TODAY, representative=NINA
    )
    return docx_text(data)


def _without_her_quoted_words(text: str, name: str) -> list[str]:
    """The letter's lines, less her own words quoted under "The patient describes..."."""
    case, _, _ = scenario(name)
    quoted = {line.strip() for line in (case.reasons.notes or "").splitlines() if line.strip()}
    return [line for line in text.splitlines() if line.strip() not in quoted]


def test_every_letter_a_representative_may_sign_is_covered():
    assert {t for _, t in VOICED} == letters.VOICED_LETTERS
    assert "physician_letter" not in letters.VOICED_LETTERS


@pytest.mark.parametrize(("name", "letter_type"), VOICED, ids=lambda v: v)
def test_the_representative_writes_signs_and_encloses_the_authorization(name, letter_type):
    case, plan, _ = scenario(name)
    patient = case.patient.name.strip()
    text = _representative_text(name, letter_type)
    lines = [line for line in text.splitlines() if line.strip()]
    # the sender block is the representative's (under an urgent letter's two banner lines)
    start = lines.index("Nina Navigator")
    assert start in (0, 2)
    assert lines[start : start + 5] == [
        "Nina Navigator",
        "Riverside Cancer Center",
        "500 River Rd",
        "Kirkwood, MO 63122",
        "Phone (314) 555-0100 · nina@riverside.example",
    ]
    for line in case.patient.address_lines[:1]:  # her street is not the sender's
        assert line not in text
    # the opening says who writes, for whom, and that her signed authorization is enclosed
    assert f"I am writing as the authorized representative of {patient}, the " in text
    assert f"The authorization that {patient} signed is enclosed." in text
    # the RE block still identifies her, and names her representative
    assert (
        "Representative:\tNina Navigator, Riverside Cancer Center (authorization enclosed)" in text
    )
    assert re.search(rf"^(Member|Beneficiary|Enrollee|Patient):\t{re.escape(patient)}$", text, re.M)
    # the representative signs, with role and organisation, for her
    signature = text.split("_" * 34, 1)[1].strip().splitlines()
    assert signature[:3] == [
        "Nina Navigator",
        "Patient navigator, Riverside Cancer Center",
        f"Authorized representative of {patient}",
    ]
    # her signed authorization is the first enclosure
    assert re.search(
        rf"^Enclosures:\tAuthorization of representative, signed by {re.escape(patient)}$",
        text,
        re.M,
    )
    # the plan answers the representative
    assert (
        "contact me by phone at (314) 555-0100" in text
        or "call me with the decision at (314) 555-0100" in text
    )
    # no stray first person of the patient
    leftovers = [
        line for line in _without_her_quoted_words(text, name) if FIRST_PERSON.search(line)
    ]
    assert leftovers == []


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_REP, ids=lambda v: v)
def test_representative_letter_text_matches_golden(name, letter_type):
    text = _representative_text(name, letter_type)
    path = REP_GOLDEN / f"{name}__{letter_type}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path.name}: run with SECONDLOOK_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_no_stale_representative_goldens():
    expected = {f"{name}__{letter_type}.txt" for name, letter_type in GOLDEN_REP}
    assert {p.name for p in REP_GOLDEN.glob("*.txt")} == expected


def test_her_own_words_are_quoted_as_hers():
    text = _representative_text("commercial-denied", "appeal")
    case, _, _ = scenario("commercial-denied")
    first = next(line for line in case.reasons.notes.splitlines() if line.strip())
    before = text.split(first.strip(), 1)[0].rstrip().splitlines()
    assert before[-1] == "The patient describes the question this way:"


def test_the_patient_letter_is_hers_when_no_representative_signs():
    case, plan, determination = scenario("commercial-denied")
    text = docx_text(letters.render_letter("appeal", case, plan, determination, today=TODAY))
    assert text.splitlines()[0] == case.patient.name.strip()
    assert "authorized representative" not in text
    assert "my oncologist's recent notes" in text


def test_the_physician_letter_stays_the_physicians():
    case, plan, determination = scenario("commercial-network-gap")
    with pytest.raises(letters.LetterError, match="signed by the physician"):
        letters.build_context(
            "physician_letter", case, plan, determination, today=TODAY, representative=NINA
        )
    result = service.render_letter(
        "physician_letter", case, plan, determination, today=TODAY, representative=NINA
    )
    assert isinstance(result, service.LetterProblem) and result.kind == "invalid"
    # letters_for checks the physician's letter as the physician's, the others as Nina's
    statuses = service.letters_for(
        case, plan, determination, today=TODAY, every_type=True, representative=NINA
    )
    by_type = {s.letter_type: s for s in statuses}
    assert by_type["physician_letter"].problem is None
    assert by_type["preauth_request"].problem is None


def test_a_representative_letter_is_english_only():
    case, plan, determination = scenario("commercial-denied")
    with pytest.raises(letters.LetterError, match="English only"):
        letters.build_context(
            "appeal", case, plan, determination, today=TODAY, language="es", representative=NINA
        )


def test_a_representative_the_plan_cannot_reach_is_refused():
    with pytest.raises(ValidationError, match="address, phone or e-mail"):
        letters.Representative(name="Sam Helper", organisation="Riverside Cancer Center")
    rep = letters.Representative(name="Sam Helper", email="sam@example.org")
    case, plan, determination = scenario("commercial-denied")
    text = docx_text(
        letters.render_letter("appeal", case, plan, determination, today=TODAY, representative=rep)
    )
    assert text.splitlines()[:2] == ["Sam Helper", "sam@example.org"]
    assert "please contact me by email at sam@example.org" in text
    signature = text.split("_" * 34, 1)[1].strip().splitlines()
    assert signature[:2] == ["Sam Helper", "Patient navigator"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " ", "phone": "1"}, "name"),
        ({"name": "A", "address_lines": ["x"] * 7}, "address_lines"),
        ({"name": "A", "phone": "1" * 41}, "phone"),
        ({"name": "A", "phone": "1", "nickname": "x"}, "nickname"),
    ],
)
def test_bad_representative_details_are_refused_by_field(values, field):
    with pytest.raises(ValidationError) as err:
        letters.Representative(**values)
    assert err.value.errors()[0]["loc"][0] == field


# -- the form the patient signs ------------------------------------------------------------------


def test_the_authorization_form_names_patient_representative_scope_and_signatures():
    from letters.authorization import authorization_form

    case, plan, _ = scenario("commercial-denied")
    text = docx_text(authorization_form(case, plan, NINA, today=TODAY))
    lines = text.splitlines()
    assert lines[0] == "Authorization of representative"
    for row in (
        "Name:\tMaria Example",
        "Date of birth:\tApril 12, 1971",
        "Member ID:\tGXH123456789",
        "Health plan:\tGateway Example Health PPO 1500",
        "Name:\tNina Navigator",
        "Role:\tPatient navigator",
        "Organization:\tRiverside Cancer Center",
        "Address:\t500 River Rd, Kirkwood, MO 63122",
    ):
        assert row in lines
    assert "I, Maria Example, authorize the representative named above" in text
    assert "second opinion on my cancer diagnosis and treatment from Dr. Priya Example" in text
    assert "appeals and requests for external review" in text
    assert "copies of my medical records, pathology slides and images" in text
    assert "unless I cancel it earlier in writing" in text
    assert "Signature of Maria Example\tDate" in lines
    assert "Signature of Nina Navigator, representative\tDate" in lines
    # the letters a representative signs enclose exactly this form
    letter = _representative_text("commercial-denied", "appeal")
    assert "Authorization of representative, signed by Maria Example" in letter


def test_the_form_prints_names_as_typed_and_needs_the_patients_name():
    from letters.authorization import authorization_form

    case, plan, _ = scenario("commercial-denied")
    odd = "Ann **{{ x }}** {% if %} O'Neil & Co <b>"
    patient = case.patient.model_copy(update={"name": odd})
    rep = NINA.model_copy(update={"organisation": "{{ organisation }} & __Sons__"})
    text = docx_text(authorization_form(case.model_copy(update={"patient": patient}), plan, rep))
    assert f"Name:\t{odd}" in text.splitlines()
    assert "Organization:\t{{ organisation }} & __Sons__" in text.splitlines()
    nameless = case.model_copy(update={"patient": case.patient.model_copy(update={"name": " "})})
    with pytest.raises(letters.LetterError, match="patient's name"):
        authorization_form(nameless, plan, NINA)
