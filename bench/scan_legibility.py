"""``python -m bench.scan_legibility``: how small can a scanned page get and stay legible?

The measurement behind `desktop/scans/budgets.py`. A generated 300 dpi A4 page of text at
8, 10 and 12 pt (bench/scan_pages.py) is shrunk by the real pipeline at several target
resolutions and byte budgets, and read back by tesseract (Debian's `tesseract-ocr`). The
figure is word recall: the share of the printed words that tesseract's text holds, in
order, compared with what it reads on the 300 dpi original in the same run. OCR is a proxy
for a reviewer's eye, and a strict one: a person reads text that tesseract misses.
"""

from __future__ import annotations

import dataclasses
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.scan_pages import a4_text_page
from desktop.scans.budgets import BUDGETS, ScanKind
from desktop.scans.shrink import ShrunkPart, encode_page

DPIS = (100, 150, 200)
BUDGETS_KB = (50, 80, 110, 160)


def ocr_words(image_path: Path, dpi: int) -> list[str]:
    out = subprocess.run(
        ["tesseract", str(image_path), "-", "--dpi", str(dpi), "-l", "eng"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [w.strip(".,;:").lower() for w in out.split() if w.strip(".,;:")]


def recall(printed: list[str], read: list[str]) -> float:
    matcher = difflib.SequenceMatcher(a=printed, b=read, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(printed)


def main() -> int:
    if shutil.which("tesseract") is None:
        print("tesseract is not installed (apt-get install tesseract-ocr)", file=sys.stderr)
        return 2
    page = a4_text_page()
    sizes = sorted(page.words)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        original = folder / "original.png"
        page.image.save(original, dpi=(300, 300))
        read = ocr_words(original, 300)
        base = {pt: recall(page.words[pt], read) for pt in sizes}
        header = "| page | bytes | " + " | ".join(f"{pt} pt" for pt in sizes) + " |"
        print(header)
        print("|" + "---|" * (2 + len(sizes)))
        print(
            f"| 300 dpi original (PNG) | {original.stat().st_size:,} | "
            + " | ".join(f"{base[pt]:.1%}" for pt in sizes)
            + " |"
        )
        for dpi in DPIS:
            for kb in BUDGETS_KB:
                budget = dataclasses.replace(
                    BUDGETS[ScanKind.DOCUMENT],
                    dpi=dpi,
                    max_long_side=round(11.69 * dpi),
                    max_bytes=kb * 1000,
                )
                part: ShrunkPart = encode_page(page.image, ScanKind.DOCUMENT, budget=budget)
                path = folder / f"{dpi}-{kb}.jpg"
                path.write_bytes(part.data)
                read = ocr_words(path, round(dpi * part.height / budget.max_long_side))
                row = [recall(page.words[pt], read) for pt in sizes]
                print(
                    f"| {dpi} dpi gray, ≤{kb} kB ({part.width}×{part.height}) | "
                    f"{len(part.data):,} | " + " | ".join(f"{r:.1%}" for r in row) + " |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
