"""Letters benchmark: .docx letters per second, plain docxtpl vs the compiled renderer, and PDFs
per second, warm LibreOffice vs one soffice start per letter.

Run: .venv/bin/python bench/bench_letters.py [--letters 200] [--repeats 5] [--pdf-letters 8]
     [--no-pdf] [--rows 2000] [--baseline REV] [--warm]

Both renderers get the same templates (letters/templates/*.docx), the same contexts (every
letter type and the Medicare/Medicaid variants, from tests/fixtures/letters/) and the same Jinja
environment, in one process on one core. Before timing, every letter's text is compared: they
must be identical. Reported: medians over repeats, the ratio, and peak memory (tracemalloc, in a
separate untimed pass). Target (issue: letters): >= 50x plain docxtpl on one core.

Plain docxtpl is what a simple batch would do per letter: `DocxTemplate(path)`, `render`,
`save`. Ours compiles each template once (`letters.Renderer`), then renders each letter from the
compiled Jinja template and pre-compressed static zip members.

The fallback row is the price of a template or context the fast path does not take (pictures,
subdocuments, hyperlinks made with a DocxTemplate; tags in core properties): the same letters
through `CompiledTemplate(..., docxtpl_only=True)`, i.e. docxtpl plus the structural check of
the output (letters/package.py), against plain docxtpl.

Per batch row, before and after (--rows, --baseline): a batch row's work in a worker (parse the
cells, plan, check, context, render, sha256; the batch's `process_row` with the bytes kept in
memory, no file written) as it is now, and as it was at git revision --baseline (its
secondlook/batch/work.py and rows.py, coverage/fields.py, letters/renderer.py, package.py and
law_text.py loaded into this process beside ours; everything else shared). Interleaved runs on
the same fictional rows (tests/batch_support.py), with one records_request each, then with
`auto` (the letters each check recommends: requests, appeals, ...); every outcome of both must
be the same, every letter byte for byte. The shared answers (secondlook/batch/shared.py) start empty in every timed run, so
the misses of a run's first rows are in its time: a longer batch shares more. With --warm they
are kept from run to run (filled before timing): a long batch's steady state.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from letters_support import GOLDEN_CASES, TODAY, docx_text, scenario  # noqa: E402

import letters  # noqa: E402
from letters.renderer import (  # noqa: E402
    TEMPLATES_DIR,
    CompiledTemplate,
    Renderer,
    make_environment,
    render_with_docxtpl,
)


def workload(count: int) -> list[tuple[str, dict]]:
    """`count` (letter type, context) pairs, cycling through every golden case."""
    base = []
    for name, letter_type in GOLDEN_CASES:
        case, plan, determination = scenario(name)
        context = letters.build_context(letter_type, case, plan, determination, today=TODAY)
        base.append((letter_type, context.model_dump()))
    return [base[i % len(base)] for i in range(count)]


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_kib(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def bench_docx(count: int, repeats: int) -> None:
    jobs = workload(count)
    env = make_environment()
    sources = {t: (TEMPLATES_DIR / f"{t}.docx").read_bytes() for t in letters.LETTER_TYPES}

    def plain() -> list[bytes]:
        return [render_with_docxtpl(sources[t], ctx, env) for t, ctx in jobs]

    start = time.perf_counter()
    renderer = Renderer()
    for t in letters.LETTER_TYPES:
        renderer.template(t)
    compile_ms = (time.perf_counter() - start) * 1000

    def ours() -> list[bytes]:
        return [renderer.render_context(t, ctx) for t, ctx in jobs]

    slow = {t: CompiledTemplate(sources[t], env=env, docxtpl_only=True) for t in sources}

    def fallback() -> list[bytes]:
        return [slow[t].render(ctx) for t, ctx in jobs]

    # Same text for every letter (checked once, outside the timings).
    distinct = {id(ctx): (t, ctx) for t, ctx in jobs}.values()
    for t, ctx in distinct:
        a = docx_text(render_with_docxtpl(sources[t], ctx, env))
        b = docx_text(renderer.render_context(t, ctx))
        c = docx_text(slow[t].render(ctx))
        if not a == b == c:
            raise SystemExit(f"text differs for {t}: the benchmark is void")
    print(
        f"checked: identical text for {len(distinct)} distinct letters "
        f"({len(letters.LETTER_TYPES)} types)"
    )

    # Interleaved (plain, ours, plain, ours, ...) so that load from other processes on this
    # shared machine hits both alike; the ratio is taken per pair, then the median.
    runs = [
        (median_seconds(plain, 1), median_seconds(ours, 1), median_seconds(fallback, 1))
        for _ in range(repeats)
    ]
    plain_s = statistics.median(p for p, _, _ in runs)
    ours_s = statistics.median(o for _, o, _ in runs)
    fallback_s = statistics.median(f for _, _, f in runs)
    ratio = statistics.median(p / o for p, o, _ in runs)
    best = min(p for p, _, _ in runs) / min(o for _, o, _ in runs)
    fallback_cost = statistics.median(f / p for p, _, f in runs)
    plain_peak = peak_kib(plain)
    ours_peak = peak_kib(ours)

    # End to end (context built from case, plan and determination each time), for reference.
    cases = [(t, scenario(n)) for n, t in GOLDEN_CASES]
    full_jobs = [cases[i % len(cases)] for i in range(count)]

    def end_to_end() -> None:
        for t, (case, plan, determination) in full_jobs:
            renderer.render(t, case, plan, determination, today=TODAY)

    full_s = median_seconds(end_to_end, repeats)

    size = statistics.median(len(b) for b in ours()[: len(GOLDEN_CASES)])
    print()
    print(f".docx letters, {count} per run, median of {repeats} runs, one process, one core")
    print(f"{'renderer':<44}{'letters/s':>12}{'ms/letter':>11}{'peak KiB':>11}")
    print(
        f"{'plain docxtpl (new DocxTemplate+render+save)':<44}"
        f"{count / plain_s:>12,.0f}{plain_s / count * 1000:>11.2f}{plain_peak:>11,.0f}"
    )
    print(
        f"{'compiled (letters.Renderer.render_context)':<44}"
        f"{count / ours_s:>12,.0f}{ours_s / count * 1000:>11.3f}{ours_peak:>11,.0f}"
    )
    print(
        f"{'docxtpl fallback (docxtpl_only=True)':<44}"
        f"{count / fallback_s:>12,.0f}{fallback_s / count * 1000:>11.2f}{'':>11}"
    )
    print(
        f"{'compiled + build_context (Renderer.render)':<44}"
        f"{count / full_s:>12,.0f}{full_s / count * 1000:>11.3f}{'':>11}"
    )
    print(
        f"speed-up, compiled vs plain docxtpl: {ratio:.0f}x median of per-run ratios, "
        f"{best:.0f}x best run vs best run (target >= 50x)"
    )
    print(
        f"fallback cost: {fallback_cost:.2f}x the time of plain docxtpl (median of per-run "
        f"ratios), {fallback_s / ours_s:.0f}x the fast path"
    )
    print(
        f"one-time compile of {len(letters.LETTER_TYPES)} templates: {compile_ms:.0f} ms; "
        f"median letter size {size / 1024:.1f} KiB"
    )


def bench_pdf(count: int) -> None:
    from letters.pdf import PdfConverter, convert_batch, docx_to_pdf

    jobs = workload(count)
    renderer = Renderer()
    docs = [renderer.render_context(t, ctx) for t, ctx in jobs]

    start = time.perf_counter()
    warm = PdfConverter().start()
    start_s = time.perf_counter() - start
    try:
        warm.convert(docs[0])  # first conversion loads filters and fonts
        start = time.perf_counter()
        for doc in docs:
            warm.convert(doc)
        warm_s = time.perf_counter() - start
    finally:
        warm.close()

    start = time.perf_counter()
    for doc in docs:
        docx_to_pdf(doc)
    cold_s = time.perf_counter() - start

    start = time.perf_counter()
    convert_batch({str(i): doc for i, doc in enumerate(docs)})
    batch_s = time.perf_counter() - start

    print()
    print(f"PDF, {count} letters (LibreOffice {'headless'}), one run each")
    print(f"{'converter':<48}{'PDFs/s':>9}{'s/PDF':>9}")
    print(
        f"{'one soffice start per letter (docx_to_pdf)':<48}"
        f"{count / cold_s:>9.2f}{cold_s / count:>9.2f}"
    )
    print(
        f"{'warm LibreOffice via unoserver (PdfConverter)':<48}"
        f"{count / warm_s:>9.2f}{warm_s / count:>9.2f}   (+{start_s:.1f} s start, once)"
    )
    print(
        f"{'one soffice run for all letters (convert_batch)':<48}"
        f"{count / batch_s:>9.2f}{batch_s / count:>9.2f}   (start included)"
    )
    print(f"speed-up, warm vs one start per letter: {cold_s / warm_s:.1f}x")


BASELINE = "4370e33"  # main before the per-row sharing and the zip layout done once


def _baseline_module(rev: str, path: str, name: str, renames: dict[str, str]) -> types.ModuleType:
    """The module at `path` as it was at git revision `rev`, as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for old, new in renames.items():
        source = source.replace(old, new)
    module = types.ModuleType(name)
    module.__file__ = str(ROOT / path)
    sys.modules[name] = module
    exec(compile(source, f"<{rev}:{path}>", "exec"), module.__dict__)  # noqa: S102
    return module


def baseline_row(rev: str) -> Callable:
    """`process_row` as it was at `rev`, with the letters renderer of that revision."""
    from secondlook.batch.renderers import LettersRenderer

    _baseline_module(rev, "coverage/fields.py", "baseline_coverage_fields", {})
    _baseline_module(
        rev,
        "secondlook/batch/rows.py",
        "baseline_batch_rows",
        {"from coverage import fields\n": "import baseline_coverage_fields as fields\n"},
    )
    _baseline_module(rev, "letters/package.py", "baseline_letters_package", {})
    renderer = _baseline_module(
        rev,
        "letters/renderer.py",
        "baseline_letters_renderer",
        {"letters.package": "baseline_letters_package"},
    )
    work = _baseline_module(
        rev,
        "secondlook/batch/work.py",
        "baseline_batch_work",
        {"secondlook.batch.rows import": "baseline_batch_rows import"},
    )
    drawer = LettersRenderer()
    drawer._renderer = renderer.Renderer(TEMPLATES_DIR)
    work.renderer_for = lambda spec: drawer
    # The letters' sentences of law as worded at `rev` (a module global the letter builders
    # look up on each call), swapped in around each baseline row.
    law_text = _baseline_module(rev, "letters/law_text.py", "baseline_law_text", {})
    import letters.law_text

    def process_row(*args: object) -> object:
        ours = letters.law_text._law
        letters.law_text._law = law_text._law
        try:
            return work.process_row(*args)
        finally:
            letters.law_text._law = ours

    return process_row


def _outcome(outcome) -> tuple:  # noqa: ANN001
    files = [(f.name, f.data) for f in outcome.files]
    return (outcome.status, outcome.letters, outcome.errors, outcome.warnings, files)


def bench_rows(count: int, repeats: int, rev: str, letter: str, warm: bool = False) -> None:
    from batch_support import good_row

    from secondlook.batch import shared
    from secondlook.batch.outcome import Job
    from secondlook.batch.work import process_row

    try:
        before = baseline_row(rev)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"\nper batch row: git cannot give revision {rev} ({type(err).__name__}); skipped")
        return
    job = Job(
        "bench",
        letter,
        False,
        dt.date(2026, 11, 24),
        "secondlook.batch:letters_renderer",
        None,
    )
    rows = [(n + 2, {k: v for k, v in good_row(n).items() if v}) for n in range(count)]

    def run(row: Callable) -> list:
        if not warm:
            shared._shared = shared.SharedWork()  # every run starts with nothing shared
        return [row(job, number, cells) for number, cells in rows]

    old, new = run(before), run(process_row)  # with --warm, these fill the shared answers
    for a, b in zip(old, new, strict=True):
        if _outcome(a) != _outcome(b) or (letter != "auto" and a.status != "ok"):
            raise SystemExit(
                f"row {a.row}: the outcome differs from {rev}'s: the benchmark is void"
            )
    answers = len(shared.shared_work().answers)
    made = sum(len(o.files) for o in new)
    load_before = os.getloadavg()[0]
    pairs = []
    for _ in range(repeats):
        pair = []
        for row in (before, process_row):
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            run(row)
            pair.append((time.perf_counter() - wall, time.process_time() - cpu))
        pairs.append(pair)
    load_after = os.getloadavg()[0]

    def per_row(index: int, clock: int) -> float:
        return statistics.median(p[index][clock] for p in pairs) / count * 1e6

    ratio = statistics.median(p[0][1] / p[1][1] for p in pairs)
    print()
    print(
        f"per batch row ({count} rows, --letter {letter}, no file written"
        f"{', shared answers warm' if warm else ''}): {rev} vs now, "
        f"median of {repeats} interleaved runs; load average {load_before:.1f} -> {load_after:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"checked: every outcome the same, its {made} letters byte for byte; "
        f"{answers} distinct answers worked out for {count} rows"
    )
    print(f"{'':<28}{'µs/row (wall)':>15}{'µs/row (CPU)':>15}{'rows/CPU-s':>12}")
    for label, index in ((f"baseline {rev}", 0), ("now", 1)):
        cpu = per_row(index, 1)
        print(f"{label:<28}{per_row(index, 0):>15,.0f}{cpu:>15,.0f}{1e6 / cpu:>12,.0f}")
    print(f"speed-up by CPU time: {ratio:.2f}x (median of per-pair ratios)")


def bench_render(count: int, repeats: int, rev: str) -> None:
    """The compiled renderer alone, at `rev` and now, on the same contexts (every letter type)."""
    try:
        _baseline_module(rev, "letters/package.py", "baseline_letters_package", {})
        renames = {"letters.package": "baseline_letters_package"}
        module = _baseline_module(rev, "letters/renderer.py", "baseline_letters_renderer", renames)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"\nrender: git cannot give revision {rev} ({type(err).__name__}); skipped")
        return
    jobs = workload(count)
    before, now = module.Renderer(TEMPLATES_DIR), Renderer()
    for t, ctx in jobs[: len(GOLDEN_CASES)]:
        if before.render_context(t, ctx) != now.render_context(t, ctx):
            raise SystemExit(f"{t}: the letter differs from {rev}'s: the benchmark is void")
    pairs = []
    for _ in range(repeats):
        pair = []
        for renderer in (before, now):
            gc.collect()
            cpu = time.process_time()
            for t, ctx in jobs:
                renderer.render_context(t, ctx)
            pair.append((time.process_time() - cpu) / count * 1e6)
        pairs.append(pair)
    old = statistics.median(p[0] for p in pairs)
    new = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[0] / p[1] for p in pairs)
    print()
    print(
        f"render only (Renderer.render_context, {count} letters of every type): {rev} vs now, "
        f"median of {repeats} interleaved runs, load average {os.getloadavg()[0]:.1f}; "
        f"letters byte for byte the same"
    )
    print(f"  µs of CPU per letter: {old:,.0f} at {rev}, {new:,.0f} now ({ratio:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=200, help="letters per timed run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pdf-letters", type=int, default=8)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--rows", type=int, default=2000, help="rows per timed run (0: skip)")
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare rows with")
    parser.add_argument("--rows-only", action="store_true", help="only the per-row comparison")
    parser.add_argument(
        "--row-letters", default="records_request,auto", help="--letter of the per-row runs"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="per-row runs keep the shared answers of the runs before (a long batch's steady "
        "state: every check already worked out)",
    )
    args = parser.parse_args()
    if args.rows:
        for letter in args.row_letters.split(","):
            bench_rows(args.rows, args.repeats, args.baseline, letter, args.warm)
        bench_render(args.letters, args.repeats, args.baseline)
    if args.rows_only:
        return
    bench_docx(args.letters, args.repeats)
    if not args.no_pdf:
        bench_pdf(args.pdf_letters)


if __name__ == "__main__":
    main()
