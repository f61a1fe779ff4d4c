"""A screenshot of a scan's preview (Enter on a PDF's thumbnail), offscreen, in Persian,
on a 1366×768 screen: the main window (less a 40 px taskbar and a 30 px title bar) with the
preview of a three-page PDF letter over it, turned to its second page from the keyboard
(the left arrow, as a Persian book turns). The page is drawn by PDFium off the GUI thread.

    PYTHONPATH=. .venv/bin/python docs/screenshots/make_scan_preview.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "scan-preview-1366x768.png"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "screens.json"
        screen = {"name": "office", "x": 0, "y": 0, "width": 1366, "height": 768}
        config.write_text(json.dumps({"screens": [screen]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
        return _shoot(Path(folder) / "data")


def _shoot(data: Path) -> int:
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.config import Settings
    from desktop.db.engine import Store
    from desktop.demo import DEMO_CLERK, seed_demo
    from docs.screenshots.make_pdf_thumbnail import letter
    from tests.scans.scan_catalog import publish_with_scans
    from ui.app import build_context
    from ui.i18n import apply_language
    from ui.mainwindow import MainWindow
    from ui.scan_preview import ScanPreview
    from ui.theme import apply_theme
    from ui.window_geometry import Placement
    from ui.worker import Worker

    app = QApplication(sys.argv)
    apply_theme(app)
    apply_language(app, "fa")
    store = Store.open(data)
    seed_demo(store, requests=5)
    worker = Worker()
    ctx = build_context(data, store, Settings(data), worker=worker)
    ctx.catalogs.ensure_seeded()
    publish_with_scans(ctx.catalogs)
    ctx.clerk = next(c for c in ctx.clerks.list() if c.username == DEMO_CLERK)
    window = MainWindow(ctx, placement=Placement(QRect(0, 30, 1366, 768 - 70)))
    window.show()
    window.setGeometry(0, 30, 1366, 768 - 70)
    form = window.form
    form.picker.choose("driving_licence")
    area = form.documents_area
    (data / "letter.pdf").write_bytes(letter(3, "Letter"))
    area.add_file(data / "letter.pdf", None)
    while area.busy:
        worker.wait_idle()
        app.processEvents()
    form.scroll_area.ensureWidgetVisible(area, 20, 20)
    area.list.setFocus()
    area.list.setCurrentRow(0)
    QTest.keyClick(area.list, Qt.Key.Key_Return)
    (preview,) = [p for p in area.findChildren(ScanPreview) if p.isVisible()]
    preview.move((1366 - preview.width()) // 2, 30 + max(0, (698 - preview.height()) // 2))
    QTest.keyClick(preview, Qt.Key.Key_Left)
    while not preview.drawn(preview.current):
        worker.wait_idle()
        app.processEvents()
    app.processEvents()
    shot = QImage(1366, 768, QImage.Format.Format_RGB32)
    shot.fill(QColor("#3b4a54"))  # the desktop behind the windows
    with QPainter(shot) as painter:
        painter.drawPixmap(window.geometry().topLeft(), window.grab())
        painter.drawPixmap(preview.mapToGlobal(QPoint(0, 0)), preview.grab())
    shot.save(str(OUT))
    print(OUT, preview.geometry())
    worker.wait_idle()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
