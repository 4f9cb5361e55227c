"""Pictures of a notice: opened within limits, then made easy for OCR.

A photo or a scan is turned upright by its EXIF orientation, converted to grey, scaled so a page
is about the size of a 300 dpi scan, evened out where the light was uneven (each pixel is divided
by a smooth estimate of the paper's brightness around it), cleaned of specks, and straightened:
tesseract's orientation detection (OSD) turns a sideways or upside-down page, and a projection
profile finds the small tilt of a photo (the angle at which the rows of text line up best).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from secondlook.notices.errors import DamagedFile, ImageTooLarge
from secondlook.notices.tools import Limits

FORMATS = ("PNG", "JPEG", "TIFF")
MAX_TILT = 10.0  # degrees; a larger tilt is left to tesseract


def _too_many_pixels(limits: Limits) -> ImageTooLarge:
    return ImageTooLarge(
        f"This picture is too large to read (over {limits.max_pixels // 1_000_000} million "
        "pixels). A normal phone photo or scan of the page is enough."
    )


def open_frames(data: bytes, limits: Limits) -> tuple[int, Iterator[Image.Image]]:
    """The number of pages (frames) in the picture, and the first `max_pages` of them decoded.

    The size is checked from the header, before any pixel is decoded, so a small file that
    unpacks into a huge picture (a decompression bomb) is refused without using the memory."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(limits) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DamagedFile("This picture is damaged or is not a PNG, JPEG or TIFF file.") from None
    frames = int(getattr(image, "n_frames", 1) or 1)
    return frames, _frames(image, min(frames, limits.max_pages), limits)


def _frames(image: Image.Image, count: int, limits: Limits) -> Iterator[Image.Image]:
    for index in range(count):
        try:
            image.seek(index)
            if image.width * image.height > limits.max_pixels:
                raise _too_many_pixels(limits)
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                frame = ImageOps.exif_transpose(image) if index == 0 else image.copy()
                frame.load()
        except ImageTooLarge:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(limits) from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise DamagedFile("This picture is damaged and could not be opened.") from None
        yield frame


def prepare(image: Image.Image, limits: Limits) -> Image.Image:
    """Grey, about 300 dpi for a letter page, even light, no specks."""
    gray = image.convert("L")
    long_side = max(gray.size)
    scale = min(limits.ocr_long_side / long_side, 2.0)
    if abs(scale - 1.0) > 0.08:
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return flatten_light(gray).filter(ImageFilter.MedianFilter(3))


def flatten_light(gray: Image.Image) -> Image.Image:
    """Divide by the paper's local brightness: shadows and a lamp's falloff disappear, ink stays.

    The paper's brightness is estimated on a small copy: a maximum filter removes the ink (text
    strokes are thin, paper is everywhere), then a blur smooths it."""
    small = gray.resize((max(1, gray.width // 8), max(1, gray.height // 8)), Image.Resampling.BOX)
    paper = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(6))
    paper = paper.resize(gray.size, Image.Resampling.BILINEAR)
    ink = np.asarray(gray, dtype=np.float32)  # a new array: safe to work in place
    light = np.maximum(np.asarray(paper, dtype=np.float32), 1.0)
    np.divide(ink, light, out=ink)
    del light
    np.multiply(ink, 255.0, out=ink)
    np.clip(ink, 0, 255, out=ink)
    return Image.fromarray(ink.astype(np.uint8))


def _ink(gray: Image.Image) -> Image.Image:
    small = gray.copy()
    small.thumbnail((900, 900))
    return Image.fromarray((np.asarray(small) < 128).astype(np.uint8) * 255)


def looks_sideways(gray: Image.Image) -> bool:
    """Text rows running up and down: the column profile of the ink varies more than the row
    profile (rows of text make a row profile of peaks and gaps)."""
    ink = np.asarray(_ink(gray), dtype=np.float32)
    rows, columns = np.var(ink.sum(axis=1)), np.var(ink.sum(axis=0))
    return bool(columns > 0 and rows / columns < 0.7)


def tilt_angle(gray: Image.Image) -> float:
    """The small rotation (degrees, counter-clockwise positive) that makes text rows level.

    Rows of text give a row-sum profile with sharp peaks when level; the angle whose profile has
    the largest variance wins. Coarse steps of 1 degree, then 0.1 degree around the best."""
    ink = _ink(gray)

    def score(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32)
        return float(np.var(turned.sum(axis=1)))

    best = max(np.arange(-MAX_TILT, MAX_TILT + 0.01, 1.0), key=score)
    fine = np.arange(best - 1.0, best + 1.01, 0.1)
    return round(float(max(fine, key=score)), 1)


def rotate(gray: Image.Image, angle: float) -> Image.Image:
    if abs(angle) < 0.05:
        return gray
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def open_raster(path: Path, limits: Limits) -> Image.Image:
    """A page rendered by pdftoppm (a PGM file in the private folder)."""
    try:
        with Image.open(path, formats=("PPM",)) as image:
            if image.width * image.height > limits.max_pixels:
                raise _too_many_pixels(limits)
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DamagedFile("A page of this PDF could not be turned into a picture.") from None


def save_for_ocr(image: Image.Image, path: Path) -> None:
    """Uncompressed PGM: tesseract reads it directly, and nothing is spent compressing."""
    image.save(path, "PPM")
