"""Memory stays flat as the input grows: the readers stream, and the run keeps its state on disk.

Measured with tracemalloc below the UI (no timings). The benchmark (bench/bench_batch.py) gives
the peak RSS of whole runs at 10,000 and 100,000 rows.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest
from batch_support import good_row, write_rows

from secondlook.batch import BatchOptions, RowOutcome, run_batch, work
from secondlook.batch.readers import InputFile


def _rows(n: int) -> list[dict[str, str]]:
    return [good_row(i % 100) | {"case_id": f"C{i:07d}"} for i in range(n)]


def _peak(fn) -> int:  # noqa: ANN001
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_reading_rows_does_not_grow_with_the_file(tmp_path, suffix):
    columns = list(good_row(0))
    small = write_rows(tmp_path / f"small{suffix}", _rows(100), columns)
    large = write_rows(tmp_path / f"large{suffix}", _rows(1000), columns)

    small_peak = _peak(lambda: sum(1 for _ in InputFile(small)))
    large_peak = _peak(lambda: sum(1 for _ in InputFile(large)))
    # Ten times the rows; XLSX keeps its shared-strings table (unique cells) in memory.
    allowance = 150 if suffix == ".csv" else 600
    assert large_peak < small_peak + allowance * 1024, (small_peak, large_peak)


def test_the_run_keeps_its_per_row_state_on_disk(tmp_path, monkeypatch):
    """Main-process memory of a run (reading, triage, journal, manifest) for 500 and 5,000 rows.

    The per-row work is replaced by a trivial outcome so that only the run's own bookkeeping is
    measured; the real work is measured by the benchmark's peak RSS.
    """

    def trivial(job, rows):  # noqa: ANN001, ANN202
        return [RowOutcome(n, str(c["case_id"]), "ok", ["records_request"]) for n, c in rows]

    monkeypatch.setattr(work, "process_rows", trivial)
    options = BatchOptions(
        letter="records_request", renderer="batch_support:quick_renderer", today=dt.date(2026, 1, 5)
    )
    small = write_rows(tmp_path / "small.csv", _rows(500))
    large = write_rows(tmp_path / "large.csv", _rows(5000))
    run_batch(small, tmp_path / "warm", options)  # imports and caches outside the measurement
    small_peak = _peak(lambda: run_batch(small, tmp_path / "small", options))
    large_peak = _peak(lambda: run_batch(large, tmp_path / "large", options))
    # The only per-row memory is the set of case ids seen (duplicate check): ~100 bytes a row.
    assert large_peak < small_peak + 4500 * 200, (small_peak, large_peak)
    assert (tmp_path / "large/manifest.csv").read_text(encoding="utf-8-sig").count("\n") == 5001
