"""Printing with QPainter: the citizen's receipt (80 mm roll or A5) and the day-close summary.

What a receipt says is decided in ``desktop.receipt`` (its ``blocks()``); this module only
lays those blocks out and paints them. Text is laid out with ``QTextLayout`` on the very
device it is painted on (printer or PDF writer), so measured and painted text agree, and
each paragraph gets an explicit base direction: right to left for Persian, left to right
for identifiers whose digit groups must not be reordered by the bidi algorithm.

Printing reads the request on the worker thread and paints on the GUI thread (Qt's
printing is GUI-thread only); it never touches the network, so it works the same offline.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import segno
from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextLayout,
    QTextOption,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.receipt import Heading, Note, QrCode, Receipt, Row, Rule, receipt_for, record_print
from rules.errors import UserFacingError
from rules.messages import Message
from ui import theme
from ui.context import AppContext
from ui.errors import show_error

log = logging.getLogger("pishkhan.ui")

MM_PER_INCH = 25.4
PDF_RESOLUTION = 600  # dpi of the PDF's coordinate system: fine text placement, small files
QR_BORDER = 4  # modules of quiet zone the QR standard asks for
BLACK, WHITE = 0xFF000000, 0xFFFFFFFF


@dataclass(frozen=True)
class ReceiptLayout:
    key: str
    width_mm: float
    height_mm: float | None  # None: a roll, cut where the content ends
    margin_mm: float
    base_pt: float
    large_pt: float
    small_pt: float
    qr_mm: float
    title: Message


RECEIPT_LAYOUTS: dict[str, ReceiptLayout] = {
    # A thermal head prints 72 mm of an 80 mm roll: 4 mm each side is outside its reach.
    "80mm": ReceiptLayout(
        "80mm",
        80,
        None,
        4,
        8.5,
        11.5,
        7.5,
        28,
        Message("رول حرارتی ۸۰ میلی‌متری", "80 mm thermal roll"),
    ),
    "a5": ReceiptLayout("a5", 148, 210, 10, 9.5, 13.5, 8.5, 28, Message("برگهٔ A5", "A5 sheet")),
}


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


def _crisp(painter: QPainter) -> None:
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

    device: QPagedPaintDevice
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
            _crisp(p)
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
            _crisp(p)
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


# --- The receipt ---------------------------------------------------------------------------


def qr_image(payload: str, size_px: float) -> QImage:
    """The QR code as an image of whole pixels per module, at most ``size_px`` wide.

    segno renders a PNG in memory; each module gets the same integer number of device
    pixels, so the code is painted 1:1 with sharp edges on a 203 dpi thermal head as well
    as in a PDF (a small image stretched by a viewer comes out blurred).
    """
    qr = segno.make(payload, error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=QR_BORDER)[0]
    scale = max(1, int(size_px // modules))
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=QR_BORDER, dark="black", light="white")
    image = QImage.fromData(buf.getvalue())  # the format is read from the PNG signature
    if image.isNull():
        raise RuntimeError("segno's PNG could not be read by Qt")
    # One bit a pixel with the palette (black, white): Qt's PDF writer then stores it as a
    # 1-bit image, which every viewer and printer driver reproduces without dithering.
    mono = image.convertToFormat(QImage.Format.Format_Mono)
    if mono.colorTable() == [WHITE, BLACK]:  # segno's order: flip the bits, swap the table
        mono.invertPixels()
        mono.setColorTable([BLACK, WHITE])
    return mono


def receipt_flow(receipt: Receipt, device: QPagedPaintDevice, layout: str) -> Flow:
    """The receipt's blocks measured for ``layout``.

    The roll is one column, top to bottom. A5 is wide and must stay one page: the QR code
    moves up beside the office's name, and consecutive rows pair up in two columns.
    """
    spec = RECEIPT_LAYOUTS[layout]
    flow = Flow(device, 0.0, rtl=receipt.lang == "fa")
    flow.width = flow.mm(spec.width_mm - 2 * spec.margin_mm)
    bold, medium, normal = QFont.Weight.Bold, QFont.Weight.Medium, QFont.Weight.Normal
    fonts = {
        "large": make_font(spec.large_pt, bold),
        "normal": make_font(spec.base_pt + 0.5, bold),
        "small": make_font(spec.small_pt, bold),
    }
    label_font = make_font(spec.base_pt, normal)
    value_font = make_font(spec.base_pt, medium)
    strong_font = make_font(spec.base_pt + 1, bold)
    note_font = make_font(spec.small_pt, normal)
    gap = flow.mm(0.7)
    wide = spec.height_mm is not None
    # Boxed cells on a sheet touch each other: one frame line between two columns.
    cell_width = flow.width / 2 if wide else flow.width
    pad = flow.mm(1.2)
    blocks = receipt.blocks()
    qr = next(b for b in blocks if isinstance(b, QrCode))
    qr_px = flow.mm(spec.qr_mm)
    pending: list[Row] = []
    amount_width = max(
        (
            flow.natural_width(b.value, strong_font if b.strong else value_font) + 1
            for b in blocks
            if isinstance(b, Row) and b.amount
        ),
        default=0.0,
    )

    def flush_rows() -> None:
        if not pending:
            return
        if wide:
            # Pairs of short rows share a line; a row too long for half the sheet (a company
            # name, a Sheba number) takes the whole line rather than wrapping in a narrow box.
            room = cell_width - 2 * pad - flow.mm(1.5)
            pairs: list[tuple[float, Draw]] = []
            for r in pending:
                if (
                    flow.natural_width(f"{r.label}:", label_font)
                    + flow.natural_width(r.value, value_font)
                ) <= room:
                    pairs.append(
                        flow.row_parts(
                            r.label,
                            r.value,
                            label_font,
                            value_font,
                            cell_width - 2 * pad,
                            ltr_value=r.ltr,
                            adjacent=True,
                        )
                    )
                    continue
                if pairs:
                    flow.grid(pairs, columns=2, cell_width=cell_width, boxed=True, pad=pad)
                    pairs = []
                whole = flow.row_parts(
                    r.label,
                    r.value,
                    label_font,
                    value_font,
                    flow.width - 2 * pad,
                    ltr_value=r.ltr,
                    adjacent=True,
                )
                flow.grid([whole], columns=1, cell_width=flow.width, boxed=True, pad=pad)
            if pairs:
                flow.grid(pairs, columns=2, cell_width=cell_width, boxed=True, pad=pad)
        else:
            for r in pending:
                flow.row(r.label, r.value, label_font, value_font, ltr_value=r.ltr, space=gap)
        pending.clear()

    if wide:
        # Everything above the first rule (the office) goes beside the QR code.
        first_rule = next(i for i, b in enumerate(blocks) if isinstance(b, Rule))
        head = blocks[:first_rule]
        texts = [
            (b.text, fonts[b.size] if isinstance(b, Heading) else note_font)
            for b in head
            if isinstance(b, Heading | Note)
        ]
        texts.append((qr.caption, fonts["small"]))
        flow.beside(qr_image(qr.payload, qr_px), texts)
        blocks = blocks[first_rule:]
    for block in blocks:
        if isinstance(block, Row) and not block.strong and not block.amount:
            pending.append(block)
            continue
        flush_rows()
        match block:
            case Heading(text=text, size=size):
                flow.paragraph(text, fonts[size], space=flow.mm(0.8))
            case Row(label=label, value=value, ltr=ltr, strong=strong, amount=amount):
                lab_font, val_font = (
                    (strong_font, strong_font) if strong else (label_font, value_font)
                )
                if amount:
                    # Amounts in one column, lined up by their units for adding; on a
                    # sheet the column sits at the reading start, not across the page.
                    flow.row(
                        label,
                        value,
                        lab_font,
                        val_font,
                        space=gap,
                        width=cell_width,
                        number_width=amount_width,
                    )
                elif wide:
                    cell = flow.row_parts(
                        label,
                        value,
                        lab_font,
                        val_font,
                        flow.width - 2 * pad,
                        ltr_value=ltr,
                        adjacent=True,
                    )
                    flow.grid([cell], columns=1, cell_width=flow.width, boxed=True, pad=pad)
                else:
                    flow.row(label, value, lab_font, val_font, ltr_value=ltr, space=gap)
            case Rule(style=style):
                flow.rule(style)
            case Note(text=text):
                flow.paragraph(text, note_font, space=flow.mm(0.6))
            case QrCode(payload=payload, caption=caption) if not wide:
                flow.image(qr_image(payload, qr_px), space=flow.mm(1))
                flow.paragraph(caption, fonts["small"], ltr=True)
                flow.rule("dashed")
    flush_rows()
    return flow


def render_receipt(receipt: Receipt, device: QPagedPaintDevice, layout: str = "80mm") -> int:
    """Paint ``receipt`` on a printer or PDF writer; returns the number of pages."""
    spec = RECEIPT_LAYOUTS[layout]
    flow = receipt_flow(receipt, device, layout)
    margin = flow.mm(spec.margin_mm)
    if spec.height_mm is None:
        height_mm = (flow.height + 2 * margin) * MM_PER_INCH / flow.dpi
        pages = [[(y, item) for y, item in flow.pages(float("inf"))[0]]]
    else:
        height_mm = spec.height_mm
        pages = flow.pages(flow.mm(height_mm) - 2 * margin)
    painter = begin_painting(device, spec.width_mm, height_mm, f"Pishkhan receipt {layout}")
    try:
        painter.setPen(QColor("black"))
        for number, page in enumerate(pages):
            if number:
                device.newPage()
            for y, item in page:
                item.draw(painter, margin, margin + y)
    finally:
        painter.end()
    return len(pages)


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


def render_receipt_pdf(receipt: Receipt, path: Path | str, layout: str = "80mm") -> Path:
    if layout not in RECEIPT_LAYOUTS:
        raise ValueError(f"unknown receipt layout {layout!r}")
    return write_pdf(
        path, f"Pishkhan {receipt.reference_raw}", lambda w: render_receipt(receipt, w, layout)
    )


def receipt_layout_setting(ctx: AppContext) -> str:
    layout = str(ctx.settings.get("receipt_layout"))
    return layout if layout in RECEIPT_LAYOUTS else "80mm"


def choose_printer(
    parent: QWidget | None, ctx: AppContext, page: QPageSize | None
) -> QPrinter | None:
    """The configured printer, confirmed in the print dialog; None if the clerk cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    name = str(ctx.settings.get("printer_name"))
    if name:
        printer.setPrinterName(name)
    if page is not None:
        printer.setPageSize(page)
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return printer


def print_receipt(
    parent: QWidget | None,
    ctx: AppContext,
    request_id: str,
    *,
    to_pdf: Path | None = None,
    on_done: Callable[[Path | None], None] | None = None,
) -> None:
    """Print a request's receipt (or write it as a PDF) and audit the print.

    The receipt is read on ``ctx.worker``; the printer dialog and painting run on the GUI
    thread; the audit event (a reprint if it was printed before) is written on the worker.
    ``on_done`` gets the PDF's path (or None for paper) once the event is recorded; it is
    not called if the clerk cancels the dialog or something fails (the error is shown).
    """
    lang = ctx.lang
    store, catalogs, clerk = ctx.store, ctx.catalogs, ctx.clerk
    layout = receipt_layout_setting(ctx)

    def failed(exc: BaseException) -> None:
        show_error(parent, exc, lang)

    def recorded(target: Path | None) -> None:
        if on_done is not None:
            on_done(target)

    def paint(receipt: Receipt) -> None:
        target: Path | None = None
        try:
            if to_pdf is not None:
                target = render_receipt_pdf(receipt, to_pdf, layout)
            else:
                page = QPageSize(QPageSize.PageSizeId.A5) if layout == "a5" else None
                printer = choose_printer(parent, ctx, page)
                if printer is None:
                    return
                render_receipt(receipt, printer, layout)
        except Exception as exc:  # shown like any other error, then nothing is audited
            failed(exc)
            return
        ctx.worker.submit(
            lambda: _record(store, clerk, request_id, receipt.reprint, layout),
            on_result=lambda _: recorded(target),
            on_error=failed,
        )

    ctx.worker.submit(
        lambda: receipt_for(store, request_id, lang=lang, catalogs=catalogs),
        on_result=paint,
        on_error=failed,
    )


def _record(
    store: Store, clerk: ClerkInfo | None, request_id: str, reprint: bool, layout: str
) -> None:
    if clerk is None:  # only the headless tools print without a login; nothing to attribute
        log.warning("receipt printed without a clerk logged in")
        return
    record_print(store, clerk, request_id, reprint, layout=layout)


__all__ = [
    "RECEIPT_LAYOUTS",
    "Flow",
    "Item",
    "PrintFailed",
    "ReceiptLayout",
    "begin_painting",
    "choose_printer",
    "ensure_font",
    "make_font",
    "print_receipt",
    "qr_image",
    "render_receipt",
    "render_receipt_pdf",
    "write_pdf",
]
