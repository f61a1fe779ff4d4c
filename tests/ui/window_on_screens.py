"""Run by tests/ui/test_window_geometry.py in a process of its own, on screens it configured.

Qt's offscreen platform takes a list of screens (``offscreen:configfile=...``), so the
main window meets a 1366×768 and a 1024×768 monitor for real: it is placed by its own
code, shown, filled (a service chosen), measured, closed; the next window reads back the
place the last one saved. Prints one JSON object on stdout.

Usage: python -m tests.ui.window_on_screens DATA_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from desktop.config import Settings
from desktop.db.engine import Store
from ui.app import build_context, create_application, demo_clerk, settle
from ui.i18n import apply_language
from ui.mainwindow import MainWindow
from ui.window_geometry import Placement


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def on_screen(widget: QWidget) -> list[int]:
    return rect(QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size()))


def measure(window: MainWindow, app: QApplication, settle_ctx: object) -> dict[str, object]:
    window.show()
    window.form.picker.choose("smart_card")  # the widest form of the demo catalogue
    settle(app, settle_ctx)  # type: ignore[arg-type]
    return {
        "screen": window.screen().name(),
        "frame": rect(window.frameGeometry()),
        "maximized": window.isMaximized(),
        "status_bar": on_screen(window.statusBar()),
        "status_bar_visible": window.statusBar().isVisible(),
        "save_button": on_screen(window.form.save_button),
        "save_button_visible": window.form.save_button.isVisible(),
    }


def main() -> int:
    data_dir = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    create_application()
    apply_language(app, "fa")
    screens = {s.name(): s.availableGeometry() for s in QGuiApplication.screens()}
    store = Store.open(data_dir)
    settings = Settings(data_dir)
    ctx = build_context(data_dir, store, settings)
    ctx.catalogs.ensure_seeded()
    ctx.clerk = demo_clerk(ctx)
    out: dict[str, object] = {
        "screens": {name: rect(g) for name, g in screens.items()},
        "primary": QGuiApplication.primaryScreen().name(),
    }
    # 1. The first start: nothing saved.
    first = MainWindow(ctx)
    out["first"] = measure(first, app, ctx)
    first.close_for_good()
    # 2. Each screen filled edge to edge with a window larger than it (a place saved on a
    #    bigger monitor), then the next window opens where that one was closed.
    for name, room in screens.items():
        too_big = Placement(QRect(room.x() + 40, room.y() + 30, 1600, 1000))
        window = MainWindow(ctx, placement=too_big)
        out[f"on_{name}"] = measure(window, app, ctx)
        window.close_for_good()
        ctx.worker.wait_idle()
        app.processEvents()
        out[f"saved_after_{name}"] = Settings(data_dir).get("window_placement")
        again = MainWindow(ctx)
        out[f"reopened_after_{name}"] = rect(again.geometry())
        again.close_for_good()
    # 3. A place on a monitor that is not there any more (saved by hand, as a PC would
    #    after its second monitor was unplugged).
    settings.set("window_placement", '{"x": 5000, "y": 40, "width": 1100, "height": 700}')
    gone = MainWindow(ctx)
    out["gone"] = measure(gone, app, ctx)
    gone.close_for_good()
    ctx.worker.wait_idle()
    app.processEvents()
    ctx.queries.close()
    store.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
