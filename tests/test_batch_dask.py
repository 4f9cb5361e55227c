"""Batch on a Dask distributed cluster (a LocalCluster with three worker processes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import distributed
import pytest
from batch_support import acceptance_rows, tree_digest, write_rows

from secondlook.batch import DEFAULT_RENDERER, BatchError, BatchOptions, read_manifest, run_batch


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def test_a_dask_cluster_gives_the_same_letters_and_manifest_as_a_local_run(
    tmp_path, cluster, monkeypatch
):
    """Workers that share the output's file system write the letter files themselves; workers
    that do not send the bytes back and the client writes them. Same letters either way."""
    import secondlook.batch.run as run
    import secondlook.files as files

    rows, broken = acceptance_rows(300, broken_every=30)
    source = write_rows(tmp_path / "cases.csv", rows)
    common = {
        "letter": "records_request",
        "renderer": DEFAULT_RENDERER,
        "today": dt.date(2026, 11, 24),
    }
    local = run_batch(source, tmp_path / "local", BatchOptions(**common))
    letters_by_client = []
    real_write = files.write_atomic

    def client_writes(path, data, **kwargs):  # noqa: ANN001, ANN003, ANN202
        if Path(path).suffix == ".docx":
            letters_by_client.append(Path(path).name)
        return real_write(path, data, **kwargs)

    monkeypatch.setattr(files, "write_atomic", client_writes)
    dask = BatchOptions(scheduler=cluster.scheduler_address, chunk_size=16, **common)
    shared = run_batch(source, tmp_path / "shared", dask)
    assert letters_by_client == []  # the workers wrote every letter

    monkeypatch.setattr(run, "shared_mark", lambda state: str(state / ".shared-not-made"))
    apart = run_batch(source, tmp_path / "apart", dask)
    assert len(letters_by_client) == 290  # the client wrote every letter from the bytes

    for out, summary in (("shared", shared), ("apart", apart)):
        assert (summary.rows, summary.ok, summary.errors) == (300, 290, 10)
        assert (local.rows, local.ok, local.errors) == (300, 290, 10)
        assert read_manifest(tmp_path / out / "manifest.csv") == read_manifest(
            tmp_path / "local/manifest.csv"
        )
        assert tree_digest(tmp_path / out / "letters") == tree_digest(tmp_path / "local/letters")
        assert not list((tmp_path / out / ".secondlook-batch").glob(".shared-*"))

    again = run_batch(source, tmp_path / "shared", dask)
    assert (again.reused, again.files_written) == (290, 0)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    source = write_rows(tmp_path / "cases.csv", acceptance_rows(3)[0])
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_batch(
            source,
            tmp_path / "out",
            BatchOptions(
                letter="records_request", scheduler="tcp://127.0.0.1:9", scheduler_timeout=1
            ),
        )


def test_zip_output_on_a_dask_cluster_equals_a_local_run(tmp_path, cluster, monkeypatch):
    """Workers that share the output's file system (as a LocalCluster's do) write their chunk
    files themselves; workers that do not send the bytes back and the client writes them. The
    archive and the manifest are the same either way."""
    import secondlook.batch.dispatch as dispatch
    import secondlook.batch.run as run

    source = write_rows(tmp_path / "cases.csv", acceptance_rows(100, broken_every=30)[0])
    common = {
        "letter": "records_request",
        "renderer": DEFAULT_RENDERER,
        "today": dt.date(2026, 11, 24),
        "letters_into": "zip",
    }
    run_batch(source, tmp_path / "local", BatchOptions(**common))
    written_by_client = []
    real_write = dispatch.write_chunk

    def client_writes(path, outcomes):  # noqa: ANN001, ANN202
        written_by_client.append(path.name)
        return real_write(path, outcomes)

    monkeypatch.setattr(dispatch, "write_chunk", client_writes)
    dask = BatchOptions(scheduler=cluster.scheduler_address, chunk_size=16, **common)
    shared = run_batch(source, tmp_path / "shared", dask)
    assert (shared.ok, shared.errors) == (97, 3)
    assert written_by_client == []  # the workers wrote every chunk

    monkeypatch.setattr(run, "shared_mark", lambda state: str(state / ".shared-not-made"))
    apart = run_batch(source, tmp_path / "apart", dask)
    assert (apart.ok, apart.errors) == (97, 3)
    assert len(written_by_client) == 7  # the client wrote every chunk from the bytes
    for out in ("shared", "apart"):
        for name in ("manifest.csv", "letters.zip"):
            assert (tmp_path / out / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
        chunks = sorted(p.name for p in (tmp_path / out / ".secondlook-batch/chunks").iterdir())
        assert len(chunks) == 7 and not [n for n in chunks if n.startswith(".")]
