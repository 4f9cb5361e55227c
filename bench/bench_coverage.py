"""Coverage-core benchmark: determinations per second and plan-catalog load times.

Run: .venv/bin/python bench/bench_coverage.py [--plans 10000] [--repeats 5] [--baseline REV]

Reports medians over repeats (the machines here are noisy), peak memory, and how cost grows
from the shipped catalog to a generated one. Targets (issue #2): >= 20,000 determinations/s on
one core; a 10,000-plan catalog loads in < 3 s cold and < 0.3 s warm.

The engine is also timed side by side with a baseline: the coverage package as it was at git
revision REV (default: before the engine speed work), loaded into this same process under
another name, with its answers compared to ours for every pair.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import re
import shutil
import statistics
import subprocess
import sys
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
BASELINE_REV = "5c43d22"  # the engine before the speed work (per-plan caches, shared parts)
MIN_PER_TIMING = 5_000  # determinations per timed run, so one run is not a few milliseconds


class Timing(float):
    """A median wall-clock time in seconds that also carries the median CPU time (`.cpu`)."""

    cpu: float

    def __str__(self) -> str:
        return f"{float(self):.3f} s (CPU {self.cpu:.3f} s)"


def median_time(fn, repeats: int) -> Timing:
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    result = Timing(statistics.median(wall))
    result.cpu = statistics.median(cpu)
    return result


def generate_catalog(target: Path, count: int) -> None:
    shipped = sorted(PLANS_DIR.glob("*.yaml"))
    for n in range(count):
        source = shipped[n % len(shipped)]
        text = source.read_text()
        new_id = f"gen-{n:05d}-{source.stem}"[:60]
        text = text.replace(f"id: {source.stem}\n", f"id: {new_id}\n", 1)
        (target / f"{new_id}.yaml").write_text(text)


def determinations_per_second(plans, cases, law, repeats: int, **engines) -> dict[str, float]:
    """Median rate of each engine (default: ours, as "ours") over `repeats` runs, each over every
    (plan, case) pair, repeated to at least MIN_PER_TIMING determinations. One untimed pass
    first, so per-plan caches are warm. Engines take turns within each repeat, so load from
    other processes falls on all of them alike. Also "<name> cpu": the rate by this process's
    CPU time, which time spent waiting for a shared core does not inflate."""
    engines = engines or {"ours": evaluate}
    pairs = [(p, c) for p in plans for c in cases]
    for engine in engines.values():
        for plan, case in pairs:
            engine(plan, case, AS_OF, law)
    pairs *= max(1, -(-MIN_PER_TIMING // len(pairs)))
    times: dict[str, list[float]] = {key: [] for name in engines for key in (name, f"{name} cpu")}
    for _ in range(repeats):
        for name, engine in engines.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for plan, case in pairs:
                engine(plan, case, AS_OF, law)
            times[f"{name} cpu"].append(time.process_time() - start_cpu)
            times[name].append(time.perf_counter() - start)
    return {key: len(pairs) / statistics.median(t) for key, t in times.items()}


def first_pass_rate(plans, cases, law, engine=evaluate) -> float:
    """One pass over plans never evaluated before: every per-plan cache misses."""

    def run():
        for plan in plans:
            for case in cases:
                engine(plan, case, AS_OF, law)

    return len(plans) * len(cases) / median_time(run, 1)


def load_baseline(rev: str):
    """`evaluate` from the coverage package as it was at git revision `rev`, loaded into this
    process as a package of its own (`baseline_coverage`, every `coverage` import renamed), so
    whatever modules the engine was split into at that revision come along. It is given today's
    plans and law book. None when git cannot give it."""
    try:
        names = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", rev, "coverage/"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    package = folder / "baseline_coverage"
    package.mkdir()
    (folder / "data").symlink_to(ROOT / "data")  # modules that find data/ beside the package
    rename = re.compile(r"\b(from|import)\s+coverage\b")
    for name in names:
        if not name.endswith(".py"):
            continue
        source = subprocess.run(
            ["git", "show", f"{rev}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        target = package / Path(name).relative_to("coverage")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rename.sub(r"\1 baseline_coverage", source), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("baseline_coverage.engine").evaluate
    finally:
        sys.path.remove(str(folder))


DECISION_FIELDS = ("covered", "pa_needed", "referral_needed", "letters")


def compare_outputs(plans, cases, law, baseline) -> int:
    """Every (plan, case) answer from the baseline and from ours, compared and reported.

    The rules changed on purpose after the baseline revision (wording, which letters are
    recommended), so differences are counted, not fatal; tests/test_engine_output.py guards
    the optimisations themselves."""
    worded = 0
    decided: list[str] = []
    for plan in plans:
        for case in cases:
            ours = evaluate(plan, case, AS_OF, law)
            theirs = baseline(plan, case, AS_OF, law)
            a, b = ours.model_dump(mode="json"), theirs.model_dump(mode="json")
            if any(a[k] != b[k] for k in DECISION_FIELDS) or (
                a["network"]["outcome"] != b["network"]["outcome"]
            ):
                decided.append(f"{plan.id} x {case.case_id}")
            elif a != b:
                worded += 1
    if decided:
        print(f"  note: {len(decided)} decisions changed on purpose since the baseline revision")
    if worded:
        print(f"  note: {worded} answers differ from the baseline in wording only")
    return len(plans) * len(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--baseline",
        default=BASELINE_REV,
        help="git revision of the engine to time side by side ('none' to skip)",
    )
    args = parser.parse_args()

    law = load_lawbook()
    cases = [load_model(Case, p) for p in sorted((ROOT / "examples" / "cases").glob("*.yaml"))]
    shipped = list(load_catalog().plans.values())

    print(
        f"Coverage benchmark: {len(shipped)} shipped plans, {len(cases)} example cases, "
        f"median of {args.repeats}"
    )
    baseline = None if args.baseline == "none" else load_baseline(args.baseline)
    if baseline is not None:
        count = compare_outputs(shipped, cases, law, baseline)
        print(f"  compared with the baseline ({args.baseline}): {count} determinations")
        rates = determinations_per_second(
            shipped, cases, law, args.repeats, ours=evaluate, baseline=baseline
        )
        rate, base_rate = rates["ours"], rates["baseline"]
    else:
        rates = determinations_per_second(shipped, cases, law, args.repeats)
        rate = rates["ours"]
    print(
        f"  determinations/s, shipped plans x example cases: {rate:,.0f} "
        f"({1e6 / rate:.1f} µs each; target >= 20,000/s); by CPU time: {rates['ours cpu']:,.0f}"
    )
    if baseline is not None:
        print(
            f"    baseline engine ({args.baseline}): {base_rate:,.0f} ({1e6 / base_rate:.1f} µs "
            f"each; by CPU time: {rates['baseline cpu']:,.0f}); ours is {rate / base_rate:.2f}x"
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

        # The catalog was built with the cyclic GC paused: its first collection moves every
        # plan object once. Do it now, so it is not charged to whichever engine runs first.
        gc.collect()
        big = list(catalog.plans.values())
        step = max(2, len(big) // 500)
        sample = big[::step]
        cold_rate = first_pass_rate(sample, cases, law)
        # The baseline on other plans, just as fresh (it caches nothing, but is fair to compare)
        base_cold = (
            None if baseline is None else first_pass_rate(big[1::step], cases, law, baseline)
        )
        big_rate = determinations_per_second(sample, cases, law, args.repeats)["ours"]

        print(f"  catalog of {len(catalog.plans):,} plans:")
        print(f"    first load, no cache (parse every YAML file): {first_s}")
        print(
            f"    cold (new process; validated plans from the disk cache): {cold_s} (target < 3 s)"
        )
        print(f"    warm (in memory; one stat per file): {warm_s} (target < 0.3 s)")
        print(f"    after touching one file (re-reads only that file): {touched_s}")
        print(f"  peak memory while loading it cold: {peak / 2**20:.0f} MiB")
        print(
            f"  determinations/s over {len(sample)} plans from the big catalog: {big_rate:,.0f} "
            f"(ratio to shipped: {big_rate / rate:.2f}; cost per determination does not grow "
            "with catalog size)"
        )
        print(
            f"    first pass over those plans (per-plan caches empty): {cold_rate:,.0f}/s "
            f"({1e6 / cold_rate:.1f} µs each)"
            + (
                ""
                if base_cold is None
                else f"; baseline on as many fresh plans: {base_cold:,.0f}/s"
            )
        )
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
