"""The strict loader: duplicate keys, unknown keys, wrong types and bad dates name file:line."""

from __future__ import annotations

import textwrap

import pytest

from coverage.case import Case
from coverage.law import CoverageRule
from coverage.loader import LoadError, parse_model


def problems(model, text: str) -> list[str]:
    with pytest.raises(LoadError) as info:
        parse_model(model, textwrap.dedent(text), "case.yaml")
    return [str(p) for p in info.value.problems]


def test_duplicate_key_is_an_error_naming_both_lines():
    assert problems(
        Case,
        """\
        patient:
          member_id: A1
          member_id: A2
        """,
    ) == ["case.yaml:3: patient.member_id: duplicate key (first at line 2)"]


def test_unknown_key_wrong_type_and_bad_date_each_name_their_line():
    found = problems(
        Case,
        """\
        patient:
          date_of_birth: 1970-02-31
        reasons:
          opinions_so_far: many
        provider:
          in_netwrk: yes
        """,
    )
    assert found[0].startswith("case.yaml:2: patient.date_of_birth: ")
    assert found[1].startswith("case.yaml:4: reasons.opinions_so_far: ")
    assert found[2] == "case.yaml:6: provider.in_netwrk: unknown key"


def test_member_data_is_never_echoed_in_errors():
    found = problems(
        Case,
        """\
        patient:
          name: Zelda Testpatient
          date_of_birth: Zelda Testpatient
          member_id: [Zelda Testpatient]
        """,
    )
    assert found and not any("Zelda" in line for line in found)


def test_yaml_syntax_error_names_the_line():
    found = problems(Case, "patient:\n  name: [unclosed\n  state: MO\n")
    assert found[0].startswith("case.yaml:3: (file): not valid YAML")


def test_empty_and_non_mapping_files():
    assert problems(Case, "") == ["case.yaml: (file): the file is empty"]
    assert problems(Case, "- a\n- b\n") == [
        "case.yaml:1: (file): expected a mapping of field: value at the top"
    ]


RULE = """\
id: x
layer: state
title: A rule
description: A rule.
reference: [{title: RSMo 376.1253}]
source_quality: official
verified: true
last_verified: 2026-11-24
priority: 200
applies_to: {markets: [employer_group], funding: [fully_insured], states: [MO]}
triggers: {match: any, conditions: [always]}
values:
  2003-01-01: {covers_second_opinion: true}
"""


def test_a_state_rule_can_never_reach_self_funded_plans():
    text = RULE.replace("funding: [fully_insured]", "funding: [fully_insured, self_funded]")
    found = problems(CoverageRule, text)
    assert len(found) == 1 and "self_funded" in found[0] and found[0].startswith("case.yaml:1:")


def test_unverified_rule_must_say_verified_false():
    found = problems(
        CoverageRule, RULE.replace("source_quality: official", "source_quality: unverified")
    )
    assert "verified must be false" in found[0]


def test_missing_citation_is_an_error():
    found = problems(
        CoverageRule, RULE.replace("reference: [{title: RSMo 376.1253}]", "reference: []")
    )
    assert found[0].startswith("case.yaml:5: reference: ")


def test_bad_date_range_is_an_error():
    from coverage.base import DateRange

    with pytest.raises(LoadError) as info:
        parse_model(DateRange, "start: 2026-01-01\nend: 2025-12-31\n", "range.yaml")
    assert "is before start" in str(info.value)
