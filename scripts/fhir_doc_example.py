"""Write the example bundle in docs/fhir.md: what `secondlook check --format fhir` prints for
examples/cases/mo-newly-diagnosed-network-gap.yaml. `--check` only compares (exit 1 if stale);
tests/test_fhir.py runs it that way."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secondlook import fhir, service  # noqa: E402

DOC = ROOT / "docs" / "fhir.md"
CASE = ROOT / "examples" / "cases" / "mo-newly-diagnosed-network-gap.yaml"
START, END = "<!-- example-bundle: start -->\n", "<!-- example-bundle: end -->"


def example_json() -> str:
    case = service.load_case(CASE)
    plan = service.resolve_plan(case.plan or "")
    bundle = fhir.coverage_bundle(service.check(case), case, plan, law=service.lawbook())
    return fhir.to_json(bundle)


def main() -> int:
    text = DOC.read_text()
    if START not in text or END not in text:
        print(f"{DOC}: the example-bundle markers are missing", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}```json\n{example_json()}```\n{END}{tail}"
    if new == text:
        return 0
    if "--check" in sys.argv[1:]:
        print(
            f"{DOC}: the example bundle is out of date; run "
            ".venv/bin/python scripts/fhir_doc_example.py",
            file=sys.stderr,
        )
        return 1
    DOC.write_text(new)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
