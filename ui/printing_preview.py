"""The receipt on screen before it goes to paper: Enter prints it, Esc closes.

The pages shown are the receipt's own flow painted on images (``receipt_images``), in the
configured layout (the 80 mm roll as long as its content, or the A5 sheet), fitted to the
window's width; Ctrl and +/- zoom. (Qt's ``QPrintPreviewWidget`` replays recorded text at
the screen's resolution, and ran Persian words and digits into each other.) "Print" goes
straight to the configured printer; "Another printer…" opens the system's dialog for this
one print (the configured printer is the manager's, in the settings).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.receipt import Receipt
from rules.bidi import ltr
from ui.printing_receipt import RECEIPT_LAYOUTS, page_for, receipt_images, render_receipt
from ui.theme import layout_direction, set_role
from ui.worker import Worker

log = logging.getLogger("pishkhan.ui")

PrinterFactory = Callable[[], QPrinter]
ROLL_WIDTH_PX = 440  # an 80 mm roll on screen at zoom 1: readable, not a poster


class ReceiptPreview(QDialog):
    """``printed`` once the receipt went to a printer; ``failed(exc)`` if it could not."""

    printed = Signal()
    failed = Signal(object)

    def __init__(
        self,
        receipt: Receipt,
        layout: str,
        printer: PrinterFactory,
        lang: str,
        parent: QWidget | None = None,
        *,
        images: list[QImage] | None = None,
        worker: Worker | None = None,
    ) -> None:
        """``images``: the pages, painted beforehand off the GUI thread (else here);
        ``worker``: prints beside the GUI thread (else on it)."""
        super().__init__(parent)
        self.setObjectName("receiptPreview")
        self.setLayoutDirection(layout_direction(lang))
        self.receipt = receipt
        self.layout_key = layout
        self._make_printer = printer
        self.printer = printer()
        self.setWindowTitle(self.tr("Receipt preview"))
        self.setSizeGripEnabled(True)
        self._roll = RECEIPT_LAYOUTS[layout].height_mm is None
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        # Room for the frame and a taskbar: the buttons are never off a 768-line screen.
        self.resize(min(720, screen.width() - 40), min(760, screen.height() - 80))

        self.images = images if images is not None else receipt_images(receipt, layout)
        self._worker = worker
        self.zoom = 1.0  # 1: the page as wide as the window
        self.pages: list[QLabel] = []
        sheet = QWidget(self)
        sheet.setObjectName("receiptPreviewSheet")
        column = QVBoxLayout(sheet)
        column.setSpacing(12)
        for number, _image in enumerate(self.images):
            page = QLabel(sheet)
            page.setObjectName(f"receiptPreviewPage{number}")
            page.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            column.addWidget(page)
            self.pages.append(page)
        column.addStretch(1)
        self.area = QScrollArea(self)
        self.area.setObjectName("receiptPreviewPages")
        self.area.setWidget(sheet)
        self.area.setWidgetResizable(True)
        self.area.setStyleSheet("#receiptPreviewSheet { background: #8a9399; }")

        # A printer's name is Latin: isolated in the Persian line (see settings_dialog).
        name = ltr(self.printer.printerName()) or self.tr("the system's default printer")
        self.where = QLabel(
            self.tr("%1 on %2")
            .replace("%1", RECEIPT_LAYOUTS[layout].title.text(lang))
            .replace("%2", name),
            self,
        )
        self.where.setObjectName("receiptPreviewPrinter")
        set_role(self.where, "help")

        zoom_in = QPushButton(self.tr("Zoom in"), self)
        zoom_in.setObjectName("previewZoomIn")
        zoom_in.setAutoDefault(False)
        zoom_in.clicked.connect(self.zoom_in)
        zoom_out = QPushButton(self.tr("Zoom out"), self)
        zoom_out.setObjectName("previewZoomOut")
        zoom_out.setAutoDefault(False)
        zoom_out.clicked.connect(self.zoom_out)
        # Standard zoom keys: Ctrl with + and -, whichever keyboard layout is on.
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, self.zoom_in),
            (QKeySequence.StandardKey.ZoomOut, self.zoom_out),
        ):
            QShortcut(QKeySequence(keys), self).activated.connect(slot)

        self.print_button = QPushButton(self.tr("Print (Enter)"), self)
        self.print_button.setObjectName("previewPrint")
        self.print_button.setDefault(True)
        self.print_button.clicked.connect(self.print_now)
        self.other_printer = QPushButton(self.tr("Another printer…"), self)
        self.other_printer.setObjectName("previewOtherPrinter")
        self.other_printer.setAutoDefault(False)
        self.other_printer.clicked.connect(self.print_elsewhere)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.other_printer, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)

        tools = QHBoxLayout()
        tools.addWidget(self.where, 1)
        tools.addWidget(zoom_out)
        tools.addWidget(zoom_in)
        layout_box = QVBoxLayout(self)
        layout_box.addLayout(tools)
        layout_box.addWidget(self.area, 1)
        layout_box.addWidget(buttons)
        self.print_button.setFocus()

    @property
    def page_count(self) -> int:
        return len(self.images)

    def zoom_in(self) -> None:
        self.zoom = min(self.zoom * 1.25, 4.0)
        self._show_pages()

    def zoom_out(self) -> None:
        self.zoom = max(self.zoom / 1.25, 0.25)
        self._show_pages()

    def _show_pages(self) -> None:
        # At zoom 1 a page is as wide as the window, a roll no wider than a hand's width.
        room = min(self.area.viewport().width() - 40, ROLL_WIDTH_PX if self._roll else 10_000)
        for page, image in zip(self.pages, self.images, strict=True):
            width = max(40, round(room * self.zoom))
            page.setPixmap(
                QPixmap.fromImage(
                    image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
                )
            )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._show_pages()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_pages()

    def print_now(self) -> None:
        """On the configured printer (a fresh one: the preview's has been painted on)."""
        self._print_on(self._make_printer())

    def print_elsewhere(self) -> None:
        printer = self._make_printer()
        page = page_for(self.layout_key)
        if page is not None:
            printer.setPageSize(page)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self._print_on(printer)

    def _print_on(self, printer: QPrinter) -> None:
        self.print_button.setEnabled(False)
        self.other_printer.setEnabled(False)
        receipt, layout = self.receipt, self.layout_key
        if self._worker is None:
            try:
                render_receipt(receipt, printer, layout)
            except Exception as exc:
                self._not_printed(exc)
            else:
                self._printed(None)
            return
        self._worker.aside(
            lambda: render_receipt(receipt, printer, layout), self._printed, self._not_printed
        )

    def _printed(self, _pages: object) -> None:
        self.printed.emit()
        self.accept()

    def _not_printed(self, exc: BaseException) -> None:
        # The preview stays open: the clerk switches the printer on and presses Enter again.
        self.print_button.setEnabled(True)
        self.other_printer.setEnabled(True)
        self.print_button.setFocus()
        self.failed.emit(exc)


__all__ = ["PrinterFactory", "ReceiptPreview"]
