"""The targets a scanned page is shrunk to, per kind of document.

The figures come from `python -m bench.scan_legibility` (docs/SCANS.md has the run): a
generated 300 dpi A4 page of birth-certificate-like text at 8 to 12 pt, shrunk at several
resolutions and byte budgets and read back with tesseract. Grayscale at 150 dpi keeps
every word tesseract reads on the 300 dpi original; below ~120 dpi the 8 pt lines start to
go. A budget is a ceiling: the quality search takes the best JPEG quality that fits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScanKind(StrEnum):
    """What the page shows, which decides colour and resolution."""

    DOCUMENT = "document"  # text on paper: grayscale
    PHOTO = "photo"  # the citizen's 3×4 photo, a coloured card: colour


@dataclass(frozen=True)
class PageBudget:
    """How one page of a kind is re-encoded."""

    kind: ScanKind
    grayscale: bool
    dpi: int  # target resolution when the source says its own; else the longest side below
    max_long_side: int  # pixels: the longest side after downscaling, whatever the source
    max_bytes: int  # the JPEG of one page stays at or under this
    min_quality: int  # below this JPEG quality the page is downscaled instead
    max_quality: int


A4_LONG_INCHES = 11.69

BUDGETS: dict[ScanKind, PageBudget] = {
    ScanKind.DOCUMENT: PageBudget(
        kind=ScanKind.DOCUMENT,
        grayscale=True,
        dpi=150,
        max_long_side=round(A4_LONG_INCHES * 150),
        max_bytes=110_000,
        min_quality=30,
        max_quality=85,
    ),
    ScanKind.PHOTO: PageBudget(
        kind=ScanKind.PHOTO,
        grayscale=False,
        dpi=300,
        max_long_side=1000,
        max_bytes=70_000,
        min_quality=40,
        max_quality=90,
    ),
}

# What is refused before any decoding: a scanner's file is a few MB; a phone photo ~10 MB.
MAX_INPUT_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 60_000_000  # 300 dpi A3 is ~17 MP; this leaves room for a 600 dpi A4
MAX_PAGES = 30
