"""Notice reader benchmark: field-level accuracy on the shipped fictional notices, time per
notice and peak memory; the picture preparation (even light, straightening, turning) against
plain OCR of the same pictures, side by side.

Run: .venv/bin/python bench/bench_notices.py [--repeats 1] [--no-baseline] [--only ID ...]

Accuracy: every field of every notice in tests/fixtures/notices/*.yaml against its expected value.
"exact" is equality; "normalised" ignores case, curly quotes, dashes and spacing, the trailing
full stop, and compares phone and fax numbers by their digits. A field the notice does not print
counts as correct when the reader also leaves it empty. Reasons are also compared by character
similarity (difflib ratio), which shows how close an OCR'd reason is when it is not exact.

Time: wall time and CPU time (this process and the tools it ran, which is what a shared machine
can compare) per notice, median over notices (and over repeats). Memory: the Python heap peak
per reading (tracemalloc, a separate untimed pass) and the largest peak RSS of a tool process.

The baseline is the same reader with the picture preparation switched off (pictures OCR'd as
they are, in grey); text PDFs do not use it, so only notices that need OCR are compared.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import re
import resource
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secondlook.notices import FIELD_NAMES, NoticeError, extract, images, ocr, read_notice  # noqa: E402
from secondlook.notices.intake import Document  # noqa: E402
from secondlook.notices.layout import Line, Page  # noqa: E402
from secondlook.notices.text import normalise  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "notices"
NUMBER_FIELDS = {"send_to_fax", "send_to_phone"}


def loose(field: str, value: object) -> object:
    if value is None:
        return None
    if field in NUMBER_FIELDS:
        return re.sub(r"\D", "", str(value)).removeprefix("1")
    if isinstance(value, list):
        return [loose(field, item) for item in value]
    if isinstance(value, str):
        return normalise(value).rstrip(".")
    return value


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    tools = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + tools.ru_utime + tools.ru_stime


@contextlib.contextmanager
def plain_ocr():
    """The baseline: no light flattening, no speck filter, no straightening or turning."""
    saved = images.prepare, images.looks_sideways, images.tilt_angle, ocr._osd_rotation
    images.prepare = lambda picture, limits: picture.convert("L")
    images.looks_sideways = lambda gray: False
    images.tilt_angle = lambda gray: 0.0
    ocr._osd_rotation = lambda gray, budget, workdir: 0
    try:
        yield
    finally:
        images.prepare, images.looks_sideways, images.tilt_angle, ocr._osd_rotation = saved


def read_once(path: Path) -> tuple[object, float, float]:
    data = path.read_bytes()
    gc.collect()
    wall, cpu = time.perf_counter(), cpu_seconds()
    try:
        reading = read_notice(data, path.name)
    except NoticeError as error:
        reading = error
    return reading, time.perf_counter() - wall, cpu_seconds() - cpu


def score(spec: dict, reading) -> dict[str, tuple[bool, bool, float | None]]:
    out = {}
    for field in FIELD_NAMES:
        expected = spec["expected"][field]
        got = None if isinstance(reading, Exception) else reading.plain_values()[field]
        similarity = None
        if field == "reason_quoted" and expected:
            similarity = difflib.SequenceMatcher(
                None, normalise(got or ""), normalise(expected)
            ).ratio()
        out[field] = (got == expected, loose(field, got) == loose(field, expected), similarity)
    return out


class ToolMemory:
    """The largest resident memory of a tool process (pdftotext, pdftoppm, tesseract) seen while
    reading, sampled every 10 ms. (RUSAGE_CHILDREN cannot tell: a child forked from this process
    counts this process's own pages as its peak.)"""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    self.peak = max(self.peak, child.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> ToolMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def heap_peak_mib(path: Path) -> float:
    data = path.read_bytes()
    gc.collect()
    tracemalloc.start()
    with contextlib.suppress(NoticeError):
        read_notice(data, path.name)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(specs: list[tuple[Path, dict]], repeats: int) -> dict:
    results = {}
    for path, spec in specs:
        file = FIXTURES / spec["file"]
        walls, cpus, reading = [], [], None
        for _ in range(repeats):
            reading, wall, cpu = read_once(file)
            walls.append(wall)
            cpus.append(cpu)
        results[path.stem] = {
            "source": getattr(reading, "source", type(reading).__name__),
            "scores": score(spec, reading),
            "wall": statistics.median(walls),
            "cpu": statistics.median(cpus),
        }
    return results


def accuracy_table(results: dict) -> list[str]:
    lines = ["| field | exact | normalised |", "|---|---|---|"]
    total_exact = total_loose = count = 0
    for field in FIELD_NAMES:
        exact = sum(r["scores"][field][0] for r in results.values())
        close = sum(r["scores"][field][1] for r in results.values())
        n = len(results)
        total_exact, total_loose, count = total_exact + exact, total_loose + close, count + n
        lines.append(f"| {field} | {exact}/{n} | {close}/{n} |")
    lines.append(
        f"| **all fields** | **{total_exact}/{count} ({100 * total_exact / count:.1f}%)** | "
        f"**{total_loose}/{count} ({100 * total_loose / count:.1f}%)** |"
    )
    return lines


def notice_table(results: dict, heap: dict[str, float]) -> list[str]:
    lines = [
        "| notice | source | fields exact | reason similarity | wall s | CPU s | heap peak MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        exact = sum(v[0] for v in r["scores"].values())
        similarity = r["scores"]["reason_quoted"][2]
        sim = "-" if similarity is None else f"{similarity:.3f}"
        lines.append(
            f"| {name} | {r['source']} | {exact}/{len(FIELD_NAMES)} | {sim} | {r['wall']:.2f} | "
            f"{r['cpu']:.2f} | {heap.get(name, float('nan')):.1f} |"
        )
    return lines


def medians(results: dict, label: str) -> list[str]:
    out = []
    groups = {"all": list(results.values())}
    if all(r["source"] != "text_pdf" for r in results.values()):
        groups = {}
    groups["text PDF"] = [r for r in results.values() if r["source"] == "text_pdf"]
    groups["OCR"] = [r for r in results.values() if r["source"] != "text_pdf"]
    for name, rows in groups.items():
        if rows:
            wall = statistics.median(r["wall"] for r in rows)
            cpu = statistics.median(r["cpu"] for r in rows)
            out.append(
                f"{label} median per notice ({name}, {len(rows)}): {wall:.2f} s wall, {cpu:.2f} s CPU"
            )
    return out


def hostile_text_seconds() -> list[str]:
    """CPU time of the rules alone on text no notice has: 3,000 lines of one unbroken paragraph
    full of the words the rules look for (the text a hostile PDF could hold)."""
    out = []
    for words in (
        "Send your appeal to the plan because it was denied because ",
        "Date: Claim number: Reference number: Fax 555-555-0100 Call 1-800-555-0100 ",
    ):
        lines = [
            Line(
                1 + i // 60,
                i % 60 + 1,
                words * 2,
                1,
                (0.1, (i % 60) / 61, 0.9, (i % 60) / 61 + 0.01),
            )
            for i in range(3000)
        ]
        pages = tuple(Page(n, tuple(x for x in lines if x.page == n), "text") for n in range(1, 51))
        start = cpu_seconds()
        extract.read(Document("text_pdf", pages, len(pages)))
        out.append(f"rules on 3,000 lines of '{words[:24]}...': {cpu_seconds() - start:.2f} s CPU")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    specs = [
        (path, yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(FIXTURES.glob("*.yaml"))
        if not args.only or path.stem in args.only
    ]
    results = run(specs, args.repeats)
    heap = {path.stem: heap_peak_mib(FIXTURES / spec["file"]) for path, spec in specs}
    with ToolMemory() as tools:
        for _, spec in specs:
            read_once(FIXTURES / spec["file"])
    print("## Field accuracy, reader as shipped\n")
    print("\n".join(accuracy_table(results)))
    print("\n## Per notice\n")
    print("\n".join(notice_table(results, heap)))
    print()
    print("\n".join(medians(results, "reader")))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS of this process: {own:.0f} MiB; largest tool process (sampled): "
        f"{tools.peak / 2**20:.0f} MiB; Python heap peak per reading: median "
        f"{statistics.median(heap.values()):.1f} MiB, max {max(heap.values()):.1f} MiB"
    )
    print("\n## Hostile text (bounds of the rules)\n")
    print("\n".join(hostile_text_seconds()))
    if not args.no_baseline:
        ocr_specs = [(p, s) for p, s in specs if results[p.stem]["source"] != "text_pdf"]
        with plain_ocr():
            baseline = run(ocr_specs, args.repeats)
        shipped = {name: results[name] for name in baseline}
        print("\n## Picture preparation: plain OCR (baseline) vs as shipped, OCR notices only\n")
        base_rows = accuracy_table(baseline)[-1]
        ours_rows = accuracy_table(shipped)[-1]
        print("| reader | fields exact | fields normalised |\n|---|---|---|")
        print(base_rows.replace("**all fields**", "plain OCR"))
        print(ours_rows.replace("**all fields**", "as shipped"))
        print()
        print("\n".join(medians(baseline, "plain OCR")))
        print("\n".join(medians(shipped, "as shipped")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
