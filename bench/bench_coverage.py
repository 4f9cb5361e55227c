"""Coverage-core benchmark: determinations per second, and the plan catalog's load times.

Run: .venv/bin/python bench/bench_coverage.py [--plans 10000] [--repeats 5] [--load-repeats 3]
     [--baseline REV] [--catalog-baseline REV]

Every figure is a median over repeats, wall clock and CPU time of this process (the machine is
shared: CPU time is what waiting for a core does not inflate), each next to a baseline timed in
the same process, taking turns, so load from other processes falls on both alike.

1. Determinations/s, shipped plans x example cases, against the coverage package at git revision
   --baseline (before the engine speed work); every answer is compared. Then the
   same on plans sampled from the generated catalog, taking turns with the shipped plans (timed
   twice, for the noise): the ratio says whether a determination costs more with a big
   catalog: "grows" past GROWS (see below), "grows a little" past the measurement's own noise,
   "cannot tell" when that noise is past GROWS.
2. The catalog: --plans plan files generated from the shipped ones (new ids), loaded by ours and
   by coverage/catalog.py and loader.py at --catalog-baseline (PyYAML, every cached plan
   validated when loaded). Every plan both loads give is compared.
   - first load: no cache, every file read, parsed and validated; and a first run that also
     writes the disk cache, as the first `secondlook` command does
   - cold: a new process's load with the disk cache (ours builds a plan when it is first
     looked up, so also "cold, then every plan built")
   - warm: plans in memory, one stat() per file; touched: one file edited, only it re-read
   - cold process: a fresh interpreter imports the catalog and the engine, loads the catalog
     from its disk cache, checks one case against one plan and exits; wall and CPU of the whole
     process, and how much of it came after the work (tearing down at exit)
   - `secondlook check --case <example>` as a user runs it (the shipped catalog, its disk cache
     written by an untimed first call), next to the same command in the --catalog-baseline tree
     (git archive into the temporary folder): wall, CPU, and the exit cost
   - peak memory: Python allocations while loading (tracemalloc), peak RSS of the processes
Targets (issue 15): >= 20,000 determinations/s; a first load of 10,000 plans < 3 s; a cold
process < 1 s. Nothing is left behind: the generated plans and every disk cache live in one
temporary folder (SECONDLOOK_CACHE_DIR points there), removed at the end, and the repository's
var/cache/ is checked to be as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coverage.case import Case  # noqa: E402
from coverage.catalog import PLANS_DIR, load_catalog, load_lawbook  # noqa: E402
from coverage.engine import evaluate  # noqa: E402
from coverage.loader import load_model  # noqa: E402

AS_OF = dt.date(2026, 3, 2)
BASELINE_REV = "5c43d22"  # the engine before the speed work (per-plan caches, shared parts)
CATALOG_BASELINE_REV = "0d360b3"  # the catalog before the fast YAML reader and the lazy cache
MIN_PER_TIMING = 5_000  # determinations per timed run, so one run is not a few milliseconds
# Two medians of the same work on this shared 2-core machine differ by up to ~15-20% (the
# "noise" line shows it for each run); a ratio past 1.25 is more than that: a real difference.
GROWS = 1.25


class Timing:
    """Median wall-clock and CPU seconds of repeated runs."""

    def __init__(self, wall: list[float], cpu: list[float]):
        self.wall, self.cpu = statistics.median(wall), statistics.median(cpu)

    def __str__(self) -> str:
        return f"{self.wall:.3f} s (CPU {self.cpu:.3f} s)"


def timed(fn) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - start_cpu


def settle() -> None:
    """Untimed, before each timed run: free what the last run dropped and run the cyclic GC it
    left pending (plans built with the GC paused are collected on its next pass), so no run
    pays for the one before it. What a load leaves to the GC shows in the cold process's exit
    cost instead."""
    gc.collect()


def side_by_side(repeats: int, **runs) -> dict[str, Timing]:
    """Each run (name -> (setup, function)) `repeats` times, taking turns; the setup and
    settle() untimed; median wall and CPU of each."""
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (setup, fn) in runs.items():
            setup()
            settle()
            wall, cpu = timed(fn)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {name: Timing(walls[name], cpus[name]) for name in runs}


def generate_catalog(target: Path, count: int) -> None:
    shipped = sorted(PLANS_DIR.glob("*.yaml"))
    for n in range(count):
        source = shipped[n % len(shipped)]
        text = source.read_text()
        new_id = f"gen-{n:05d}-{source.stem}"[:60]
        text = text.replace(f"id: {source.stem}\n", f"id: {new_id}\n", 1)
        (target / f"{new_id}.yaml").write_text(text)


# --- 1. Determinations per second -------------------------------------------------------------


def determinations_per_second(plans, cases, law, repeats: int, **engines) -> dict[str, float]:
    """Median rate of each engine (default: ours, as "ours") over `repeats` runs, each over every
    (plan, case) pair, repeated to at least MIN_PER_TIMING determinations. One untimed pass
    first, so per-plan caches are warm. Engines take turns within each repeat. Also
    "<name> cpu": the rate by this process's CPU time."""
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

    return len(plans) * len(cases) / timed(run)[0]


def git_source(rev: str, path: str) -> str | None:
    try:
        return subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def load_modules(sources: dict[str, str], label: str) -> dict[str, types.ModuleType]:
    """Modules executed from source under their real names (so they import each other), in
    order; today's modules are put back afterwards. Everything else is today's."""
    saved = {name: sys.modules.get(name) for name in sources}
    loaded = {}
    try:
        for name, source in sources.items():
            module = types.ModuleType(name)
            module.__file__ = str(ROOT / (name.replace(".", "/") + ".py"))
            sys.modules[name] = module
            exec(compile(source, f"{label}:{name}", "exec"), module.__dict__)
            loaded[name] = module
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return loaded


def load_baseline_engine(rev: str, tmp: Path):
    """`evaluate` from the coverage package as it was at git revision `rev`, loaded into this
    process as a package of its own (`baseline_coverage`, every `coverage` import renamed, in
    `tmp`), so whatever modules the engine was split into at that revision come along. It is
    given today's plans and law book. None when git cannot give it."""
    try:
        names = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", rev, "coverage/"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        print(f"  baseline engine: git cannot give coverage/ at {rev}; skipped")
        return None
    folder = tmp / "baseline-engine"
    package = folder / "baseline_coverage"
    package.mkdir(parents=True)
    (folder / "data").symlink_to(ROOT / "data")  # modules that find data/ beside the package
    rename = re.compile(r"\b(from|import)\s+coverage\b")
    for name in names:
        if name.endswith(".py"):
            target = package / Path(name).relative_to("coverage")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = git_source(rev, name) or ""
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


def bench_engine(args, shipped, cases, law, tmp: Path) -> None:
    """The shipped-plan rate of ours and how much two measurements of it differ (noise)."""
    baseline = None if args.baseline == "none" else load_baseline_engine(args.baseline, tmp)
    engines = {"ours": evaluate, "again": evaluate}
    if baseline is not None:
        count = compare_outputs(shipped, cases, law, baseline)
        print(f"  compared with the baseline engine ({args.baseline}): {count} determinations")
        engines["baseline"] = baseline
    rates = determinations_per_second(shipped, cases, law, args.repeats, **engines)
    rate = rates["ours"]
    cpu_rate, again = rates["ours cpu"], rates["again cpu"]
    noise = max(cpu_rate, again) / min(cpu_rate, again)
    print(
        f"  determinations/s, shipped plans x example cases: {rate:,.0f} "
        f"({1e6 / rate:.1f} µs each; target >= 20,000/s); by CPU time: {rates['ours cpu']:,.0f}"
    )
    if baseline is not None:
        base = rates["baseline"]
        print(
            f"    baseline engine ({args.baseline}): {base:,.0f} ({1e6 / base:.1f} µs each; "
            f"by CPU time: {rates['baseline cpu']:,.0f}); ours is {rate / base:.2f}x"
        )
    print(f"    noise: the same timing twice in this run differs by {noise:.2f}x (CPU time)")


def pair_rates(law, repeats: int, **pair_sets) -> dict[str, float]:
    """CPU-time rate of each set of (plan, case) pairs, the sets taking turns in each repeat
    (so a change of load between them falls on all alike); one untimed pass first."""
    times: dict[str, list[float]] = {name: [] for name in pair_sets}
    scaled = {}
    for name, pairs in pair_sets.items():
        for plan, case in pairs:
            evaluate(plan, case, AS_OF, law)
        scaled[name] = pairs * max(1, -(-MIN_PER_TIMING // len(pairs)))
    for _ in range(repeats):
        for name, pairs in scaled.items():
            start = time.process_time()
            for plan, case in pairs:
                evaluate(plan, case, AS_OF, law)
            times[name].append(time.process_time() - start)
    return {name: len(scaled[name]) / statistics.median(t) for name, t in times.items()}


def bench_big_catalog_rates(plans, shipped, cases, law, args) -> None:
    """Whether a determination costs more when it comes from a big catalog: the CPU-time rate
    on plans sampled from it against the shipped plans', timed taking turns, with the shipped
    plans timed twice for this measurement's own noise (GROWS is the threshold; a run whose
    noise is above it cannot tell)."""
    step = max(2, len(plans) // 500)
    sample = plans[::step]
    first = first_pass_rate(sample, cases, law)
    rates = pair_rates(
        law,
        args.repeats,
        shipped=[(p, c) for p in shipped for c in cases],
        sampled=[(p, c) for p in sample for c in cases],
        again=[(p, c) for p in shipped for c in cases],
    )
    noise = max(rates["shipped"], rates["again"]) / min(rates["shipped"], rates["again"])
    ratio = rates["shipped"] / rates["sampled"]  # > 1: a determination costs more
    if noise > GROWS:
        verdict = f"cannot tell: {ratio:.2f}x, but this measurement's own noise is {noise:.2f}x"
    elif ratio > GROWS:
        verdict = f"grows: {ratio:.2f}x the cost per determination (threshold {GROWS}x)"
    elif ratio > noise:
        verdict = (
            f"grows a little: {ratio:.2f}x, more than the noise ({noise:.2f}x), "
            f"less than the {GROWS}x threshold"
        )
    else:
        verdict = f"does not grow beyond the noise: {ratio:.2f}x (noise {noise:.2f}x)"
    print(
        f"  determinations/s by CPU time over {len(sample)} plans sampled from the generated "
        f"catalog: {rates['sampled']:,.0f}; over the shipped plans, taking turns with them: "
        f"{rates['shipped']:,.0f}; the cost per determination {verdict}"
    )
    print(
        f"    first pass over those plans (per-plan caches empty): {first:,.0f}/s "
        f"({1e6 / first:.1f} µs each)"
    )


# --- 2. The catalog ---------------------------------------------------------------------------


def load_baseline_catalog(rev: str) -> types.ModuleType | None:
    """coverage/catalog.py and loader.py at `rev` (their own caches; their own disk cache
    file, keyed by their own version), or None."""
    sources = {}
    for name in ("loader", "catalog"):
        source = git_source(rev, f"coverage/{name}.py")
        if source is None:
            return None
        sources[f"coverage.{name}"] = source
    return load_modules(sources, rev)["coverage.catalog"]


class Loader:
    """One catalog implementation (ours, or the baseline module) over the generated folder.
    Each kind of load is (setup, load): the setup is not timed."""

    def __init__(self, module, folder: Path):
        self.module, self.folder = module, folder

    def _fresh(self) -> None:  # nothing in memory, as in a new process
        self.module.clear_cache()

    def _no_caches(self) -> None:
        self.module.clear_cache()
        self.module._disk_cache_path(self.folder).unlink(missing_ok=True)

    def _nothing(self) -> None:
        pass

    def first(self):
        return self._fresh, lambda: self.module.load_catalog(self.folder, disk_cache=False)

    def first_run(self):
        return self._no_caches, lambda: self.module.load_catalog(self.folder)

    def cold(self):
        return self._fresh, lambda: self.module.load_catalog(self.folder)

    def cold_all(self):
        return self._fresh, lambda: sum(
            1 for _ in self.module.load_catalog(self.folder).plans.values()
        )

    def warm(self):
        return self._nothing, lambda: self.module.load_catalog(self.folder)

    def run(self, kind: str) -> None:
        """One load of `kind`, setup included (untimed uses)."""
        setup, fn = getattr(self, kind)()
        setup()
        fn()

    def plans(self) -> dict:
        return dict(self.module.load_catalog(self.folder).plans.items())


def touch(path: Path) -> None:
    """Change a plan file's size and time, not its meaning (a trailing newline more)."""
    path.write_text(path.read_text() + "\n")


def memory_peak(fn) -> float:
    """Peak MiB of Python allocations while `fn` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def compare_plans(base: Loader, ours: Loader) -> None:
    """Every plan of ours equals the baseline's, from a first load and from the disk cache."""
    for label, kind in (("first load", "first_run"), ("cold", "cold")):
        base.run(kind)
        ours.run(kind)
        expected, got = base.plans(), ours.plans()
        differ = [pid for pid in expected if got.get(pid) != expected[pid]]
        if differ or list(got) != list(expected):
            print(f"  PLANS DIFFER from the baseline's ({label}): {len(differ)} {differ[:3]}")
            sys.exit(1)
    print(f"  every plan equals the baseline's ({len(got):,} plans; first load and cold)")


def bench_loads(base: Loader | None, ours: Loader, args) -> None:
    def both(kind: str, repeats: int) -> dict[str, Timing]:
        runs = {"ours": getattr(ours, kind)()}
        if base is not None:
            runs = {"baseline": getattr(base, kind)(), **runs}
        return side_by_side(repeats, **runs)

    rows = [
        (
            "first load, no cache (read, parse, validate every file)",
            both("first", args.load_repeats),
        ),
        ("first run (the same, and the disk cache written)", both("first_run", 1)),
        ("cold (a new process's load, disk cache)", both("cold", args.repeats)),
        ("cold, then every plan built", both("cold_all", args.repeats)),
        ("warm (in memory; one stat per file)", both("warm", args.repeats)),
    ]
    one = next(ours.folder.glob("*.yaml"))
    loaders = {"ours": ours} if base is None else {"baseline": base, "ours": ours}
    touched: dict[str, list[tuple[float, float]]] = {name: [] for name in loaders}
    for _ in range(args.repeats):
        touch(one)
        for name, loader in loaders.items():
            settle()
            touched[name].append(timed(lambda loader=loader: loader.run("warm")))
    rows.append(
        (
            "touched one file (re-read only that one)",
            {n: Timing([w for w, _ in t], [c for _, c in t]) for n, t in touched.items()},
        )
    )
    for label, timings in rows:
        line = f"    {label}: ours {timings['ours']}"
        if "baseline" in timings:
            b, o = timings["baseline"], timings["ours"]
            line += f"; baseline {b}; {b.wall / o.wall:.1f}x faster (CPU {b.cpu / o.cpu:.1f}x)"
        print(line)
    first = rows[0][1]["ours"]
    print(
        f"    target: first load of {args.plans:,} plans < 3 s: "
        f"{'met' if first.wall < 3 else 'NOT met'} by wall time ({first.wall:.2f} s), "
        f"{'met' if first.cpu < 3 else 'NOT met'} by CPU time ({first.cpu:.2f} s; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def bench_memory(base: Loader | None, ours: Loader) -> None:
    loaders = {"ours": ours} if base is None else {"baseline": base, "ours": ours}
    for label, kind in (("first load", "first"), ("cold", "cold"), ("cold, all built", "cold_all")):
        peaks = {}
        for name, loader in loaders.items():
            setup, fn = getattr(loader, kind)()
            setup()
            settle()
            peaks[name] = memory_peak(fn)
        print(f"    {label}: " + "; ".join(f"{n} {p:.0f} MiB" for n, p in peaks.items()))


CHILD = """
import datetime, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from coverage.case import Case
from coverage.engine import evaluate
from coverage.loader import load_model
{catalog_import}
case = load_model(Case, {case!r})
plan = catalog.load_catalog(Path({folder!r})).get({plan_id!r})
evaluate(plan, case, datetime.date(2026, 3, 2), catalog.load_lawbook())
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]
print(usage.ru_utime + usage.ru_stime, peak)
"""

BASELINE_IMPORT = """
import types
def _module(name, path):
    module = types.ModuleType(name)
    module.__file__ = {file!r}
    sys.modules[name] = module
    exec(compile(open(path).read(), path, "exec"), module.__dict__)
    return module
_module("coverage.loader", {loader!r})
catalog = _module("coverage.catalog", {catalog!r})
"""


def cold_process(script: str, env: dict) -> tuple[float, float, float, float]:
    """(wall, CPU, CPU after the work, peak RSS MiB) of one fresh interpreter running `script`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    at_end, peak_kib = done.stdout.split()
    return wall, cpu, cpu - float(at_end), int(peak_kib) / 1024


def bench_cold_process(args, folder: Path, tmp: Path, have_baseline: bool) -> None:
    case = sorted((ROOT / "examples" / "cases").glob("*.yaml"))[0]
    plan_id = sorted(folder.glob("*.yaml"))[len(list(folder.glob("*.yaml"))) // 2].stem
    fill = {"root": str(ROOT), "case": str(case), "folder": str(folder), "plan_id": plan_id}
    scripts = {"ours": CHILD.format(catalog_import="import coverage.catalog as catalog", **fill)}
    if have_baseline:
        sources = {}
        for name in ("loader", "catalog"):
            sources[name] = tmp / f"baseline_{name}.py"
            sources[name].write_text(git_source(args.catalog_baseline, f"coverage/{name}.py"))
        baseline_import = BASELINE_IMPORT.format(
            file=str(ROOT / "coverage" / "catalog.py"),
            loader=str(sources["loader"]),
            catalog=str(sources["catalog"]),
        )
        scripts = {"baseline": CHILD.format(catalog_import=baseline_import, **fill), **scripts}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    results: dict[str, list[tuple[float, float, float, float]]] = {n: [] for n in scripts}
    for _ in range(args.repeats):
        for name, script in scripts.items():
            results[name].append(cold_process(script, env))
    print(
        f"  cold process (import, load {args.plans:,} plans from the disk cache, one check, "
        "exit), medians:"
    )
    for name, runs in results.items():
        wall, cpu, exit_cpu, peak = (statistics.median(r[i] for r in runs) for i in range(4))
        print(
            f"    {name}: {wall:.3f} s (CPU {cpu:.3f} s, of which {exit_cpu:.3f} s after the "
            f"work: tearing down at exit); peak RSS {peak:.0f} MiB"
        )
    wall = statistics.median(r[0] for r in results["ours"])
    cpu = statistics.median(r[1] for r in results["ours"])
    print(
        f"    target: cold process < 1 s: {'met' if wall < 1 else 'NOT met'} by wall time "
        f"({wall:.2f} s), {'met' if cpu < 1 else 'NOT met'} by CPU time ({cpu:.2f} s; load "
        f"average {os.getloadavg()[0]:.1f})"
    )


CLI_CHECK = """
import atexit, resource, sys
# Registered before the command's own exit handlers, so it runs after them: the CPU time
# printed is the time before the interpreter tears itself down.
atexit.register(lambda: print(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), file=sys.stderr))
sys.argv = ["secondlook", "check", "--case", {case!r}]
try:
    from secondlook.console import main
except ImportError:  # an older tree
    from secondlook.cli import main
main()
"""


def export_tree(rev: str, target: Path) -> bool:
    """The code and data of git revision `rev`, unpacked in `target` (False if git cannot)."""
    target.mkdir(parents=True)
    try:
        archive = subprocess.run(
            ["git", "archive", rev, "coverage", "secondlook", "data", "examples"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def bench_cli_check(args, tmp: Path) -> None:
    """`secondlook check --case <an example case>` as a user runs it, in a new process each
    time (the shipped catalog, its disk cache written by an untimed first call): this tree's
    and the tree at --catalog-baseline, taking turns."""
    trees = {"ours": ROOT}
    if args.catalog_baseline != "none" and export_tree(args.catalog_baseline, tmp / "cli-base"):
        trees = {"baseline": tmp / "cli-base", **trees}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONSAFEPATH", None)  # the tree's own folder first on sys.path
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    scripts = {}
    for name, tree in trees.items():
        case = sorted((tree / "examples" / "cases").glob("*.yaml"))[0]
        scripts[name] = CLI_CHECK.format(case=str(case))
        subprocess.run(
            [sys.executable, "-c", scripts[name]],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
        )
    for _ in range(args.repeats):
        for name, tree in trees.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", scripts[name]],
                cwd=tree,  # the tree's own packages come first on sys.path
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            results[name].append((wall, cpu, cpu - float(done.stderr.split()[-1])))
    print(
        "  `secondlook check --case ...` in a new process (shipped catalog, disk cache), medians:"
    )
    for name, runs in results.items():
        wall, cpu, exit_cpu = (statistics.median(r[i] for r in runs) for i in range(3))
        label = name if name == "ours" else f"{name} ({args.catalog_baseline})"
        print(
            f"    {label}: {wall:.3f} s (CPU {cpu:.3f} s, of which {exit_cpu:.3f} s tearing down "
            "at exit)"
        )


def var_cache_files() -> dict[str, tuple[int, int]]:
    """The repository's var/cache/ (where the app keeps its plan cache): name -> (size, mtime)."""
    folder = ROOT / "var" / "cache"
    if not folder.is_dir():
        return {}
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--load-repeats", type=int, default=3, help="repeats of first loads")
    parser.add_argument(
        "--baseline",
        default=BASELINE_REV,
        help="git revision of the engine to time side by side ('none' to skip)",
    )
    parser.add_argument(
        "--catalog-baseline",
        default=CATALOG_BASELINE_REV,
        help="git revision of the catalog and loader to time side by side ('none' to skip)",
    )
    args = parser.parse_args()
    var_before = var_cache_files()
    tmp = Path(tempfile.mkdtemp(prefix="bench-coverage-"))
    os.environ["SECONDLOOK_CACHE_DIR"] = str(tmp / "cache")  # every disk cache goes here
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        var_after = var_cache_files()
        touched = sorted(n for n in var_after if var_before.get(n) != var_after[n])
        left = touched + ([str(tmp)] if tmp.exists() else [])
        print(
            f"  files left behind: {left or 'none'} (every cache was in the temporary folder, "
            f"{'not ' if tmp.exists() else ''}removed; var/cache/ "
            f"{'changed' if touched else 'unchanged: no file new or modified'})"
        )


def run(args, tmp: Path) -> None:
    print(f"Coverage benchmark on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    law = load_lawbook()
    cases = [load_model(Case, p) for p in sorted((ROOT / "examples" / "cases").glob("*.yaml"))]
    shipped = list(load_catalog().plans.values())
    print(
        f"  {len(shipped)} shipped plans, {len(cases)} example cases, median of {args.repeats}"
        f" (first loads: of {args.load_repeats})"
    )
    bench_engine(args, shipped, cases, law, tmp)

    folder = tmp / "plans"
    folder.mkdir()
    generate_catalog(folder, args.plans)
    import coverage.catalog as ours_module

    base_module = (
        None if args.catalog_baseline == "none" else load_baseline_catalog(args.catalog_baseline)
    )
    ours = Loader(ours_module, folder)
    base = None if base_module is None else Loader(base_module, folder)
    print(
        f"  catalog of {args.plans:,} generated plans"
        + ("" if base is None else f"; baseline: catalog and loader at {args.catalog_baseline}")
    )
    if base is not None:
        compare_plans(base, ours)
    bench_loads(base, ours, args)
    print("  peak memory of Python allocations while loading:")
    bench_memory(base, ours)
    bench_cold_process(args, folder, tmp, base is not None)
    bench_cli_check(args, tmp)
    ours.run("cold")
    plans = list(ours.plans().values())
    # Building plans paused the cyclic GC; collect now, so no engine timing pays for it.
    gc.collect()
    bench_big_catalog_rates(plans, shipped, cases, law, args)


if __name__ == "__main__":
    main()
