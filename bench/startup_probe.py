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
(offscreen) backing store have run by then. The program shows its login window while
the store is still being opened on the worker thread; "ready" is when that is done (the
shell has its context: a login can be checked), and ``core_before_window`` says whether
SQLAlchemy had been imported when the window was shown.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

MARKS: dict[str, float] = {}


def mark(name: str) -> None:
    MARKS.setdefault(name, time.perf_counter())


def _done() -> None:
    mark("shown")
    sys.stdout.write(json.dumps({**MARKS, "window": WINDOW[0], **FACTS}) + "\n")
    sys.stdout.flush()
    os._exit(0)


WINDOW = [""]
FACTS: dict[str, object] = {}


def _after_show() -> None:
    """Mark "shown"; for the program, wait until the store is open ("ready"), then end."""
    mark("shown")
    shells = _shells()
    if FACTS.get("encrypted"):  # an encrypted store opens at the login: nothing to wait for
        _done()
        return
    if not shells or shells[0].ctx is not None:  # the bare window, or store opened first
        mark("ready")
        _done()
        return

    def ready(_ctx: object) -> None:
        mark("ready")
        _done()

    shells[0].contextReady.connect(ready)


def _shells() -> list:  # type: ignore[type-arg]
    if "ui.app" not in sys.modules:
        return []
    from PySide6.QtWidgets import QApplication

    from ui.app import Shell

    app = QApplication.instance()
    return app.findChildren(Shell) if app is not None else []


def _watch(app: object) -> None:
    """On the first top-level window shown: note its class, end on the next loop turn."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstWindow(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (
                event.type() == QEvent.Type.Show
                and not WINDOW[0]
                and watched.isWidgetType()
                and watched.isWindow()
            ):  # type: ignore[attr-defined]
                WINDOW[0] = type(watched).__name__
                FACTS["core_before_window"] = "sqlalchemy" in sys.modules
                mark("show_event")
                QTimer.singleShot(0, _after_show)
            return False

    watcher = FirstWindow(app)  # type: ignore[arg-type]
    app.installEventFilter(watcher)  # type: ignore[attr-defined]


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``then(module)`` right after one module's code has run, wherever it is imported.

    The probe must not import ``ui.app`` itself: the program imports its light core
    modules first and PySide6 after them (see desktop/__main__.py), and that order is
    part of what is measured.
    """

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self._name = name
        self._then = then

    def find_spec(self, fullname: str, path: object, target: object = None) -> object:
        if fullname != self._name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        assert spec is not None and spec.loader is not None
        loader, then = spec.loader, self._then
        exec_module = loader.exec_module

        def exec_then(module: ModuleType) -> None:
            exec_module(module)
            then(module)

        loader.exec_module = exec_then  # type: ignore[method-assign]
        return spec


def app(data_dir: str) -> None:
    mark("main")

    def watch_application(module: ModuleType) -> None:
        mark("ui_imported")
        create_application = module.create_application

        def watched_application() -> object:
            mark("application_start")
            qapp = create_application()
            mark("application_created")
            _watch(qapp)
            return qapp

        module.create_application = watched_application

    sys.meta_path.insert(0, _AfterImport("ui.app", watch_application))
    # As the installed program's shortcut starts it: no arguments, the per-user data
    # folder (found through platformdirs; on Linux under XDG_DATA_HOME).
    folder = Path(data_dir)
    FACTS["encrypted"] = (folder / "pishkhan.keys").exists()  # desktop.keyslots.KEYS_FILENAME
    if folder.name != "Pishkhan":
        raise SystemExit(f"the data folder must be named Pishkhan, not {folder.name}")
    os.environ.pop("PISHKHAN_DATA_DIR", None)
    os.environ["XDG_DATA_HOME"] = str(folder.parent)
    from desktop.__main__ import main

    main([])
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
