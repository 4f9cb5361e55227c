"""Unsaved edits kept after a conflict (navigator.drafts): what the navigator typed over the
version they opened is listed against the colleague's newer version and put back on top of it,
so nothing typed is lost and the colleague's other changes stay."""

from __future__ import annotations

from navigator_helpers import zelda_case

from navigator import case_form, drafts, facts

PLANS = {"mo-ppo-riverfront-employer-self-funded": "Riverfront PPO (Example Insurer)"}


def typed_over(case, **edits):  # noqa: ANN001, ANN003
    """The facts form's values for `case` with some fields typed over (path with __ for .)."""
    values = case_form.form_values(case, list(PLANS))
    values.update({path.replace("__", "."): value for path, value in edits.items()})
    return values


def colleague_saved(case):  # noqa: ANN001
    return facts.apply_changes(case, {"diagnosis.stage": "IV", "patient.member_id": "ZT111"})


def test_only_the_fields_the_navigator_changed_are_kept():
    opened = zelda_case()
    shown = case_form.form_values(opened, list(PLANS))
    typed = typed_over(opened, diagnosis__stage="II", patient__state="KS",
                       records_from__0__name="Example Pathology")  # fmt: skip
    draft = drafts.keep(7, 1, shown, typed)
    assert draft.edits == {
        "diagnosis.stage": "II",
        "patient.state": "KS",
        "records_from.0.name": "Example Pathology",
    }
    assert drafts.keep(7, 1, shown, shown).edits == {}


def test_rows_show_their_value_beside_the_latest_in_words():
    opened = zelda_case()
    draft = drafts.keep(7, 1, case_form.form_values(opened, list(PLANS)),
                        typed_over(opened, diagnosis__stage="II", patient__state="",
                                   reported_plan__self_funded="no"))  # fmt: skip
    rows = drafts.rows(draft, colleague_saved(opened), PLANS)
    assert [(r.label, r.yours, r.current) for r in rows] == [  # in the form's order
        ("State of residence", "(empty)", "MO"),
        ("Self-funded (as reported)", "No", "Not known"),
        ("Stage", "II", "IV"),
    ]


def test_reapplied_edits_go_over_the_latest_version_and_keep_the_colleagues_other_changes():
    opened = zelda_case()
    draft = drafts.keep(7, 1, case_form.form_values(opened, list(PLANS)),
                        typed_over(opened, diagnosis__stage="II"))  # fmt: skip
    latest = colleague_saved(opened)
    values = drafts.reapply(draft, latest, list(PLANS))
    merged = facts.apply_changes(latest, case_form.form_changes(values))
    assert merged.diagnosis.stage == "II"  # theirs
    assert merged.patient.member_id == "ZT111"  # the colleague's other change stays
    assert facts.diff_paths(latest, merged) == ["diagnosis.stage"]


def test_a_plan_is_shown_by_name_and_an_unknown_plan_by_its_id():
    assert drafts.shown_value("plan", "mo-ppo-riverfront-employer-self-funded", PLANS) == (
        "Riverfront PPO (Example Insurer)"
    )
    assert drafts.shown_value("plan", "retired-plan", PLANS) == "retired-plan"
    assert drafts.shown_value("plan", case_form.BLANK, PLANS) == "(empty)"
