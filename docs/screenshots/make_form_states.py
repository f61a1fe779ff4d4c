"""Screenshots of the clerk's and manager's states (issue 14), offscreen, at 1366×768 and
1024×768: the main window with a new citizen half typed (the birth place suggested from
the national code), a form with errors, the banner offline with requests needing
correction, the receipt's print preview, the day close. Each window gets what a clerk
has of the screen: the screen less a 40 px taskbar and a 30 px title bar. Demo data in
a temporary folder; nothing is sent anywhere.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python docs/screenshots/make_form_states.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

# Offscreen screens of the two sizes (Qt's offscreen platform takes a list of screens),
# so the windows are placed and fitted by their own code as on a real monitor.
_SCREENS = Path(tempfile.mkdtemp()) / "screens.json"
_SCREENS.write_text(
    json.dumps(
        {
            "screens": [
                {"name": "a-1366", "x": 0, "y": 0, "width": 1366, "height": 768},
                {"name": "b-1024", "x": 1366, "y": 0, "width": 1024, "height": 768},
            ]
        }
    )
)
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREENS}"

from PySide6.QtCore import QEvent, QRect, Qt  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop.clock import to_local  # noqa: E402
from desktop.config import Settings  # noqa: E402
from desktop.db.engine import Store  # noqa: E402
from desktop.demo import DEMO_CLERK, DEMO_MANAGER, seed_demo  # noqa: E402
from desktop.receipt import receipt_for  # noqa: E402
from rules.messages import Message  # noqa: E402
from ui.app import build_context  # noqa: E402
from ui.dayclose_dialog import DayCloseDialog  # noqa: E402
from ui.i18n import apply_language  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.printing_preview import ReceiptPreview  # noqa: E402
from ui.sync_adapter import SyncStatus  # noqa: E402
from ui.theme import apply_theme  # noqa: E402
from ui.window_geometry import Placement  # noqa: E402
from ui.worker import Worker  # noqa: E402

HERE = Path(__file__).resolve().parent
SIZES = ((0, 1366, 768), (1366, 1024, 768))  # screen's x, width, height
# What a clerk has of the screen: less a 40 px taskbar and a 30 px title bar.
USABLE = 70


def settle(app: QApplication, worker: Worker) -> None:
    for _ in range(5):
        worker.wait_idle()
        app.processEvents()


def type_keys(widget: QWidget, text: str) -> None:
    """Key events a character, as the clerk's keyboard sends them (the form reacts)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
            QApplication.sendEvent(widget, event)


def main() -> int:
    app = QApplication(sys.argv)
    apply_theme(app)
    apply_language(app, "fa")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        store = Store.open(data)
        seed_demo(store, requests=40)
        settings = Settings(data)
        worker = Worker()
        ctx = build_context(data, store, settings, worker=worker)
        ctx.catalogs.ensure_seeded()
        ctx.clerk = next(c for c in ctx.clerks.list() if c.username == DEMO_CLERK)
        for x, width, height in SIZES:
            # Larger than the screen: the window's own code fits it to the screen there.
            window = MainWindow(ctx, placement=Placement(QRect(x + 40, 30, 1600, 1000)))
            window.show()
            window.setGeometry(x, 30, width, height - USABLE)
            settle(app, worker)
            form = window.form
            form.picker.choose("criminal_record")
            # A new citizen typed up to the postal code: the date moved on past the birth
            # place the national code's 001 suggested (Tehran), shown with its note.
            cells = {**form.applicant_cells, **form.answer_cells}
            for key, text in (
                ("national_code", "۰۰۱۲۳۴۵۶۷۹"),
                ("first_name", "علی"),
                ("last_name", "رضایی"),
                ("mobile", "۰۹۱۲۱۲۳۴۵۶۷"),
                ("purpose", "۱"),
                ("father_name", "حسن"),
                ("birth_date", "۷۰۰۵۱۲"),
            ):
                widget = cells[key].editor.focus_widget
                widget.setFocus()
                type_keys(widget, text)
                settle(app, worker)
            window.grab().save(str(HERE / f"main-{width}x{height}.png"))
            form.clear()
            settle(app, worker)
            form.applicant_cells["national_code"].editor.set_value("۱۲۳۴۵۶۷۸۹۰")
            form.applicant_cells["mobile"].editor.set_value("۰۹۱۲")
            form.save()
            settle(app, worker)
            window.grab().save(str(HERE / f"form-errors-{width}x{height}.png"))

            contact = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25)
            window.banner.set_sync_status(
                SyncStatus(
                    waiting=3,
                    oldest_waiting_age=dt.timedelta(minutes=20),
                    attention=0,
                    last_contact=contact,
                    next_try=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2),
                    last_error=Message(
                        fa="سرور مرکزی پاسخ نداد (اتصال قطع است).",
                        en="The central server did not answer (no connection).",
                    ),
                    needs_reenrolment=False,
                    running=False,
                )
            )
            form.clear()
            settle(app, worker)
            window.grab().save(str(HERE / f"banner-offline-{width}x{height}.png"))
            window.close()
            window.deleteLater()
            settle(app, worker)

        newest = ctx.queries.rows(ctx.queries.ids()[:1]).popitem()[1]
        receipt = receipt_for(store, newest.id, lang="fa")
        # One shot: the preview is 720×688 on either screen (it fits itself to the smaller).
        preview = ReceiptPreview(receipt, "80mm", QPrinter, "fa")
        preview.move(20, 20)
        preview.show()
        settle(app, worker)
        preview.grab().save(str(HERE / "print-preview-80mm.png"))
        preview.close()

        ctx.clerk = next(c for c in ctx.clerks.list() if c.username == DEMO_MANAGER)
        for x, width, height in SIZES:
            dialog = DayCloseDialog(ctx)
            dialog.move(x + 20, 20)
            newest = ctx.queries.rows(ctx.queries.ids()[:1]).popitem()[1]
            dialog.set_day(to_local(newest.created_at).date())  # a day with requests
            dialog.resize(min(width - 40, 1100), height - USABLE - 40)
            dialog.show()
            settle(app, worker)
            dialog.grab().save(str(HERE / f"dayclose-{width}x{height}.png"))
            dialog.close()
        settle(app, worker)
        ctx.queries.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
