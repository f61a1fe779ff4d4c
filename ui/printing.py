"""Printing a receipt: the printer, the preview or a PDF, and the audit of each print.

What Ctrl+P does is the manager's choice (``ui.settings_dialog``; setting
``receipt_print``): ``preview`` shows the receipt on screen first (Enter prints it on the
configured printer, ``ui.printing_preview``), ``direct`` sends it straight to the printer
(the clerk prints dozens a day; no dialog between them and the paper), ``dialog`` opens
the system's print dialog as before. The printer is ``printer_name`` (empty: the
system's default) and the layout ``receipt_layout`` (80 mm roll or A5).

The receipt is read on the worker thread and painted on a thread beside the GUI thread
(``Worker.aside``: QPainter paints on a QPrinter or a QImage in any thread; laying out a
receipt takes ~0.1 s, bench printing); only the dialogs run on the GUI thread. The audit
event is written on the worker. Printing never touches the network, so it works
the same offline. How it looks is ``ui.printing_receipt``; how text is measured,
``ui.printing_flow``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPageSize
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QWidget

from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.receipt import Receipt, receipt_for, record_print
from ui.context import AppContext
from ui.errors import show_error
from ui.printing_preview import PrinterFactory, ReceiptPreview
from ui.printing_receipt import (
    RECEIPT_LAYOUTS,
    page_for,
    receipt_images,
    render_receipt,
    render_receipt_pdf,
)

log = logging.getLogger("pishkhan.ui")


#: What Ctrl+P may do (setting ``receipt_print``); an unknown value means the first.
PRINT_MODES = ("preview", "direct", "dialog")

_previews: set[ReceiptPreview] = set()


def receipt_layout_setting(ctx: AppContext) -> str:
    layout = str(ctx.settings.get("receipt_layout"))
    return layout if layout in RECEIPT_LAYOUTS else "80mm"


def print_mode_setting(ctx: AppContext) -> str:
    mode = str(ctx.settings.get("receipt_print"))
    return mode if mode in PRINT_MODES else PRINT_MODES[0]


def configured_printer(ctx: AppContext, layout: str | None = None) -> QPrinter:
    """The printer the manager chose (else the system's default), set for the layout."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    name = str(ctx.settings.get("printer_name"))
    if name:
        printer.setPrinterName(name)
    page = page_for(layout or receipt_layout_setting(ctx))
    if page is not None:
        printer.setPageSize(page)
    return printer


def printer_names() -> list[str]:
    """The printers the system knows. May take seconds (a network printer, a stuck
    spooler): call it off the GUI thread (``ui.worker.run_aside``)."""
    return sorted(QPrinterInfo.availablePrinterNames(), key=str.casefold)


def choose_printer(
    parent: QWidget | None, ctx: AppContext, page: QPageSize | None
) -> QPrinter | None:
    """The configured printer, confirmed in the print dialog; None if the clerk cancelled."""
    printer = configured_printer(ctx)
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
    mode: str | None = None,
    printer: PrinterFactory | None = None,
) -> None:
    """Print a request's receipt (or write it as a PDF) and audit the print.

    ``mode``: preview, direct or dialog (default: the setting). ``printer``: makes the
    printer a preview or a direct print goes to (default: ``configured_printer``).
    The receipt is read on ``ctx.worker``; it is painted beside the GUI thread
    (``Worker.aside``), the dialogs on it; the audit event (a reprint if it was printed
    before) is written on the worker. ``on_done`` gets the PDF's path (or None for
    paper) once the event is recorded; it is not called if the clerk cancels or
    something fails (the error is shown).
    """
    lang = ctx.lang
    store, catalogs, clerk = ctx.store, ctx.catalogs, ctx.clerk
    layout = receipt_layout_setting(ctx)
    how = mode if mode in PRINT_MODES else print_mode_setting(ctx)
    make_printer = printer or (lambda: configured_printer(ctx, layout))

    def failed(exc: BaseException) -> None:
        show_error(parent, exc, lang)

    def recorded(target: Path | None) -> None:
        if on_done is not None:
            on_done(target)

    def audit(receipt: Receipt, target: Path | None) -> None:
        ctx.worker.submit(
            lambda: _record(store, clerk, request_id, receipt.reprint, layout),
            on_result=lambda _: recorded(target),
            on_error=failed,
        )

    def show_preview(receipt: Receipt, images: list[QImage]) -> None:
        preview = ReceiptPreview(
            receipt, layout, make_printer, lang, parent, images=images, worker=ctx.worker
        )
        preview.printed.connect(lambda: audit(receipt, None))
        preview.failed.connect(failed)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # A preview with no parent window is held here until it closes.
        _previews.add(preview)
        preview.finished.connect(lambda _code: _previews.discard(preview))
        preview.open()

    def paint(receipt: Receipt) -> None:
        # Laying out and painting a receipt takes ~0.1 s (bench printing): on a thread
        # beside the GUI (QPainter paints on a QPrinter or QImage in any thread); only
        # the dialogs stay on the GUI thread.
        aside = ctx.worker.aside
        at_work = ctx.during_clerk_work  # the update's download pauses while it prints
        try:
            if to_pdf is not None:
                target = to_pdf
                aside(
                    lambda: at_work(lambda: render_receipt_pdf(receipt, target, layout)),
                    on_result=lambda path: audit(receipt, path),
                    on_error=failed,
                )
                return
            if how == "preview":
                aside(
                    lambda: at_work(lambda: receipt_images(receipt, layout)),
                    on_result=lambda images: show_preview(receipt, images),
                    on_error=failed,
                )
                return
            if how == "direct":
                paper = make_printer()
            else:
                chosen = choose_printer(parent, ctx, page_for(layout))
                if chosen is None:
                    return
                paper = chosen
        except Exception as exc:  # shown like any other error, then nothing is audited
            failed(exc)
            return
        aside(
            lambda: at_work(lambda: render_receipt(receipt, paper, layout)),
            on_result=lambda _pages: audit(receipt, None),
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
    "PRINT_MODES",
    "choose_printer",
    "configured_printer",
    "print_mode_setting",
    "print_receipt",
    "printer_names",
    "receipt_layout_setting",
]
