"""Law is data: market profiles and statements load strictly, and no law lives in Python.

What differs by market is in data/rules/markets/<market>.yaml; every sentence of law an answer
or a letter states is in data/rules/statements/*.yaml, with its figures taken from the dated
parameters. These tests keep it that way: the Python sources hold no citation, no legal day
count and no branch on a market name (coverage/markets.py, which loads the profiles, excepted).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from coverage import markets
from coverage.catalog import RULES_DIR, load_lawbook
from coverage.loader import LoadError
from coverage.statements import say
from secondlook import service

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["coverage", "letters", "secondlook", "navigator", "app_pages"]
MARKET_FILES = sorted((RULES_DIR / "markets").glob("*.yaml"))
STATEMENT_FILES = sorted((RULES_DIR / "statements").glob("*.yaml"))

CITATION = re.compile(
    r"\b\d+\s*CFR\b|\bU\.S\.C\.|\bRSMo\b|\bH&S\b|\bIns\. (Law|Code)\b|\bORS\s*\d|\bF\.S\.\s*\d|"
    r"\bSSA\s*§|§\s*\d|\bFR\s+\d{3,}|\bPub\. 100-"
)
DAY_COUNT = re.compile(
    r"\b\d+\s*(?:-|\s)?(?:calendar\s+|business\s+)?(day|days|hour|hours|month|months)\b", re.I
)


def python_files() -> list[Path]:
    files = [p for pkg in SOURCES for p in sorted((ROOT / pkg).rglob("*.py"))]
    return files + [ROOT / "app.py"]


def string_literals(tree: ast.AST):
    """String constants, except docstrings (they explain the code; they are not output)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            yield node


def test_no_citation_or_legal_figure_in_python():
    found = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in string_literals(tree):
            for pattern in (CITATION, DAY_COUNT):
                for match in pattern.finditer(node.value):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {match.group(0)!r}")
    assert found == [], "law belongs in data/rules/, not in Python:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for():
    tree = ast.parse('x = "within 72 hours (45 CFR 147.136)"\ny = "a 14-day extension"\n')
    texts = [node.value for node in string_literals(tree)]
    assert CITATION.search(texts[0]) and DAY_COUNT.search(texts[0])
    assert DAY_COUNT.search(texts[1])
    assert not CITATION.search("the plan's claim file") and not DAY_COUNT.search("today")


def _market_branches(tree: ast.AST) -> list[int]:
    names = set(markets.MARKETS)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare | ast.match_case | ast.Dict):
            parts = [node] if not isinstance(node, ast.Dict) else [k for k in node.keys if k]
            for part in parts:
                inner = part.pattern if isinstance(part, ast.match_case) else part
                if any(isinstance(c, ast.Constant) and c.value in names for c in ast.walk(inner)):
                    lines.append(getattr(part, "lineno", getattr(inner, "lineno", 0)))
    return lines


def test_no_code_branches_on_a_market_name_outside_the_market_profiles():
    found = []
    for path in python_files():
        if path == ROOT / "coverage" / "markets.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}:{line}" for line in _market_branches(tree)]
    assert found == [], "ask coverage.markets.profile(market) instead:\n" + "\n".join(found)


# --- market profiles ---------------------------------------------------------------------------


def _json_ready(value: object) -> object:
    if isinstance(value, dict):
        return {str(_json_ready(k)): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize(
    ("path", "kind"),
    [(p, "market") for p in MARKET_FILES] + [(p, "statements") for p in STATEMENT_FILES],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_file_has_its_schema_header_and_validates_against_it(path: Path, kind: str):
    text = path.read_text(encoding="utf-8")
    assert (
        text.splitlines()[0] == f"# yaml-language-server: $schema=../../schema/{kind}.schema.json"
    )
    schema = json.loads((ROOT / "data" / "schema" / f"{kind}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(_json_ready(yaml.safe_load(text)))


def test_one_profile_per_market():
    assert sorted(p.stem for p in MARKET_FILES) == sorted(markets.MARKETS)
    assert {m: markets.profile(m).id for m in markets.MARKETS} == {m: m for m in markets.MARKETS}


def _copy_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    return rules


def test_a_duplicate_key_in_a_profile_names_file_and_line(tmp_path: Path):
    folder = tmp_path / "markets"
    shutil.copytree(RULES_DIR / "markets", folder)
    path = folder / "individual.yaml"
    path.write_text(path.read_text().replace("short_label:", "label: Again\nshort_label:", 1))
    with pytest.raises(LoadError) as err:
        markets.load_profiles(folder)
    assert "individual.yaml:6: label: duplicate key (first at line 5)" in str(err.value)


def test_a_procedure_without_its_clocks_is_a_load_error(tmp_path: Path):
    folder = tmp_path / "markets"
    shutil.copytree(RULES_DIR / "markets", folder)
    path = folder / "medicaid_managed_care.yaml"
    path.write_text(
        path.read_text().replace("  continue_benefits: medicaid.continue_benefits_days\n", "")
    )
    with pytest.raises(LoadError) as err:
        markets.load_profiles(folder)
    assert "medicaid_managed_care.yaml" in str(err.value)
    assert "procedure medicaid_mco needs clocks: continue_benefits" in str(err.value)


def test_a_profile_naming_an_unknown_parameter_or_statement_is_a_load_error(tmp_path: Path):
    rules = _copy_rules(tmp_path)
    path = rules / "markets" / "original_medicare.yaml"
    text = path.read_text()
    text = text.replace("medicare.redetermination_filing_days", "medicare.no_such_days")
    text = text.replace("- say: [medicare.redetermination_filing]", "- say: [medicare.nothing]")
    path.write_text(text)
    with pytest.raises(LoadError) as err:
        load_lawbook(rules)
    message = str(err.value)
    assert "original_medicare.yaml: clocks.appeal_filing: unknown parameter" in message
    assert "original_medicare.yaml: law: unknown statement 'medicare.nothing'" in message


def test_a_statement_quoting_an_unknown_figure_is_a_load_error(tmp_path: Path):
    rules = _copy_rules(tmp_path)
    path = rules / "statements" / "hipaa.yaml"
    path.write_text(path.read_text().replace("{hipaa.access_response_days}", "{hipaa.nope}", 1))
    with pytest.raises(LoadError) as err:
        load_lawbook(rules)
    assert "hipaa.yaml: response.text: unknown parameter 'hipaa.nope'" in str(err.value)


def test_an_unknown_key_in_a_statement_names_its_line(tmp_path: Path):
    rules = _copy_rules(tmp_path)
    path = rules / "statements" / "cms.yaml"
    path.write_text(
        path.read_text().replace("  verified: true\n", "  verified: true\n  sure: yes\n")
    )
    with pytest.raises(LoadError) as err:
        load_lawbook(rules)
    assert re.search(r"cms\.yaml:\d+: specific_reason\.sure: unknown key", str(err.value))


# --- statements --------------------------------------------------------------------------------


def test_figures_come_from_the_parameters_in_force_on_the_day():
    law = service.lawbook()
    before = say(law, "medicare_advantage.org_determination_standard", dt.date(2025, 12, 31))
    after = say(law, "medicare_advantage.org_determination_standard", dt.date(2026, 1, 1))
    assert before and "within 14 days" in before.text
    assert after and "within 7 days" in after.text
    assert (
        after.citation
        == law.parameters["medicare_advantage.standard_org_determination_days"].citation
    )
    history = say(
        law, "medicare_advantage.org_determination_history", dt.date(2026, 3, 1), as_law=False
    )
    assert history and history.text.startswith("7 days from January 1, 2026, 14 days before")


def test_an_unverified_statement_or_figure_is_never_stated_as_law():
    law = service.lawbook()
    day = dt.date(2026, 3, 1)
    assert say(law, "medicaid.fair_hearing_window", day) is None  # the statement is unverified
    assert say(law, "medicare_advantage.org_determination_history", day) is None  # a figure is
    shown = say(law, "medicaid.fair_hearing_window", day, as_law=False)
    assert shown and not shown.verified and "120 days" in shown.text


def test_a_statement_is_said_only_while_in_force():
    law = service.lawbook()
    assert say(law, "cms.specific_reason", dt.date(2025, 12, 31)) is None
    said = say(law, "cms.specific_reason", dt.date(2026, 1, 1))
    assert (
        said and said.sentence() == "A denial must give a specific reason (CMS-0057-F, 89 FR 8758)."
    )


def test_words_given_by_the_caller_are_never_read_as_placeholders():
    law = service.lawbook()
    said = say(
        law,
        "erisa_aca.appropriate_professional",
        dt.date(2026, 3, 1),
        {"specialty": "{erisa_aca.appeal_decision_urgent_hours}"},
    )
    assert said and said.text.endswith("here {erisa_aca.appeal_decision_urgent_hours}")


def test_every_statement_is_used_by_a_profile_or_the_code():
    law = service.lawbook()
    used = set().union(*(p.statement_ids() for p in markets.profiles().values()))
    code = "\n".join(p.read_text(encoding="utf-8") for p in python_files())
    unused = [name for name in law.statements if name not in used and f'"{name}"' not in code]
    assert unused == []
