"""PDF through LibreOffice: every letter type, warm (unoserver) and batch (one soffice run)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from letters_support import GOLDEN_CASES, TODAY, scenario

import letters
from letters import pdf

pytestmark = pytest.mark.slow


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def page_count(data: bytes, tmp_path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )


@pytest.fixture(scope="module")
def converter():
    with pdf.PdfConverter() as warm:
        yield warm


def rendered(name: str, letter_type: str) -> bytes:
    case, plan, determination = scenario(name)
    return letters.render_letter(letter_type, case, plan, determination, today=TODAY)


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_every_letter_converts_and_fits_two_pages(converter, tmp_path, name, letter_type):
    data = converter.convert(rendered(name, letter_type))
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    case, _, _ = scenario(name)
    assert case.patient.name in text and "RE:" in text
    letters_in_doc = len(case.records_from) if letter_type == "records_request" else 1
    assert page_count(data, tmp_path) <= 2 * letters_in_doc  # one to two pages a letter


def test_pdfa_option(converter):
    data = converter.convert(rendered("commercial-denied", "claim_file_request"), pdfa=True)
    assert b"pdfaid:part" in data  # PDF/A identification in the XMP metadata
    plain = converter.convert(rendered("commercial-denied", "claim_file_request"))
    assert b"pdfaid:part" not in plain


def test_one_soffice_run_converts_many(tmp_path):
    docs = {f"{n}__{t}": rendered(n, t) for n, t in GOLDEN_CASES[:4]}
    out = pdf.convert_batch(docs, pdfa=True)
    assert set(out) == set(docs)
    for name, data in out.items():
        assert data.startswith(b"%PDF") and b"pdfaid:part" in data, name


def _live_members(group: int) -> list[int]:
    """Processes (not zombies) in a process group, from /proc."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live


def test_closing_the_converter_stops_libreoffice():
    warm = pdf.PdfConverter().start()
    proc = warm._proc
    assert proc is not None and proc.poll() is None
    assert len(_live_members(proc.pid)) >= 2  # unoserver and LibreOffice
    warm.close()
    assert proc.poll() is not None
    assert _live_members(proc.pid) == []  # nothing left behind (oosplash ignores SIGTERM)
