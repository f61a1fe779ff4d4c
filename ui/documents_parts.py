"""What the documents area holds and does off the GUI thread: its words, a pending scan,
shrinking a file (turned if the clerk asked), thumbnails.

Split from ``ui.documents_area`` (the widget) so each stays small; the shrinking functions
and `thumbnail_of` run on the worker's side threads and touch neither Qt widgets nor the
store (a ``QImage`` may be made and painted on any thread; a ``QPixmap`` only on the GUI's,
so the GUI thread only turns the finished picture into an icon and writes the page count
on it). A PDF's first page is drawn by PDFium (``desktop.scans.pdfpages``, under the lock
every pdfium call in the process holds); a PDF whose first page cannot be drawn keeps a
plain sheet and says so. The preview's pages are drawn the same way, in ``ui.scan_preview``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPen, QPixmap

from desktop.scans.budgets import ScanKind
from desktop.scans.pdfpages import PageNotShown, first_page
from desktop.scans.progress import pages_message
from desktop.scans.shrink import PDF, ShrunkPart, ShrunkScan, shrink_bytes, shrink_file
from rules.messages import Message

#: How the area and its preview run work off the GUI thread: ``(job, done, failed)``, the
#: job on a side thread, ``done`` or ``failed`` back on the GUI thread (the form's worker).
Runner = Callable[
    [Callable[[], object], Callable[[object], None], Callable[[BaseException], None]], None
]

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
    "no_page": Message(
        "صفحهٔ نخست این PDF نشان داده نمی‌شود (شاید آسیب دیده باشد)؛ پیش از ذخیره آن را باز "
        "کنید و ببینید، یا دوباره اسکن کنید",
        "The first page of this PDF cannot be shown (it may be damaged); open it to check "
        "it before saving, or scan it again",
    ),
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
    thumb: Thumbnail | None = None  # drawn beside the GUI thread with the shrinking


@dataclass(frozen=True)
class Thumbnail:
    """The first page of a scan, fitted into the list's icon size."""

    image: QImage  # a plain white sheet when the page could not be drawn
    shown: bool  # False: a PDF whose first page could not be drawn (T["no_page"] says so)


def pages_text(pages: int, lang: str) -> str:
    """The page count as the clerk reads it, "۳ صفحه" or "3 pages" (``Message.format``
    writes Persian digits in the Persian text)."""
    return pages_message(pages).text(lang)


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


def prepared(shrunk: tuple[bytes, ShrunkScan]) -> tuple[bytes, ShrunkScan, Thumbnail]:
    """A shrinking job's result with its thumbnail (on the job's thread, after it)."""
    source, scan = shrunk
    return source, scan, thumbnail_of(scan.parts[0])


def thumbnail_of(part: ShrunkPart, size: QSize = THUMB) -> Thumbnail:
    """`part`'s first page fitted into `size` (a worker thread's work: decoding, drawing)."""
    if part.media_type == PDF:
        try:
            page = first_page(part.data, size.width(), size.height())
        except PageNotShown:
            return Thumbnail(plain_sheet(size), shown=False)
        rgb = page.image
        image = QImage(
            rgb.tobytes(), rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888
        )
        return Thumbnail(image.copy(), shown=True)  # a copy: the bytes above are temporary
    image = QImage.fromData(part.data)
    if image.isNull():
        return Thumbnail(plain_sheet(size), shown=False)
    fitted = image.scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    return Thumbnail(fitted, shown=True)


def plain_sheet(size: QSize) -> QImage:
    sheet = QImage(size, QImage.Format.Format_RGB32)
    sheet.fill(Qt.GlobalColor.white)
    return sheet


def thumbnail_icon(thumb: Thumbnail | None, pages: str | None, size: QSize = THUMB) -> QIcon:
    """The list's icon: the page on a sheet with a thin edge (a white page shows on the
    white list), "PDF" on a sheet not drawn, and `pages` (the count) on a band at the foot."""
    canvas = QPixmap(size)
    canvas.fill(Qt.GlobalColor.transparent)
    image = thumb.image if thumb is not None else plain_sheet(size)
    with QPainter(canvas) as painter:
        at = QRect(0, 0, image.width(), image.height())
        at.moveCenter(canvas.rect().center())
        painter.drawImage(at, image)
        painter.setPen(QPen(QColor("#9a9a9a"), 1))
        painter.drawRect(at.adjusted(0, 0, -1, -1))
        if thumb is None or not thumb.shown:
            painter.setPen(QColor("#8a8a8a"))
            font = QFont(painter.font())
            font.setPixelSize(22)
            font.setBold(True)
            painter.setFont(font)
            painter.drawText(at, Qt.AlignmentFlag.AlignCenter, "PDF")
        if pages:
            font = QFont(painter.font())
            font.setPixelSize(13)
            font.setBold(True)
            painter.setFont(font)
            band = QRect(at.left(), at.bottom() - 20, at.width(), 21)
            painter.fillRect(band, QColor(45, 45, 45))  # opaque: the page must not show through
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, pages)
    return QIcon(canvas)
