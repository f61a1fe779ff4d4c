"""A screenshot of the request form's documents area (issue 12), offscreen, in Persian.

A demo office in a temporary folder, the demo catalogue with scans asked for, a request
form with three scans added through the area's own paths (two files and a pasted image),
one not yet assigned to a document; the area is grabbed as the clerk sees it.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python docs/screenshots/make_documents_area.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication

from bench.scan_pages import a4_text_page, colour_photo
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.demo import DEMO_CLERK, seed_demo
from tests.scans.scan_catalog import publish_with_scans
from ui.app import build_context
from ui.documents_area import NOT_CHOSEN
from ui.i18n import apply_language
from ui.request_form import RequestForm
from ui.theme import apply_theme
from ui.worker import Worker

HERE = Path(__file__).resolve().parent
OUT = HERE / "documents-area.png"


def main() -> int:
    app = QApplication(sys.argv)
    apply_theme(app)
    apply_language(app, "fa")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        store = Store.open(data)
        seed_demo(store, requests=5)
        ctx = build_context(data, store, Settings(data), worker=Worker())
        ctx.catalogs.ensure_seeded()
        publish_with_scans(ctx.catalogs)
        ctx.clerk = next(c for c in ctx.clerks.list() if c.username == DEMO_CLERK)
        form = RequestForm(ctx)
        form.resize(1100, 1400)
        form.show()
        form.picker.choose("driving_licence")
        area = form.documents_area
        card = data / "scan-0001.jpg"
        card.write_bytes(a4_text_page().jpeg())
        photo = data / "photo.jpg"
        photo.write_bytes(colour_photo(size=(900, 1200)))
        area.add_file(card, "medical_exam")
        area.add_file(photo, "photo")
        pasted = QImage(1240, 1754, QImage.Format.Format_RGB32)
        pasted.fill(QColor("#f4f1ea"))
        with QPainter(pasted) as painter:
            painter.setFont(QFont("Vazirmatn", 60))
            painter.drawText(pasted.rect(), Qt.AlignmentFlag.AlignCenter, "گواهینامهٔ قبلی")
        area.add_image(pasted, None)
        deadline = time.monotonic() + 60
        while (area.busy or len(area.pending) < 3) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        area.watch(data)
        area.list.setCurrentRow(2)
        form.show_errors({"scans": NOT_CHOSEN})
        app.processEvents()
        area.grab().save(str(OUT))
        ctx.worker.wait_idle()
        store.close()
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
