"""Run by ``bench.printing`` in a process of its own: a receipt's GUI-thread costs.

Prints one JSON line: per-run seconds, interleaved (A, B, A, B, ...) so a busy machine
slows both alike, for the receipt painted as a PDF (the paper path, as a direct print
paints it) and as the preview's images, in both layouts (both now beside the GUI
thread); the preview window opened and shown with its pages (what stays on the GUI
thread); and the system's printer list (read beside the GUI thread).

Usage: python -m bench.printing_probe DATA_DIR RUNS
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication


def main() -> int:
    data_dir, runs = Path(sys.argv[1]), int(sys.argv[2])
    app = QApplication(sys.argv[:1])
    from desktop.db.engine import Store
    from desktop.receipt import receipt_for
    from ui.app import build_context, create_application, demo_clerk
    from ui.i18n import apply_language
    from ui.printing import configured_printer, printer_names
    from ui.printing_preview import ReceiptPreview
    from ui.printing_receipt import receipt_images, render_receipt_pdf

    create_application()
    apply_language(app, "fa")
    store = Store.open(data_dir)
    ctx = build_context(data_dir, store, lang="fa")
    ctx.clerk = demo_clerk(ctx)
    request_id = ctx.queries.rows(ctx.queries.ids()[:1]).popitem()[1].id
    receipt = receipt_for(store, request_id, lang="fa", catalogs=ctx.catalogs)
    out: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[..., object], *args: object) -> None:
        started = time.perf_counter()
        fn(*args)
        out.setdefault(name, []).append(time.perf_counter() - started)

    pages = receipt_images(receipt, "80mm")

    def preview() -> None:
        # What stays on the GUI thread: the window, given pages painted beside it.
        window = ReceiptPreview(
            receipt, "80mm", lambda: configured_printer(ctx, "80mm"), "fa", images=pages
        )
        window.show()
        app.processEvents()
        window.close()
        window.deleteLater()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # The first preview of a session builds PySide6's enums and Qt's widgets for the
        # first time: reported apart, then warm-ups fill the fonts' and the style's caches.
        timed("preview_first", preview)
        for _warm in range(2):
            render_receipt_pdf(receipt, folder / "warm.pdf", "80mm")
            receipt_images(receipt, "80mm")
            preview()
        for i in range(runs):
            for layout in ("80mm", "a5"):
                pdf = folder / f"{i}-{layout}.pdf"
                timed(f"pdf_{layout}", render_receipt_pdf, receipt, pdf, layout)
                timed(f"images_{layout}", receipt_images, receipt, layout)
            timed("preview_open", preview)
            timed("printer_names", printer_names)
            app.processEvents()
    out["printers"] = [float(len(printer_names()))]
    ctx.worker.wait_idle()
    ctx.queries.close()
    store.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
