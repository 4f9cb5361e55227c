"""The notice reader is bounded and leaves nothing behind.

A bad or hostile file gets a typed `NoticeError` in plain words that never repeat the file's
name or content; limits on bytes, pages, pixels, printed text and time hold; the private
temporary folder is gone afterwards (after a reading, an error and a timeout alike), no tool is
left running, and nothing is logged or printed.
"""

from __future__ import annotations

import io
import logging
import stat
import struct
import tempfile
import zlib
from pathlib import Path

import psutil
import pytest
from PIL import Image

from secondlook import notices
from secondlook.notices import (
    DamagedFile,
    EmptyDocument,
    EncryptedPdf,
    FileTooLarge,
    ImageTooLarge,
    Limits,
    NoText,
    NoticeError,
    ReadTimeout,
    ToolMissing,
    TooMuchText,
    UnsupportedFile,
    intake,
    read_notice,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notices"
TEXT_PDF = FIXTURES / "erisa-self-funded-initial.pdf"
FAX = FIXTURES / "final-internal-fax.tiff"
MEMBER_FILENAME = "Elena-Marsh-BBA77120466-denial.pdf"  # a name a patient might give the file
MEMBER_WORDS = ("Elena", "Marsh", "BBA", "Juniper", "77120466")


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Point the system temporary folder at an empty folder, to see what a reading leaves."""
    root = tmp_path / "system-tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def expect_error(data: bytes, kind: type[NoticeError], limits: Limits | None = None) -> str:
    with pytest.raises(kind) as caught:
        read_notice(data, MEMBER_FILENAME, limits=limits)
    message = str(caught.value)
    assert message and "Traceback" not in message
    for word in (MEMBER_FILENAME, *MEMBER_WORDS):
        assert word not in message
    error = caught.value  # no chained exception that could carry the file's content
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return message


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A minimal PDF with a correct cross-reference table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be width x height (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# -- files that are not notices ------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 200,  # a .docx or .zip
        b"<html><body>Elena Marsh</body></html>",
        b"GIF89a" + b"\x00" * 100,
        bytes(range(256)) * 4,
    ],
    ids=["zip", "html", "gif", "binary"],
)
def test_a_file_that_is_not_a_pdf_or_picture_is_refused(data, private_tmp):
    message = expect_error(data, UnsupportedFile)
    assert "PNG, JPEG or TIFF" in message
    assert list(private_tmp.iterdir()) == []


def test_an_iphone_photo_gets_a_hint():
    with pytest.raises(UnsupportedFile, match="HEIC"):
        read_notice(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "IMG_0042.HEIC")


def test_an_empty_file_is_refused():
    expect_error(b"", EmptyDocument)
    expect_error(b"   \n", EmptyDocument)


def test_bytes_over_the_limit_are_refused_before_reading(private_tmp):
    message = expect_error(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024), FileTooLarge)
    assert "20 MB" in message
    expect_error(TEXT_PDF.read_bytes(), FileTooLarge, Limits(max_bytes=1000))
    assert list(private_tmp.iterdir()) == []


# -- PDFs -------------------------------------------------------------------------------------


def test_a_password_locked_pdf_says_so(private_tmp):
    message = expect_error((FIXTURES / "protected" / "locked.pdf").read_bytes(), EncryptedPdf)
    assert "password" in message
    assert list(private_tmp.iterdir()) == []


def test_a_pdf_with_no_pages_is_refused(private_tmp):
    zero = pdf_from_objects(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    )
    expect_error(zero, EmptyDocument)
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n%garbage that is not a PDF body\n", TEXT_PDF.read_bytes()[:3000]],
    ids=["garbage", "truncated"],
)
def test_a_damaged_pdf_gets_a_typed_error(data, private_tmp):
    expect_error(data, DamagedFile)
    assert list(private_tmp.iterdir()) == []


def test_only_the_first_pages_are_read_and_the_reading_says_so():
    reading = read_notice(TEXT_PDF.read_bytes(), "notice.pdf", limits=Limits(max_pages=1))
    assert (reading.pages_read, reading.pages_total) == (1, 2)
    assert reading.notes == ("Only the first 1 of 2 pages were read.",)
    assert reading.reason_quoted is not None  # page 1 holds the reason


def test_text_beyond_the_cap_is_refused():
    message = expect_error(TEXT_PDF.read_bytes(), TooMuchText, Limits(max_text_bytes=2000))
    assert "far more text" in message


@pytest.mark.slow
def test_a_huge_page_size_does_not_make_a_huge_picture(private_tmp, monkeypatch):
    """A 200-inch page without text is rasterised at the OCR size, not at 300 dpi."""
    huge = pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] >>",
        ]
    )
    sizes = []
    real = notices.images.prepare

    def spy(picture, limits):
        sizes.append(picture.size)
        return real(picture, limits)

    monkeypatch.setattr(notices.images, "prepare", spy)
    expect_error(huge, NoText)
    assert sizes and max(max(size) for size in sizes) <= Limits().ocr_long_side
    assert list(private_tmp.iterdir()) == []


# -- pictures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 8_000)], ids=["bomb", "over-limit"])
def test_a_decompression_bomb_is_refused_before_decoding(size, private_tmp):
    process = psutil.Process()
    before = process.memory_info().rss
    message = expect_error(png_header_only(*size), ImageTooLarge)
    assert "too large" in message
    assert process.memory_info().rss - before < 50 * 1024 * 1024
    assert list(private_tmp.iterdir()) == []


def test_a_picture_over_the_pixel_limit_is_refused():
    expect_error(FAX.read_bytes(), ImageTooLarge, Limits(max_pixels=1_000_000))


@pytest.mark.parametrize("cut", [200, 5000], ids=["header", "half-image"])
def test_a_truncated_picture_gets_a_typed_error(cut, private_tmp):
    data = (FIXTURES / "medicaid-mco-nabd.jpg").read_bytes()[:cut]
    expect_error(data, DamagedFile)
    assert list(private_tmp.iterdir()) == []


@pytest.mark.slow
def test_a_blank_page_says_no_text_was_found(private_tmp):
    blank = io.BytesIO()
    Image.new("L", (1275, 1650), 255).save(blank, "PNG")
    message = expect_error(blank.getvalue(), NoText)
    assert "photo" in message
    assert list(private_tmp.iterdir()) == []


# -- time, tools, temporary files, logs ---------------------------------------------------


def test_ocr_that_runs_out_of_time_is_stopped_and_cleaned_up(private_tmp):
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    message = expect_error(FAX.read_bytes(), ReadTimeout, Limits(seconds_per_step=0.05))
    assert "too long" in message
    after = {child.pid for child in psutil.Process().children(recursive=True)}
    assert after <= before  # the killed tesseract is gone
    assert list(private_tmp.iterdir()) == []


def test_the_total_time_budget_holds(private_tmp):
    expect_error(TEXT_PDF.read_bytes(), ReadTimeout, Limits(total_seconds=0))
    assert list(private_tmp.iterdir()) == []


def test_a_missing_tool_is_named_with_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    message = expect_error(TEXT_PDF.read_bytes(), ToolMissing)
    assert "poppler-utils" in message and "scripts/setup.sh" in message


def test_an_unexpected_failure_is_typed_and_repeats_nothing(monkeypatch, private_tmp):
    def broken(document):
        raise RuntimeError("Elena Marsh BBA 771 204 66")

    monkeypatch.setattr(notices.extract, "read", broken)
    message = expect_error(TEXT_PDF.read_bytes(), NoticeError)
    assert "RuntimeError" in message
    assert list(private_tmp.iterdir()) == []


def test_the_private_folder_is_private_and_removed_after_a_reading(private_tmp, monkeypatch):
    seen = []
    real = intake.load

    def spy(data, filename, budget, workdir, *progress):
        seen.append((workdir, stat.S_IMODE(workdir.stat().st_mode)))
        result = real(data, filename, budget, workdir, *progress)
        seen.append(sorted(p.name for p in workdir.iterdir()))
        return result

    monkeypatch.setattr(intake, "load", spy)
    read_notice(TEXT_PDF.read_bytes(), MEMBER_FILENAME)
    (workdir, mode), files_during = seen
    assert workdir.parent == private_tmp and mode == 0o700
    assert "notice.pdf" in files_during  # the PDF did pass through it...
    assert not workdir.exists() and list(private_tmp.iterdir()) == []  # ...and is gone


def test_nothing_is_logged_or_printed(caplog, capfd):
    caplog.set_level(logging.DEBUG)
    reading = read_notice(TEXT_PDF.read_bytes(), MEMBER_FILENAME)
    assert reading.plan_name is not None
    with pytest.raises(EncryptedPdf):
        read_notice((FIXTURES / "protected" / "locked.pdf").read_bytes(), MEMBER_FILENAME)
    assert caplog.records == []
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_the_limits_pages_state_the_limits_the_reader_enforces():
    from secondlook.notices import text

    docs = Path(__file__).resolve().parents[1] / "docs"
    limits_page = (docs / "limits.md").read_text(encoding="utf-8")
    notices_page = (docs / "notices.md").read_text(encoding="utf-8")
    limits = Limits()
    stated = [
        f"| file size | {limits.max_bytes // 2**20} MB |",
        f"| pages read | {limits.max_pages} |",
        f"| pixels in a picture or a page | {limits.max_pixels // 1_000_000} million |",
        f"| text printed by pdftotext or tesseract | {limits.max_text_bytes // 2**20} MB |",
        f"| time for one tool run (one page's OCR) | {limits.seconds_per_step:g} s |",
        f"| time in all | {limits.total_seconds:g} s |",
        f"| text the rules read | {text.MAX_TEXT_CHARS:,} characters |",
    ]
    assert [line for line in stated if line not in limits_page] == []
    for figure in (
        f"| {limits.max_bytes // 2**20} MB |",
        f"| {limits.max_pages} |",
        f"| {limits.max_pixels // 1_000_000} million |",
        f"| {limits.seconds_per_step:g} s |",
        f"| {limits.total_seconds:g} s |",
        f"| {limits.ocr_long_side} px long side |",
        f"| {text.MAX_TEXT_CHARS:,} characters, paragraphs cut every {text.MAX_PARAGRAPH_CHARS:,} |",
    ):
        assert figure in notices_page, figure
