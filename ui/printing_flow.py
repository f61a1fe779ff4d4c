"""Measured text and images on a paged device (printer or PDF): the layout engine of printing.

A ``Flow`` stacks items top to bottom at one width, each measured with ``QTextLayout`` on
the very device it is painted on (printer or PDF writer), so measured and painted text
agree; each paragraph gets an explicit base direction: right to left for Persian, left to
right for identifiers whose digit groups must not be reordered by the bidi algorithm.
``pages`` cuts it into pages (a table's header repeats). The receipt
(``ui.printing_receipt``) and the day-close summary (``ui.dayclose_dialog``) are both
flows; what goes on the paper is theirs, how it is measured and painted is here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QPen,
    QTextLayout,
    QTextOption,
)
from PySide6.QtPrintSupport import QPrinter

from rules.errors import UserFacingError
from rules.messages import Message
from ui import theme

log = logging.getLogger("pishkhan.ui")

MM_PER_INCH = 25.4
PDF_RESOLUTION = 600  # dpi of the PDF's coordinate system: fine text placement, small files


class PrintFailed(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            Message(
                fa="چاپگر آمادهٔ چاپ نیست؛ روشن بودن و اتصال آن را بررسی کنید و دوباره چاپ کنید.",
                en="The printer is not ready; check that it is on and connected, then print again.",
            )
        )


def ensure_font() -> str:
    """The bundled Vazirmatn, registered once; receipts must not depend on installed fonts."""
    if theme.FONT_FAMILY not in QFontDatabase.families() and theme.load_fonts() is None:
        log.warning("Vazirmatn is missing from the resources; printing with the default font")
    return theme.FONT_FAMILY


def make_font(size_pt: float, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    font = QFont(ensure_font())
    font.setPointSizeF(size_pt)
    font.setWeight(weight)
    # Unhinted outlines: the same advances at every resolution, so what was measured on the
    # printer is what is painted, and a PDF looks the same in every viewer.
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def crisp(painter: QPainter) -> None:
    """Images drawn pixel for pixel and stored losslessly: without the hint Qt's PDF writer
    stores an image as JPEG when that is smaller, and JPEG's grey fringes around the
    modules make a QR code hard to scan."""
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering, True)


# --- A flow of measured items, paginated -------------------------------------------------

Draw = Callable[[QPainter, float, float], None]  # painter, left x, top y


@dataclass
class Item:
    height: float
    draw: Draw
    header: Item | None = None  # repeated at the top of a page this item starts (tables)
    space_before: float = 0.0


@dataclass
class Flow:
    """Items stacked top to bottom at one width, measured on the device they are painted on."""

    device: QPaintDevice  # a printer or PDF writer; an image for the preview
    width: float  # device units
    rtl: bool
    items: list[Item] = field(default_factory=list)

    @property
    def dpi(self) -> int:
        return self.device.logicalDpiY()

    def mm(self, value: float) -> float:
        return value * self.dpi / MM_PER_INCH

    @property
    def height(self) -> float:
        return sum(i.space_before + i.height for i in self.items)

    def add(
        self, height: float, draw: Draw, *, space: float = 0.0, header: Item | None = None
    ) -> Item:
        item = Item(height, draw, header, space)
        self.items.append(item)
        return item

    def layout(
        self, text: str, font: QFont, width: float, *, align: str = "start", ltr: bool | None = None
    ) -> tuple[QTextLayout, float]:
        """A paragraph wrapped at ``width``; align is start/end/center in reading order."""
        direction_rtl = self.rtl if ltr is None else not ltr
        side = {
            "center": Qt.AlignmentFlag.AlignHCenter,
            "start": Qt.AlignmentFlag.AlignRight if self.rtl else Qt.AlignmentFlag.AlignLeft,
            "end": Qt.AlignmentFlag.AlignLeft if self.rtl else Qt.AlignmentFlag.AlignRight,
            "right": Qt.AlignmentFlag.AlignRight,  # numbers: units under units
        }[align]
        option = QTextOption(side | Qt.AlignmentFlag.AlignAbsolute)
        option.setTextDirection(
            Qt.LayoutDirection.RightToLeft if direction_rtl else Qt.LayoutDirection.LeftToRight
        )
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout = QTextLayout(text, font, self.device)
        layout.setTextOption(option)
        layout.setCacheEnabled(True)
        layout.beginLayout()
        y = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height()
        layout.endLayout()
        return layout, y

    def natural_width(self, text: str, font: QFont) -> float:
        layout, _ = self.layout(text, font, 1e6)
        return max(
            (layout.lineAt(i).naturalTextWidth() for i in range(layout.lineCount())), default=0.0
        )

    def paragraph(
        self,
        text: str,
        font: QFont,
        *,
        align: str = "center",
        ltr: bool | None = None,
        space: float = 0.0,
    ) -> None:
        layout, height = self.layout(text, font, self.width, align=align, ltr=ltr)
        self.add(height, lambda p, x, y: layout.draw(p, QPointF(x, y)), space=space)

    def row_parts(
        self,
        label: str,
        value: str,
        label_font: QFont,
        value_font: QFont,
        width: float,
        *,
        ltr_value: bool = False,
        adjacent: bool = False,
        number_width: float | None = None,
    ) -> tuple[float, Draw]:
        """A label and its value on one baseline within ``width``.

        Spread (a till roll): the label at the reading start, the value at the end; a
        value too long for that goes under its label, indented. Adjacent (a boxed form
        cell): "label: value", the value wrapping in the room left after the label.
        """
        value_ltr = True if ltr_value else None
        if adjacent:
            gap = self.mm(1.5)
            label = f"{label}:"
            label_width = min(self.natural_width(label, label_font) + 1, width * 0.6)
            lab, lab_h = self.layout(label, label_font, label_width, align="start")
            val, val_h = self.layout(
                value, value_font, width - label_width - gap, align="start", ltr=value_ltr
            )
            lab_dy, val_dy = self._baselines(lab, val)
            lab_x = width - label_width if self.rtl else 0.0
            val_x = 0.0 if self.rtl else label_width + gap

            def draw_form(p: QPainter, x: float, y: float) -> None:
                lab.draw(p, QPointF(x + lab_x, y + lab_dy))
                val.draw(p, QPointF(x + val_x, y + val_dy))

            return max(lab_h + lab_dy, val_h + val_dy), draw_form
        gap = self.mm(2.5)
        one_line = (
            self.natural_width(label, label_font) + gap + self.natural_width(value, value_font)
        ) <= width
        lab, lab_h = self.layout(label, label_font, width, align="start")
        if one_line:
            if number_width is not None:
                val, val_h = self.layout(value, value_font, number_width, align="right")
                val_x = 0.0 if self.rtl else width - number_width
            else:
                val, val_h = self.layout(value, value_font, width, align="end", ltr=value_ltr)
                val_x = 0.0
            lab_dy, val_dy = self._baselines(lab, val)

            def draw(p: QPainter, x: float, y: float) -> None:
                lab.draw(p, QPointF(x, y + lab_dy))
                val.draw(p, QPointF(x + val_x, y + val_dy))

            return max(lab_h + lab_dy, val_h + val_dy), draw
        indent = self.mm(4)
        val, val_h = self.layout(value, value_font, width - indent, align="start", ltr=value_ltr)
        # A wrapped value still starts where the reader's eye is: under the label.
        val_x = 0.0 if self.rtl else indent

        def draw_two(p: QPainter, x: float, y: float) -> None:
            lab.draw(p, QPointF(x, y))
            val.draw(p, QPointF(x + val_x, y + lab_h))

        return lab_h + val_h, draw_two

    @staticmethod
    def _baselines(a: QTextLayout, b: QTextLayout) -> tuple[float, float]:
        """Offsets that put the first lines of two layouts on one baseline."""
        ascent = max(a.lineAt(0).ascent(), b.lineAt(0).ascent())
        return ascent - a.lineAt(0).ascent(), ascent - b.lineAt(0).ascent()

    def row(
        self,
        label: str,
        value: str,
        label_font: QFont,
        value_font: QFont,
        *,
        ltr_value: bool = False,
        space: float = 0.0,
        width: float | None = None,
        number_width: float | None = None,
    ) -> None:
        """A row across the flow, or across ``width`` at the reading start."""
        w = self.width if width is None else width
        height, draw = self.row_parts(
            label, value, label_font, value_font, w, ltr_value=ltr_value, number_width=number_width
        )
        dx = self.width - w if self.rtl else 0.0
        self.add(height, lambda p, x, y: draw(p, x + dx, y), space=space)

    def grid(
        self,
        cells: Sequence[tuple[float, Draw]],
        *,
        columns: int,
        cell_width: float,
        space: float = 0.0,
        boxed: bool = False,
        pad: float = 0.0,
    ) -> None:
        """Cells in ``columns``, filled in reading order; boxed cells get a thin frame.

        Each cell was measured at ``cell_width`` (minus ``2 * pad`` when boxed)."""
        gutter = (self.width - columns * cell_width) / max(columns - 1, 1)
        pen = QPen(QColor("#444444"), self.mm(0.2))
        for start in range(0, len(cells), columns):
            line = cells[start : start + columns]
            height = max(h for h, _ in line) + 2 * pad

            def draw(
                p: QPainter,
                x: float,
                y: float,
                line: Sequence[tuple[float, Draw]] = line,
                height: float = height,
            ) -> None:
                for i, (_, cell) in enumerate(line):
                    offset = i * (cell_width + gutter)
                    cx = x + self.width - cell_width - offset if self.rtl else x + offset
                    if boxed:
                        p.save()
                        p.setPen(pen)
                        p.drawRect(QRectF(cx, y, cell_width, height))
                        p.restore()
                    cell(p, cx + pad, y + pad)

            self.add(height, draw, space=space)

    def beside(
        self, image: QImage, texts: Sequence[tuple[str, QFont]], *, space: float = 0.0
    ) -> None:
        """Paragraphs at the reading start, the image at the end, the text centred on it."""
        w, h = float(image.width()), float(image.height())
        text_width = self.width - w - self.mm(5)
        placed = []
        text_h = 0.0
        for text, font in texts:
            layout, height = self.layout(text, font, text_width, align="start")
            placed.append((layout, text_h))
            text_h += height + self.mm(0.8)
        height = max(h, text_h)
        text_x = self.width - text_width if self.rtl else 0.0
        image_x = 0.0 if self.rtl else self.width - w

        def draw(p: QPainter, x: float, y: float) -> None:
            top = y + (height - text_h) / 2
            for layout, dy in placed:
                layout.draw(p, QPointF(x + text_x, top + dy))
            p.save()
            crisp(p)
            p.drawImage(QRectF(x + image_x, y + (height - h) / 2, w, h), image)
            p.restore()

        self.add(height, draw, space=space)

    def rule(
        self, style: str = "solid", *, space: float | None = None, weight_mm: float = 0.3
    ) -> None:
        pad = self.mm(1.6) if space is None else space
        pen = QPen(QColor("black"), self.mm(weight_mm))
        pen.setStyle(Qt.PenStyle.DashLine if style == "dashed" else Qt.PenStyle.SolidLine)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)

        def draw(p: QPainter, x: float, y: float) -> None:
            p.save()
            p.setPen(pen)
            p.drawLine(QPointF(x, y + pad), QPointF(x + self.width, y + pad))
            p.restore()

        self.add(2 * pad, draw)

    def image(self, image: QImage, *, space: float = 0.0) -> None:
        """An image at its pixel size in device units, centred (drawn 1:1: crisp modules)."""
        w, h = float(image.width()), float(image.height())

        def draw(p: QPainter, x: float, y: float) -> None:
            p.save()
            crisp(p)
            p.drawImage(QRectF(x + (self.width - w) / 2, y, w, h), image)
            p.restore()

        self.add(h, draw, space=space)

    def pages(self, page_height: float) -> list[list[tuple[float, Item]]]:
        """Items placed on pages: (top y relative to the content area, item)."""
        pages: list[list[tuple[float, Item]]] = [[]]
        y = 0.0
        for item in self.items:
            space = item.space_before if pages[-1] else 0.0
            if pages[-1] and y + space + item.height > page_height:
                pages.append([])
                y = 0.0
                space = 0.0
                if item.header is not None:
                    pages[-1].append((0.0, item.header))
                    y = item.header.height
            pages[-1].append((y + space, item))
            y += space + item.height
        return pages


def begin_painting(
    device: QPagedPaintDevice, width_mm: float, height_mm: float, name: str
) -> QPainter:
    size = QPageSize(
        QSizeF(width_mm, height_mm),
        QPageSize.Unit.Millimeter,
        name,
        QPageSize.SizeMatchPolicy.ExactMatch,
    )
    if isinstance(device, QPrinter):
        device.setFullPage(True)  # our own margins; (0, 0) is the paper's corner
    ok = device.setPageLayout(
        QPageLayout(
            size,
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
            QPageLayout.Unit.Millimeter,
        )
    )
    if not ok:
        log.warning("the printer refused the page size %s; printing on its own", name)
    painter = QPainter()
    if not painter.begin(device):
        raise PrintFailed()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    return painter


def _pdf_writer(path: Path, title: str) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setResolution(PDF_RESOLUTION)
    writer.setTitle(title)
    writer.setCreator("Pishkhan")
    return writer


def write_pdf(path: Path | str, title: str, paint: Callable[[QPdfWriter], object]) -> Path:
    """Paint into a temporary file and move it into place: never half a PDF under its name."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.partial")
    writer = _pdf_writer(tmp, title)
    try:
        paint(writer)
    finally:
        del writer  # closes the file (Windows cannot replace an open one)
    os.replace(tmp, target)
    return target


__all__ = [
    "MM_PER_INCH",
    "Draw",
    "Flow",
    "Item",
    "PrintFailed",
    "begin_painting",
    "crisp",
    "ensure_font",
    "make_font",
    "write_pdf",
]
