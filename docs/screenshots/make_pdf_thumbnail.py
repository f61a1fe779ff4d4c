"""A screenshot of PDF thumbnails in the documents area (issue 12 follow-up), offscreen,
in Persian, the main window at 1366×768 (less a 40 px taskbar and a 30 px title bar).

A demo office in a temporary folder, the catalogue with scans asked for, a new request of
a service with documents to scan: a three-page PDF letter (its first page drawn by PDFium
with the page count on it), a one-page PDF form, a scanner's JPEG, and a PDF whose page
object is missing (a plain sheet, and the area says why). The form is scrolled to the area.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python docs/screenshots/make_pdf_thumbnail.py
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication

from bench.scan_pages import a4_text_page
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.demo import DEMO_CLERK, seed_demo
from tests.scans.scan_catalog import publish_with_scans
from tests.ui.test_pdf_thumbnail import page_missing_pdf
from ui.app import build_context
from ui.i18n import apply_language
from ui.mainwindow import MainWindow
from ui.theme import apply_theme
from ui.window_geometry import Placement
from ui.worker import Worker

HERE = Path(__file__).resolve().parent
OUT = HERE / "documents-pdf-1366x768.png"
FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts"


def letter(pages: int, title: str) -> bytes:
    """A small PDF of A4 pages at 72 dpi: a heading bar, lines of 'text', a stamp."""
    fonts = sorted(FONT.glob("Vazirmatn*.ttf")) if FONT.is_dir() else []
    font = ImageFont.truetype(str(fonts[0]), 36) if fonts else ImageFont.load_default()
    sheets = []
    for number in range(pages):
        sheet = Image.new("L", (595, 842), 255)
        draw = ImageDraw.Draw(sheet)
        draw.rectangle((40, 40, 555, 110), fill=40)
        draw.text((60, 52), f"{title} {number + 1}", fill=255, font=font)
        for y in range(150, 700, 26):
            draw.line((60, y, 535 - (y * 7 % 160), y), fill=90, width=6)
        draw.ellipse((400, 690, 520, 810), outline=20, width=8)
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, "PDF", resolution=72, save_all=True, append_images=sheets[1:])
    return out.getvalue()


def main() -> int:
    app = QApplication(sys.argv)
    apply_theme(app)
    apply_language(app, "fa")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        store = Store.open(data)
        seed_demo(store, requests=5)
        worker = Worker()
        ctx = build_context(data, store, Settings(data), worker=worker)
        ctx.catalogs.ensure_seeded()
        publish_with_scans(ctx.catalogs)
        ctx.clerk = next(c for c in ctx.clerks.list() if c.username == DEMO_CLERK)
        window = MainWindow(ctx, placement=Placement(QRect(40, 30, 1600, 1000)))
        window.show()
        window.setGeometry(0, 30, 1366, 768 - 70)
        form = window.form
        form.picker.choose("driving_licence")
        area = form.documents_area
        files = {
            "letter.pdf": letter(3, "Letter"),
            "form.pdf": letter(1, "Form"),
            "scan-0001.jpg": a4_text_page().jpeg(),
            "torn.pdf": page_missing_pdf(),
        }
        for name, content in files.items():
            (data / name).write_bytes(content)
            area.add_file(data / name, "medical_exam" if name == "scan-0001.jpg" else None)
            while area.busy:
                worker.wait_idle()
                app.processEvents()
        for _ in range(5):
            worker.wait_idle()
            app.processEvents()
        area.list.setCurrentRow(0)
        form.scroll_area.ensureWidgetVisible(area, 20, 20)
        app.processEvents()
        window.grab().save(str(OUT))
        worker.wait_idle()
        store.close()
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
