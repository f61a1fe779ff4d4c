"""The child process of the start-up benchmark: start a window, say when it is shown, exit.

Run as ``python -m bench.startup_probe app DATA_DIR`` (the real program, through
``desktop.__main__.main``, up to the login window) or ``... bare`` (a bare PySide6 dialog
with the widgets a login window needs, none of the project's code). It prints one JSON
line: ``time.perf_counter()`` at moments of the start (CLOCK_MONOTONIC on Linux, the
same clock as the parent's, so the parent subtracts its own spawn time) and leaves at
once with ``os._exit`` (closing down is not part of starting).

"Shown" is the first event-loop turn after the window's show event: its layout and first
paint into the (offscreen) backing store have run by then.
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
    sys.stdout.write(json.dumps(MARKS) + "\n")
    sys.stdout.flush()
    os._exit(0)


def _after_show(widget_class: type) -> None:
    """Make ``widget_class``'s first show end the process on the next event-loop turn."""
    from PySide6.QtCore import QTimer

    original = widget_class.showEvent

    def show_event(self: object, event: object) -> None:
        original(self, event)
        mark("show_event")
        QTimer.singleShot(0, _done)

    widget_class.showEvent = show_event


def app(data_dir: str) -> None:
    mark("main")
    import ui.login

    mark("ui_imported")
    import desktop.db.engine as engine

    open_store = engine.Store.open.__func__  # type: ignore[attr-defined]

    def timed_open(cls: type, *args: object, **kwargs: object) -> object:
        mark("store_open_start")
        store = open_store(cls, *args, **kwargs)
        mark("store_opened")
        return store

    engine.Store.open = classmethod(timed_open)  # type: ignore[assignment]
    _after_show(ui.login.LoginDialog)
    from desktop.__main__ import main

    main(["--data-dir", data_dir])
    print("the login window was never shown", file=sys.stderr)
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

    class Login(QDialog):
        pass

    _after_show(Login)
    dialog = Login()
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
