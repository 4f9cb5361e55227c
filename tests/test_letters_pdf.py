"""PDF through LibreOffice: every letter type, warm (unoserver) and batch (one soffice run)."""

from __future__ import annotations

import re
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


def pdf_facts(data: bytes, tmp_path) -> dict[str, str]:
    """What poppler reports: Tagged (a marked, structured PDF), and the PDF/A identification
    from the XMP metadata stream; plus whether the catalog has a structure tree."""
    path = tmp_path / "facts.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    meta = subprocess.run(
        ["pdfinfo", "-meta", str(path)], capture_output=True, check=True, text=True
    ).stdout
    facts = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    part = re.search(r"<pdfaid:part>(\d)</pdfaid:part>", meta)
    level = re.search(r"<pdfaid:conformance>(\w)</pdfaid:conformance>", meta)
    return {
        "tagged": facts["Tagged"].strip(),
        "pdfa": f"{part.group(1)}{level.group(1)}" if part and level else "",
        "structure": "yes" if re.search(rb"/StructTreeRoot\s+\d+\s+0\s+R", data) else "no",
    }


def test_letters_are_tagged_pdfa_2b_by_default(converter, tmp_path):
    docx = rendered("commercial-denied", "claim_file_request")
    for data in (converter.convert(docx), pdf.docx_to_pdf(docx)):
        assert pdf_facts(data, tmp_path) == {"tagged": "yes", "pdfa": "2B", "structure": "yes"}
    plain = converter.convert(docx, pdfa=False)
    assert pdf_facts(plain, tmp_path) == {"tagged": "yes", "pdfa": "", "structure": "yes"}


def test_each_converter_has_its_own_profile():
    with pdf.PdfConverter() as first, pdf.PdfConverter() as second:
        first.convert(rendered("commercial-denied", "claim_file_request"))
        second.convert(rendered("commercial-denied", "claim_file_request"))
        assert first.profile_dir != second.profile_dir
        assert first.profile_dir.is_dir() and second.profile_dir.is_dir()


def test_one_soffice_run_converts_many(tmp_path):
    docs = {f"{n}__{t}": rendered(n, t) for n, t in GOLDEN_CASES[:4]}
    out = pdf.convert_batch(docs, pdfa=True)
    assert set(out) == set(docs)
    for name, data in out.items():
        assert pdf_facts(data, tmp_path)["pdfa"] == "2B", name


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
