"""What the documents area holds and does off the GUI thread: its words, a pending scan,
shrinking a file (turned if the clerk asked), thumbnails.

Split from ``ui.documents_area`` (the widget) so each stays small; the shrinking functions
run on the worker's side threads and touch neither Qt widgets nor the store.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap

from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import JPEG, ShrunkPart, ShrunkScan, shrink_bytes, shrink_file
from rules.messages import Message

SCAN_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf", ".bmp", ".webp"})
THUMB = QSize(96, 128)
FOLDER_SETTLE_MS = 250  # a scanner writes a file in pieces: taken once its size holds still

T = {
    "title": Message("اسکن مدارک", "Scanned documents"),
    "add": Message("افزودن پرونده… (Ctrl+O)", "Add file… (Ctrl+O)"),
    "paste": Message("چسباندن (Ctrl+V)", "Paste (Ctrl+V)"),
    "preview": Message("پیش‌نمایش", "Preview"),
    "rotate": Message("چرخاندن (Ctrl+R)", "Rotate (Ctrl+R)"),
    "earlier": Message("جلوتر", "Earlier"),
    "later": Message("عقب‌تر", "Later"),
    "remove": Message("حذف", "Remove"),
    "which": Message("این اسکن کدام مدرک است:", "This scan is:"),
    "choose": Message("— انتخاب کنید —", "— choose —"),
    "unassigned": Message("مدرک را انتخاب کنید", "choose the document"),
    "busy": Message("در حال آماده‌سازی اسکن…", "Preparing the scan…"),
    "watching": Message("پوشهٔ اسکنر: {folder}", "Scanner folder: {folder}"),
    "pages": Message("{pages} صفحه", "{pages} page(s)"),
    "no_image": Message("در حافظه تصویری برای چسباندن نیست", "There is no image to paste"),
    "pdf_rotate": Message(
        "صفحه‌های PDF اینجا چرخانده نمی‌شوند؛ آن را چرخیده اسکن کنید",
        "The pages of a PDF are not rotated here; scan it again turned the right way",
    ),
    "files": Message(
        "اسکن‌ها (*.jpg *.jpeg *.png *.tif *.tiff *.pdf)",
        "Scans (*.jpg *.jpeg *.png *.tif *.tiff *.pdf)",
    ),
}
NOT_CHOSEN = Message(
    fa="برای هر اسکن مشخص کنید کدام مدرک است",
    en="Say which document each scan is",
)
STILL_BUSY = Message(
    fa="اسکن‌ها هنوز آماده نشده‌اند؛ چند لحظه بعد ذخیره کنید",
    en="The scans are still being prepared; save again in a moment",
)


@dataclass(frozen=True)
class PendingScan:
    """One handed-in file as the area holds it before the save."""

    name: str
    source: bytes  # kept to shrink again when the clerk picks a document of another kind
    document: str | None
    scan: ShrunkScan
    turns: int = 0  # quarter turns clockwise the clerk asked for (applied to the source)
    ticket: int = 0  # the list is in ticket order: the order the clerk added and arranged


def read_and_shrink(path: Path, kind: ScanKind) -> tuple[bytes, ShrunkScan]:
    scan = shrink_file(path, kind)  # refuses a file too large before reading it
    return path.read_bytes(), scan


def shrink_turned(source: bytes, kind: ScanKind, turns: int) -> ShrunkScan:
    """Shrink `source` turned `turns` quarter turns clockwise: the turn is made on the
    source's pixels, so the page is encoded once (a turned JPEG re-encoded would lose
    detail and, noisier, need a smaller page to fit its budget)."""
    if turns % 4 == 0:
        return shrink_bytes(source, kind)
    with Image.open(io.BytesIO(source)) as image:
        dpi = image.info.get("dpi")
        frames = [
            ImageOps.exif_transpose(frame.copy()).rotate(-90 * turns, expand=True)
            for frame in ImageSequence.Iterator(image)
        ]
    out = io.BytesIO()
    extra = {"dpi": (dpi[1], dpi[0]) if turns % 2 else dpi} if dpi else {}
    frames[0].save(
        out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", **extra
    )
    return replace(shrink_bytes(out.getvalue(), kind), source_bytes=len(source))


def pixmap_of(part: ShrunkPart, size: QSize) -> QPixmap:
    image = QImage.fromData(part.data) if part.media_type == JPEG else QImage()
    if image.isNull():  # a PDF kept whole: a plain sheet with its name
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.white)
        return pixmap
    return QPixmap.fromImage(image).scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
