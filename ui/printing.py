"""Printing a receipt: the printer, the preview or a PDF, and the audit of each print.

The receipt is read on the worker thread and painted on the GUI thread (Qt's printing
is GUI-thread only); printing never touches the network, so it works the same offline.
How it looks is ``ui.printing_receipt``; how text is measured, ``ui.printing_flow``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QPageSize
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.receipt import Receipt, receipt_for, record_print
from ui.context import AppContext
from ui.errors import show_error
from ui.printing_receipt import RECEIPT_LAYOUTS, render_receipt, render_receipt_pdf

log = logging.getLogger("pishkhan.ui")


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


__all__ = ["choose_printer", "print_receipt", "receipt_layout_setting"]
