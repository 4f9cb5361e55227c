"""PDF conversion never hangs: a LibreOffice that does not answer is killed, with everything it
started, and the caller gets a PdfError. Fake LibreOffices here, so these tests are fast."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
import xmlrpc.client
from pathlib import Path

import pytest

from letters import pdf

HANGING_SOFFICE = """#!/bin/sh
# a LibreOffice that starts a helper and never finishes; notes its arguments and pids
echo "$@" >> "{log}"
sleep 300 &
echo $! >> "{pids}"
echo $$ >> "{pids}"
wait
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def hanging_soffice(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    log, pids = tmp_path / "args.log", tmp_path / "pids"
    script.write_text(HANGING_SOFFICE.format(log=log, pids=pids))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log, pids


def test_a_hung_soffice_is_killed_and_reported(hanging_soffice):
    log, pids = hanging_soffice
    start = time.monotonic()
    with pytest.raises(pdf.PdfError, match="did not finish within 5 s and was stopped"):
        pdf.convert_batch({"a": b"docx"}, timeout=5)
    assert time.monotonic() - start < 30
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 2
    assert _gone(started)  # the helper too


def _gone(pids: list[int], wait: float = 5) -> bool:
    """SIGKILL is delivered asynchronously: give the kernel a moment."""
    deadline = time.monotonic() + wait
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_every_soffice_run_has_its_own_profile(hanging_soffice):
    log, _ = hanging_soffice
    for _ in range(2):
        with pytest.raises(pdf.PdfError):
            pdf.docx_to_pdf(b"docx", timeout=1)
    profiles = [
        next(a for a in line.split() if a.startswith("-env:UserInstallation="))
        for line in log.read_text().splitlines()
    ]
    assert len(profiles) == 2 and profiles[0] != profiles[1]


def test_a_warm_converter_that_stops_answering_is_stopped():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts connections, never answers
    server = subprocess.Popen(["sleep", "300"], start_new_session=True)
    converter = pdf.PdfConverter(timeout=1)
    converter._proc = server  # stands in for unoserver and LibreOffice
    port = silent.getsockname()[1]
    converter._proxy = xmlrpc.client.ServerProxy(
        f"http://127.0.0.1:{port}", allow_none=True, transport=pdf._TimeoutTransport(1)
    )
    try:
        with pytest.raises(pdf.PdfError, match="within 1 s and was stopped"):
            converter.convert(b"docx")
        assert converter._proc is None
        assert server.wait(timeout=10) is not None  # killed
    finally:
        silent.close()
        if server.poll() is None:
            server.kill()
