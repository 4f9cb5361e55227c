"""Coverage-core benchmark: determinations per second and plan-catalog load times.

Run: .venv/bin/python bench/bench_coverage.py [--plans 10000] [--repeats 5]

Reports medians over repeats (the machines here are noisy), peak memory, and how cost grows
from the shipped catalog to a generated one. Targets (issue #2): >= 20,000 determinations/s on
one core; a 10,000-plan catalog loads in < 3 s cold and < 0.3 s warm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from coverage.case import Case
from coverage.catalog import PLANS_DIR, clear_cache, load_catalog, load_lawbook
from coverage.engine import evaluate
from coverage.loader import load_model

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 2)


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generate_catalog(target: Path, count: int) -> None:
    shipped = sorted(PLANS_DIR.glob("*.yaml"))
    for n in range(count):
        source = shipped[n % len(shipped)]
        text = source.read_text()
        new_id = f"gen-{n:05d}-{source.stem}"[:60]
        text = text.replace(f"id: {source.stem}\n", f"id: {new_id}\n", 1)
        (target / f"{new_id}.yaml").write_text(text)


def determinations_per_second(plans, cases, law, repeats: int) -> float:
    pairs = [(p, c) for p in plans for c in cases]

    def run():
        for plan, case in pairs:
            evaluate(plan, case, AS_OF, law)

    return len(pairs) / median_time(run, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    law = load_lawbook()
    cases = [load_model(Case, p) for p in sorted((ROOT / "examples" / "cases").glob("*.yaml"))]
    shipped = list(load_catalog().plans.values())

    print(
        f"Coverage benchmark: {len(shipped)} shipped plans, {len(cases)} example cases, "
        f"median of {args.repeats}"
    )
    rate = determinations_per_second(shipped, cases, law, args.repeats)
    print(
        f"  determinations/s, shipped plans x example cases: {rate:,.0f} "
        f"({1e6 / rate:.1f} µs each; target >= 20,000/s)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate_catalog(folder, args.plans)

        def first():
            clear_cache()
            load_catalog(folder, disk_cache=False)

        def cold():
            clear_cache()  # a new process: nothing in memory, the disk cache is there
            load_catalog(folder)

        first_s = median_time(first, 1)
        load_catalog(folder)  # writes the disk cache
        cold_s = median_time(cold, args.repeats)
        load_catalog(folder)
        warm_s = median_time(lambda: load_catalog(folder), args.repeats)

        # Invalidation: touch one file, the next load re-reads just that one.
        one = next(folder.glob("*.yaml"))
        one.write_text(one.read_text() + "\n")
        touched_s = median_time(lambda: load_catalog(folder), 1)

        tracemalloc.start()
        clear_cache()
        catalog = load_catalog(folder)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        big = list(catalog.plans.values())
        sample = big[:: max(1, len(big) // 500)]
        big_rate = determinations_per_second(sample, cases, law, args.repeats)

        print(f"  catalog of {len(catalog.plans):,} plans:")
        print(f"    first load, no cache (parse every YAML file): {first_s:.2f} s")
        print(
            f"    cold (new process; validated plans from the disk cache): {cold_s:.2f} s "
            "(target < 3 s)"
        )
        print(f"    warm (in memory; one stat per file): {warm_s:.3f} s (target < 0.3 s)")
        print(f"    after touching one file (re-reads only that file): {touched_s:.3f} s")
        print(f"  peak memory while loading it cold: {peak / 2**20:.0f} MiB")
        print(
            f"  determinations/s over {len(sample)} plans from the big catalog: {big_rate:,.0f} "
            f"(ratio to shipped: {big_rate / rate:.2f}; cost per determination does not grow "
            "with catalog size)"
        )
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
