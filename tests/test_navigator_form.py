"""The navigator's case form as data: every field is a real Case field, and showing a case in the
form then saving it unchanged gives back the same case."""

from __future__ import annotations

import pytest
from navigator_helpers import zelda_case

from coverage.case import Case, RecordsHolder
from navigator import case_form, facts
from navigator.errors import FieldProblem


def test_every_form_field_is_a_case_field():
    for field in case_form.ALL_FIELDS:
        case_form.current_value(Case(), field.path)  # raises AttributeError when misspelt


def test_paths_are_unique():
    paths = [f.path for f in case_form.ALL_FIELDS]
    assert len(paths) == len(set(paths))


def test_choice_options_match_the_model():
    case = zelda_case()
    for field in case_form.ALL_FIELDS:
        if field.kind in ("tri", "choice"):
            for value, _ in field.choices():
                facts.apply_changes(case, {field.path: value})  # every option validates


def _form_values(case: Case) -> dict:
    return {f.path: case_form.widget_value(f, case) for f in case_form.ALL_FIELDS}


def test_an_unchanged_form_gives_back_the_same_case():
    case = zelda_case(
        records_from=[RecordsHolder(name="Example Pathology", address_lines=["1 Lab Way"])]
    )
    changes = case_form.values_to_changes(_form_values(case))
    slots = [case_form.records_widget_values(case, i) for i in range(case_form.records_slots(case))]
    changes.update(case_form.records_changes(slots))
    assert facts.apply_changes(case, changes) == case


def test_blank_denial_fields_remove_the_denial():
    case = zelda_case()
    values = _form_values(case)
    for path in values:
        if path.startswith("denial.") and path not in ("denial.level", "denial.service_type"):
            values[path] = "" if isinstance(values[path], str) else None
    after = facts.apply_changes(case, case_form.values_to_changes(values))
    assert after.denial is None


def test_address_lines_are_split_and_trimmed():
    case = zelda_case()
    values = _form_values(case)
    values["patient.address_lines"] = " 1 Main St \n\n Springfield, MO 65801 "
    after = facts.apply_changes(case, case_form.values_to_changes(values))
    assert after.patient.address_lines == ["1 Main St", "Springfield, MO 65801"]


def test_records_holder_without_a_name_is_named_in_the_error():
    changes = case_form.records_changes([{"name": "", "phone": "314-555-0100"}, {"name": ""}])
    with pytest.raises(FieldProblem) as err:
        facts.apply_changes(Case(), changes)
    assert err.value.problems == {
        "records_from.0.name": "Give the name of the office that has the records."
    }
    assert err.value.label("records_from.0.name") == "Name (records holder 1)"
    changes = case_form.records_changes([{"name": " Lab ", "address_lines": "a\n\nb"}])
    assert facts.apply_changes(Case(), changes).records_from == [
        RecordsHolder(name="Lab", address_lines=["a", "b"])
    ]


def test_an_emptied_first_slot_keeps_the_second_holder():
    case = zelda_case(records_from=[RecordsHolder(name="One"), RecordsHolder(name="Two")])
    slots = [case_form.records_widget_values(case, i) for i in range(case_form.records_slots(case))]
    slots[0] = {"name": "", "address_lines": "", "phone": "", "fax": ""}
    after = facts.apply_changes(case, case_form.records_changes(slots))
    assert after.records_from == [RecordsHolder(name="Two")]


def test_a_bad_field_is_named_by_its_label_in_plain_words():
    case = zelda_case()
    with pytest.raises(FieldProblem) as err:
        facts.apply_changes(case, {"provider.npi": "12345", "patient.email": "nope"})
    assert err.value.problems == {
        "provider.npi": "An NPI is 10 digits.",
        "patient.email": "Use an email address like name@example.com.",
    }
    assert err.value.label("provider.npi") == "NPI (Second-opinion provider)"
    assert err.value.label("patient.email") == "E-mail (Patient)"  # the appeal's e-mail too
    assert "12345" not in str(err.value)


def test_the_address_on_the_denial_notice_is_kept_and_removed_when_blank():
    case = zelda_case()
    values = _form_values(case)
    values["denial.send_to.name"] = "Riverfront Appeals Unit"
    values["denial.send_to.address_lines"] = "PO Box 1\nSpringfield, MO 65801"
    with_address = facts.apply_changes(case, case_form.values_to_changes(values))
    assert with_address.denial.send_to.name == "Riverfront Appeals Unit"
    assert with_address.denial.send_to.address_lines == ["PO Box 1", "Springfield, MO 65801"]
    values = _form_values(with_address)
    values["denial.send_to.name"] = ""
    values["denial.send_to.address_lines"] = ""
    cleared = facts.apply_changes(with_address, case_form.values_to_changes(values))
    assert cleared.denial is not None and cleared.denial.send_to is None
    assert cleared == case


def test_the_plan_the_patient_reported_and_the_treatment_date_are_asked():
    """A plan not in the catalog and the scheduled treatment are fields of the form; typed in
    as text (the copay too), they round-trip unchanged."""
    paths = {f.path for f in case_form.ALL_FIELDS}
    assert {
        "treatment_date",
        "reported_plan.market",
        "reported_plan.plan_type",
        "reported_plan.self_funded",
        "reported_plan.appeals_to.address_lines",
        "reported_plan.specialist_copay",
    } <= paths
    case = facts.apply_changes(
        zelda_case(plan=None),
        {
            "reported_plan.market": "employer_group",
            "reported_plan.plan_type": "PPO",
            "reported_plan.specialist_copay": "$60",
            "reported_plan.appeals_to.address_lines": "PO Box 1\nKansas City, MO 64141",
        },
    )
    assert case.reported_plan.specialist_copay == 60
    values = _form_values(case)
    assert values["reported_plan.specialist_copay"] == "60"
    assert facts.apply_changes(case, case_form.values_to_changes(values)) == case
