"""The child process of the start-up benchmark: start a window, say when it is shown, exit.

Run as ``python -m bench.startup_probe app DATA_DIR`` (the real program, through
``desktop.__main__.main``, up to the login window) or ``... bare`` (a bare PySide6 dialog
with the widgets a login window needs, none of the project's code). It prints one JSON
line: ``time.perf_counter()`` at moments of the start (CLOCK_MONOTONIC on Linux, the
same clock as the parent's, so the parent subtracts its own spawn time) and leaves at
once with ``os._exit`` (closing down is not part of starting).

"Shown" is the first event-loop turn after the first top-level window's show event (an
application event filter sees it, whatever the window's class; the class is reported so
the parent can check it was the login window): its layout and first paint into the
(offscreen) backing store have run by then.
"""

from __future__ import annotations

import json
import os
import sys
import time

MARKS: dict[str, float] = {}


def mark(name: str) -> None:
    MARKS.setdefault(name, time.perf_counter())


def _done() -> None:
    mark("shown")
    sys.stdout.write(json.dumps({**MARKS, "window": WINDOW[0]}) + "\n")
    sys.stdout.flush()
    os._exit(0)


WINDOW = [""]


def _watch(app: object) -> None:
    """On the first top-level window shown: note its class, end on the next loop turn."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstWindow(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (event.type() == QEvent.Type.Show and not WINDOW[0]
                    and watched.isWidgetType() and watched.isWindow()):  # type: ignore[attr-defined]
                WINDOW[0] = type(watched).__name__
                mark("show_event")
                QTimer.singleShot(0, _done)
            return False

    watcher = FirstWindow(app)  # type: ignore[arg-type]
    app.installEventFilter(watcher)  # type: ignore[attr-defined]


def app(data_dir: str) -> None:
    mark("main")
    import ui.app

    mark("ui_imported")
    import desktop.db.engine as engine

    open_store = engine.Store.open.__func__  # type: ignore[attr-defined]

    def timed_open(cls: type, *args: object, **kwargs: object) -> object:
        mark("store_open_start")
        store = open_store(cls, *args, **kwargs)
        mark("store_opened")
        return store

    engine.Store.open = classmethod(timed_open)  # type: ignore[assignment]
    create_application = ui.app.create_application

    def watched_application() -> object:
        qapp = create_application()
        _watch(qapp)
        return qapp

    ui.app.create_application = watched_application  # type: ignore[assignment]
    from desktop.__main__ import main

    main(["--data-dir", data_dir])
    print("no window was ever shown", file=sys.stderr)
    os._exit(3)


def bare() -> None:
    mark("main")
    from PySide6.QtWidgets import (
        QApplication,
        QDialog,
        QFormLayout,
        QLabel,
        QLineEdit,
        QPushButton,
    )

    mark("ui_imported")
    qapp = QApplication(sys.argv[:1])
    _watch(qapp)
    dialog = QDialog()
    dialog.setWindowTitle("Pishkhan — log in")
    form = QFormLayout(dialog)
    form.addRow(QLabel("Pishkhan"))
    form.addRow("User name", QLineEdit())
    password = QLineEdit()
    password.setEchoMode(QLineEdit.EchoMode.Password)
    form.addRow("Password", password)
    form.addRow(QPushButton("Log in"))
    dialog.show()
    qapp.exec()
    os._exit(3)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if sys.argv[1] == "app":
        app(sys.argv[2])
    else:
        bare()
