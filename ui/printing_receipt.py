"""The citizen's receipt on paper: the 80 mm roll and the A5 sheet, with its QR code.

What a receipt says is decided in ``desktop.receipt`` (its ``blocks()``); this module
only lays those blocks out on a ``Flow`` (``ui.printing_flow``) in one of the layouts and
paints them, on a printer, a PDF writer or a preview's page. Sending it to a printer is
``ui.printing``'s job.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageSize,
    QPaintDevice,
    QPainter,
)

from desktop.receipt import Heading, Note, QrCode, Receipt, Row, Rule
from rules.messages import Message
from ui.printing_flow import MM_PER_INCH, Draw, Flow, Item, begin_painting, make_font, write_pdf

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


def page_for(layout: str) -> QPageSize | None:
    """The paper a layout asks the printer for (None: the roll's length is the content's)."""
    return QPageSize(QPageSize.PageSizeId.A5) if layout == "a5" else None


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


def receipt_flow(receipt: Receipt, device: QPaintDevice, layout: str) -> Flow:
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


def _paginate(flow: Flow, spec: ReceiptLayout) -> tuple[float, list[list[tuple[float, Item]]]]:
    """The paper's height (mm) and the items on each page: a roll is one page as long
    as its content; a sheet is cut into pages of its height."""
    margin = flow.mm(spec.margin_mm)
    if spec.height_mm is None:
        height_mm = (flow.height + 2 * margin) * MM_PER_INCH / flow.dpi
        return height_mm, [list(flow.pages(float("inf"))[0])]
    return spec.height_mm, flow.pages(flow.mm(spec.height_mm) - 2 * margin)


def render_receipt(receipt: Receipt, device: QPagedPaintDevice, layout: str = "80mm") -> int:
    """Paint ``receipt`` on a printer or PDF writer; returns the number of pages."""
    spec = RECEIPT_LAYOUTS[layout]
    flow = receipt_flow(receipt, device, layout)
    margin = flow.mm(spec.margin_mm)
    height_mm, pages = _paginate(flow, spec)
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


def _image(width_px: int, height_px: int, dpi: int) -> QImage:
    image = QImage(max(1, width_px), max(1, height_px), QImage.Format.Format_RGB32)
    dots_per_metre = round(dpi / MM_PER_INCH * 1000)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("white"))
    return image


def receipt_images(receipt: Receipt, layout: str = "80mm", dpi: int = 200) -> list[QImage]:
    """The receipt's pages as images at ``dpi``: what the preview shows.

    The same flow as on paper, measured on an image of that resolution: the fonts are
    unhinted (``make_font``), so text breaks where it breaks on the printer. (Qt's own
    print preview replays recorded text at the screen's resolution and ran words of
    different directions into each other.)
    """
    spec = RECEIPT_LAYOUTS[layout]
    flow = receipt_flow(receipt, _image(1, 1, dpi), layout)
    margin = flow.mm(spec.margin_mm)
    height_mm, pages = _paginate(flow, spec)
    images = []
    for page in pages:
        image = _image(round(flow.mm(spec.width_mm)), round(flow.mm(height_mm)), dpi)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            painter.setPen(QColor("black"))
            for y, item in page:
                item.draw(painter, margin, margin + y)
        finally:
            painter.end()
        images.append(image)
    return images


def render_receipt_pdf(receipt: Receipt, path: Path | str, layout: str = "80mm") -> Path:
    if layout not in RECEIPT_LAYOUTS:
        raise ValueError(f"unknown receipt layout {layout!r}")
    return write_pdf(
        path, f"Pishkhan {receipt.reference_raw}", lambda w: render_receipt(receipt, w, layout)
    )


__all__ = [
    "QR_BORDER",
    "RECEIPT_LAYOUTS",
    "ReceiptLayout",
    "page_for",
    "qr_image",
    "receipt_flow",
    "receipt_images",
    "render_receipt",
    "render_receipt_pdf",
]
