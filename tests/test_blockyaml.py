"""The fast block-YAML reader returns exactly what PyYAML returns, or leaves the document to it.

Every YAML file in the repository, hand-written edge cases and thousands of seeded random
mutations of the repository's files: whenever the fast reader gives an answer, PyYAML (the
loader's strict CSafeLoader) gives the same one, with the same types; when PyYAML refuses a
document, the fast reader does not accept it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from coverage import blockyaml, loader

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    p for p in ROOT.rglob("*.yaml") if not {".venv", "var", ".git"} & set(p.relative_to(ROOT).parts)
)
read = blockyaml.make_reader(loader._StrictLoader)


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def pyyaml(text: str):
    """PyYAML's document, or the exception it raised."""
    try:
        return yaml.load(text, Loader=loader._StrictLoader)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, loader._DuplicateKey, loader._ComplexKey, ValueError) as err:
        return err


def check(text: str) -> bool:
    """Whether the fast reader took `text`; fails if it took it and PyYAML disagrees."""
    got = read(text)
    assert same(read(text, remember=True), got)  # typed values kept from earlier documents
    if got is blockyaml.NOT_MINE:
        return False
    expected = pyyaml(text)
    assert not isinstance(expected, Exception), f"PyYAML refuses {text!r}: {expected}"
    assert same(got, expected), f"{text!r}: {got!r} != {expected!r}"
    return True


def test_every_repository_yaml_file_reads_as_pyyaml_reads_it():
    taken = [p for p in YAML_FILES if check(p.read_text(encoding="utf-8"))]
    assert len(YAML_FILES) > 50
    plans = [p for p in YAML_FILES if p.parent == ROOT / "data" / "plans"]
    assert plans and set(plans) <= set(taken)  # the catalog's files take the fast path


TAKEN = [
    "a: 1\nb: 1.5\nc: -2\nd: +3\ne: 1_000\nf: 0x1F\ng: 1:20\nh: .5\ni: -.inf\nj: 0o17\n",
    "a: yes\nb: No\nc: ~\nd: null\ne: true\nf: OFF\ng: y\nh: n\n",
    "a: 2026-01-01\nb: 2026-02-31\nc: 2026-01-01 10:00:00\nd: 2026-1-1\n",
    "a: >-\n  x\n  y\nb: 1\n",
    "a: >\n  x\n  y\n",
    "a: |\n  x\n  y\n",
    "a: |-\n  x\n  y",
    "a: |\n  x\n  y",
    "a: >-\n  # not a comment\n  x\n",
    "a: >\n  x\n\n\nb: 2\n",
    "a: 'x'\nb: \"y\"\nc: ''\nd: \"\"\ne: 'C:\\dir'\nf: \"a: b # c\"\n",
    "a: []\nb: {}\nc:\nd:   \n",
    "a: b:c\nb: http://x/y\nc: -x\nd: x-\ne: 'q' \nf: a#b\ng: Medicare & You\n",
    "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
    "a:\n  - x\n  - y: 1\n    z: 2\n  -\n    - nested\n",
    "-\n  a: 1\n- b\n",
    "# comment\n\na: x\n\n  # indented comment\nb: 1\n",
    "_private: 2\nCamel: 3\nsnake_case9: 4\n",
]


@pytest.mark.parametrize("text", TAKEN)
def test_documents_it_takes_read_as_pyyaml_reads_them(text):
    assert check(text)


LEFT_TO_PYYAML = [
    "",
    "just a scalar\n",
    "a: 1\na: 2\n",  # duplicate: PyYAML's loader names both lines
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: [x, y]\n",
    "a: {b: 1}\n",
    "? a\n: 1\n",
    "yes: 1\n",
    "null: 1\n",
    "<<: {}\n",
    "a: =\n",
    "a: b # comment\n",
    "a: 'b''c'\n",
    'a: "b\\"c"\n',
    "a: x\n  continued\n",
    "a: 'x\n  y'\n",
    "a:\n- same column\n",
    "a:\n    b: 1\n   c: 2\n",
    "a: >\n  x\n\n  y\n",
    "a: >\n  x\n    more\n",
    "a: |2\n   x\n",
    "a:\tb\n",
    "a: b\r\n",
    "a: b\u2028c\n",
    "\ufeffa: 1\n",
    "a: \x07\n",
    "--- \na: 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: b: c\n",
    "a: b:\n",
    "a: - x\n",
    "key with space: 1\n",
    "key-with-dash: 1\n",
    "- - a\n",
    "  a: 1\n",
]


@pytest.mark.parametrize("text", LEFT_TO_PYYAML)
def test_documents_it_leaves_to_pyyaml(text):
    assert read(text) is blockyaml.NOT_MINE


def test_nesting_past_its_limit_is_left_to_pyyaml():
    deep = "".join(f"{' ' * n}k:\n" for n in range(150)) + " " * 150 + "k: 1\n"
    assert read(deep) is blockyaml.NOT_MINE
    assert isinstance(pyyaml(deep), dict)


INSERTS = [":", "-", " ", "  ", "#", '"', "'", "\n", ">", "|", "&a ", "*a", "!", "[", "]", "{"]
INSERTS += ["}", "\t", "y", "0", "~", "1", ".", "e", "\\", ",", "?", "%", "@", "`", "<<", "="]
INSERTS += ["no", "2026-01-01", "- ", ": ", " #", "\n  ", "\r", "\xa0", "\u2028", "é"]


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.choice([1, 1, 1, 2])):
        lines = text.split("\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(6)
        if op == 0:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(INSERTS) + text[at:]
            continue
        if op == 1 and text:
            at = rng.randrange(len(text))
            text = text[:at] + text[at + rng.randint(1, 3) :]
            continue
        if op == 2:
            lines.insert(i, lines[j])
        elif op == 3:
            lines[i] = " " * rng.randint(1, 3) + lines[i] if j % 2 else lines[i][1 + j % 3 :]
        elif op == 4:
            lines[i], lines[j] = lines[j], lines[i]
        else:
            del lines[i]
        text = "\n".join(lines)
    return text


@pytest.mark.parametrize("seed", range(4))
def test_mutated_repository_files_read_as_pyyaml_reads_them_or_are_left_to_it(seed):
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in YAML_FILES]
    taken = 0
    for _ in range(1500):
        lines = rng.choice(texts).split("\n")
        starts = [n for n, line in enumerate(lines) if line[:1].isalpha()] or [0]
        first = rng.choice(starts)
        excerpt = "\n".join(lines[first : first + rng.randint(3, 40)]) + rng.choice(["", "\n"])
        taken += check(mutate(rng, excerpt))
    assert taken > 300  # the comparison exercised the fast reader, not only its refusals


def test_a_case_file_leaves_nothing_of_its_member_behind_and_a_plan_file_may():
    """Typed values and keys are remembered across documents only for the project's own data
    files (plans): a case file's date of birth and member id are member data."""
    from coverage.case import Case
    from coverage.catalog import load_plan_file

    typed, names = loader._read_plain_block_yaml.remembered
    case_text = (ROOT / "examples/cases/medicare-surgery-recommended.yaml").read_text()
    case_text = case_text.replace("1951-01-30", "1937-05-06") + "\nzz_unheard_of_key: 1\n"
    with pytest.raises(loader.LoadError):  # the unknown key: validation refuses the case
        loader.parse_model(Case, case_text, "case.yaml")
    assert read(case_text) is not blockyaml.NOT_MINE  # the fast reader did read it
    assert "1937-05-06" not in typed and "zz_unheard_of_key" not in names

    load_plan_file(ROOT / "data/plans/original-medicare.yaml")
    assert typed and names  # a plan file's values are kept for the next plan file
