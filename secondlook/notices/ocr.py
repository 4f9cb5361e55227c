"""OCR of one page picture with Debian's tesseract (tesseract-ocr, tesseract-ocr-eng)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

import secondlook.notices.images as images
from secondlook.notices.errors import DamagedFile
from secondlook.notices.layout import Page, page_from_tesseract
from secondlook.notices.tools import Budget, run

_ROTATE = re.compile(rb"Rotate:\s*(\d+)")
_ORIENTATION_CONFIDENCE = re.compile(rb"Orientation confidence:\s*([0-9.]+)")
MIN_OSD_CONFIDENCE = 2.0  # below this tesseract's guess of a quarter turn is noise
POOR_CONFIDENCE = 0.6  # mean word confidence; clean pages read at 0.9 and above


def read_page(picture: Image.Image, page_number: int, budget: Budget, workdir: Path) -> Page:
    """Prepare, turn upright, straighten and OCR one page.

    Orientation detection (OSD) costs a second or more, so it runs only when the page looks
    sideways (its text rows run up and down) or when reading it as it is gives poor text (an
    upside-down scan)."""
    gray = images.prepare(picture, budget.limits)
    if images.looks_sideways(gray):
        turn = _osd_rotation(gray, budget, workdir)
        if turn in (90, 270):
            return _ocr(gray.rotate(-turn, expand=True), page_number, budget, workdir)
        pages = [
            _ocr(gray.rotate(-t, expand=True), page_number, budget, workdir) for t in (90, 270)
        ]
        return max(pages, key=_score)
    page = _ocr(gray, page_number, budget, workdir)
    if _poor(page):
        turn = _osd_rotation(gray, budget, workdir)
        if turn:
            turned = _ocr(gray.rotate(-turn, expand=True), page_number, budget, workdir)
            page = max((page, turned), key=_score)
    return page


def _poor(page: Page) -> bool:
    """Little text, or text read with low confidence (what an upside-down page gives)."""
    chars = sum(len(line.text) for line in page.lines)
    return chars < 40 or _score(page) / chars < POOR_CONFIDENCE


def _score(page: Page) -> float:
    """How much confident text a reading holds (characters times confidence)."""
    return sum(len(line.text) * line.confidence for line in page.lines)


def _ocr(gray: Image.Image, page_number: int, budget: Budget, workdir: Path) -> Page:
    gray = images.rotate(gray, images.tilt_angle(gray))
    path = workdir / f"page-{page_number}.pgm"
    images.save_for_ocr(gray, path)
    try:
        done = run(
            ["tesseract", path.name, "stdout", "-l", "eng", "--psm", "3", "--dpi", "300", "tsv"],
            budget=budget,
            workdir=workdir,
        )
    finally:
        path.unlink(missing_ok=True)
    if done.returncode != 0:
        raise DamagedFile("This picture could not be read by the text recogniser.")
    return page_from_tesseract(done.stdout, page_number)


def _osd_rotation(gray: Image.Image, budget: Budget, workdir: Path) -> int:
    """0, 90, 180 or 270: how far to turn the page clockwise, per tesseract's OSD (0 if unsure)."""
    small = gray.copy()
    small.thumbnail((2000, 2000))
    path = workdir / "osd.pgm"
    images.save_for_ocr(small, path)
    try:
        done = run(["tesseract", path.name, "stdout", "--psm", "0"], budget=budget, workdir=workdir)
    finally:
        path.unlink(missing_ok=True)
    rotate = _ROTATE.search(done.stdout)
    confidence = _ORIENTATION_CONFIDENCE.search(done.stdout)
    if done.returncode != 0 or not rotate or not confidence:
        return 0  # too little text to tell: read it as it is
    if float(confidence.group(1)) < MIN_OSD_CONFIDENCE:
        return 0
    return int(rotate.group(1)) % 360
