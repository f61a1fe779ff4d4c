"""Turning a handed-in file into pages re-encoded for the line.

Input: the bytes of a scanner's JPEG/PNG/TIFF (TIFFs may hold several pages), a PDF, or an
image pasted from the clipboard (the UI hands it in as PNG bytes). Output: `ShrunkScan`,
one JPEG per page (grayscale for documents, colour for photos) within the kind's budget,
with no EXIF, GPS or other metadata, or, for a PDF that is already small, the PDF as it
came. Anything else raises `ScanRefused` with a reason for the clerk; nothing is kept.

Pillow decodes the images and pypdfium2 renders PDFs (Qt's image I/O would need the GUI
library in the core, cannot render PDFs without QtPdf from the Addons wheel, and has no
quality-per-size control beyond a quality number; Pillow gives multi-page TIFF, EXIF
orientation and a bomb check).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from desktop.scans import refusals
from desktop.scans.budgets import (
    BUDGETS,
    MAX_INPUT_BYTES,
    MAX_PAGES,
    MAX_PIXELS,
    PageBudget,
    ScanKind,
)
from desktop.scans.pdfpages import PDFIUM
from desktop.scans.refusals import ScanRefused
from rules.bidi import ltr
from rules.messages import Message

ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "TIFF"})  # MPO: a phone camera's JPEG
JPEG = "image/jpeg"
PDF = "application/pdf"
_MB = 1024 * 1024
_DOWNSCALE_STEP = 0.85  # when even the lowest quality does not fit, shrink this much and retry


@dataclass(frozen=True)
class ShrunkPart:
    """One stored piece of a scan: a JPEG page, or a small PDF kept whole."""

    media_type: str
    data: bytes
    pages: int
    width: int  # pixels of a JPEG page; 0 for a kept PDF
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ShrunkScan:
    """What one handed-in file became."""

    kind: ScanKind
    parts: tuple[ShrunkPart, ...]
    source_bytes: int

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.parts)

    @property
    def stored_bytes(self) -> int:
        return sum(len(p.data) for p in self.parts)


def shrink_file(path: Path, kind: ScanKind) -> ShrunkScan:
    """Shrink the file at `path`; a file too large is refused before it is read."""
    try:
        size = path.stat().st_size
        _check_size(size)
        data = path.read_bytes()
    except OSError as exc:
        raise ScanRefused(
            # The system's reason is English: isolated in the Persian sentence (rules.bidi).
            refusals.UNREADABLE_FILE.format(
                reason=Message(ltr(exc.strerror or ""), exc.strerror or "")
            ),
            detail=str(exc),
        ) from exc
    return shrink_bytes(data, kind)


def shrink_bytes(data: bytes, kind: ScanKind) -> ShrunkScan:
    """Shrink a file's bytes (or a pasted image saved as PNG) for the line."""
    _check_size(len(data))
    if not data:
        raise ScanRefused(refusals.EMPTY_FILE)
    budget = BUDGETS[kind]
    if data.startswith(b"%PDF-"):
        parts = _shrink_pdf(data, budget)
    else:
        parts = tuple(_encode_page(page, budget) for page in _image_pages(data))
    return ShrunkScan(kind=kind, parts=parts, source_bytes=len(data))


def encode_page(
    image: Image.Image, kind: ScanKind, *, budget: PageBudget | None = None
) -> ShrunkPart:
    """Re-encode one already decoded page (a page rotated in the documents area).

    `budget` replaces the kind's own (the legibility measurement tries several).
    """
    return _encode_page(image, budget or BUDGETS[kind])


def _check_size(size: int) -> None:
    if size > MAX_INPUT_BYTES:
        raise ScanRefused(
            refusals.FILE_TOO_LARGE.format(size=f"{size / _MB:.1f}", limit=MAX_INPUT_BYTES // _MB)
        )


def _image_pages(data: bytes) -> Iterator[Image.Image]:
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below is lower than Pillow's bomb warning; it decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ScanRefused(refusals.NOT_AN_IMAGE, detail=str(exc)) from exc
    except (OSError, ValueError, SyntaxError) as exc:  # malformed headers
        raise ScanRefused(refusals.NOT_AN_IMAGE, detail=str(exc)) from exc
    if image.format not in ACCEPTED_FORMATS:
        fmt = image.format or "?"
        # "GIF" inside a Persian sentence, isolated left to right (rules.bidi).
        raise ScanRefused(refusals.UNSUPPORTED_FORMAT.format(format=Message(ltr(fmt), fmt)))
    frames = getattr(image, "n_frames", 1)
    if image.format in ("MPO",):
        frames = 1  # the second frame of a phone's MPO is a depth or preview image
    if frames > MAX_PAGES:
        raise ScanRefused(refusals.TOO_MANY_PAGES.format(pages=frames, limit=MAX_PAGES))
    for index in range(frames):
        try:
            image.seek(index)
            _check_pixels(image.size)
            image.load()
            page = ImageOps.exif_transpose(image)  # the camera's "this way up", then drop EXIF
        except ScanRefused:
            raise
        except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated, corrupt
            raise ScanRefused(refusals.NOT_AN_IMAGE, detail=str(exc)) from exc
        yield page


def _check_pixels(size: tuple[int, int]) -> None:
    pixels = size[0] * size[1]
    if pixels > MAX_PIXELS:
        raise ScanRefused(
            refusals.TOO_MANY_PIXELS.format(
                megapixels=round(pixels / 1e6), limit=MAX_PIXELS // 1_000_000
            )
        )


def _shrink_pdf(data: bytes, budget: PageBudget) -> tuple[ShrunkPart, ...]:
    with PDFIUM:  # pdfium is not thread-safe: one call at a time in the process
        return _shrink_pdf_locked(data, budget)


def _shrink_pdf_locked(data: bytes, budget: PageBudget) -> tuple[ShrunkPart, ...]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ScanRefused(refusals.PDF_PROTECTED, detail=str(exc)) from exc
        raise ScanRefused(refusals.NOT_AN_IMAGE, detail=str(exc)) from exc
    try:
        count = len(pdf)
        if count == 0:
            raise ScanRefused(refusals.NOT_AN_IMAGE, detail="no pages")
        if count > MAX_PAGES:
            raise ScanRefused(refusals.TOO_MANY_PAGES.format(pages=count, limit=MAX_PAGES))
        if len(data) <= budget.max_bytes * count:
            # A PDF made on a computer (a bill, a printed form) is text and lines: rendering
            # it would make it larger and blurrier, so it travels as it came.
            return (ShrunkPart(PDF, data, count, 0, 0),)
        parts = []
        for index in range(count):
            page = pdf[index]
            width_pt, height_pt = page.get_size()
            scale = budget.dpi / 72
            longest = max(width_pt, height_pt) * scale
            if longest > budget.max_long_side:
                scale *= budget.max_long_side / longest
            bitmap = page.render(scale=scale, grayscale=budget.grayscale)
            try:
                parts.append(_encode_page(bitmap.to_pil(), budget))
            finally:
                bitmap.close()  # under the lock, not by a finalizer later on another thread
                page.close()
        return tuple(parts)
    except pdfium.PdfiumError as exc:
        raise ScanRefused(refusals.NOT_AN_IMAGE, detail=str(exc)) from exc
    finally:
        pdf.close()


def _encode_page(image: Image.Image, budget: PageBudget) -> ShrunkPart:
    page = _flatten(image, grayscale=budget.grayscale)
    page = _downscale(page, budget, dpi=_source_dpi(image))
    while True:
        found = _best_quality_within(page, budget)
        if found is not None:
            return ShrunkPart(JPEG, found, 1, page.width, page.height)
        # Even the lowest acceptable quality is over budget: fewer pixels, then search again.
        page = page.resize(
            (
                max(1, round(page.width * _DOWNSCALE_STEP)),
                max(1, round(page.height * _DOWNSCALE_STEP)),
            ),
            Image.Resampling.LANCZOS,
        )


def _flatten(image: Image.Image, *, grayscale: bool) -> Image.Image:
    """A fresh image of the right mode with no metadata carried over."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    target = "L" if grayscale else "RGB"
    converted = image.convert(target)
    clean = Image.new(target, converted.size)
    clean.paste(converted)  # a new image: no EXIF, GPS, XMP, ICC or comment from the source
    return clean


def _source_dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    # Many programs write 72 or 96 as a placeholder that says nothing about the paper.
    return value if value and value >= 100 else None


def _downscale(page: Image.Image, budget: PageBudget, *, dpi: float | None) -> Image.Image:
    scale = min(1.0, budget.max_long_side / max(page.size))
    if dpi is not None:
        scale = min(scale, budget.dpi / dpi)
    if scale >= 1.0:
        return page
    size = (max(1, round(page.width * scale)), max(1, round(page.height * scale)))
    return page.resize(size, Image.Resampling.LANCZOS)


def _jpeg(page: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    page.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _best_quality_within(page: Image.Image, budget: PageBudget) -> bytes | None:
    """The highest quality whose JPEG fits the budget (bisection: size grows with quality)."""
    low, high = budget.min_quality, budget.max_quality
    best: bytes | None = None
    while low <= high:
        quality = (low + high) // 2
        encoded = _jpeg(page, quality)
        if len(encoded) <= budget.max_bytes:
            best, low = encoded, quality + 1
        else:
            high = quality - 1
    return best
