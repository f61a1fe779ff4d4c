"""The child process of the start-up benchmark: start a window, say when it is shown, exit.

Run as ``python -m bench.startup_probe app DATA_DIR`` (the real program, through
``desktop.__main__.main``, up to the login window) or ``... bare`` (a bare PySide6 dialog
with the widgets a login window needs, none of the project's code). It prints one JSON
line: ``time.perf_counter()`` at moments of the start (CLOCK_MONOTONIC on Linux, the
same clock as the parent's, so the parent subtracts its own spawn time) and leaves at
once with ``os._exit`` (closing down is not part of starting).

"Shown" is the first event-loop turn after the first top-level window's first paint
(an application event filter sees its show and paint events, whatever the window's
class; the class is reported so the parent can check it was the login window): the
backing store has been flushed by then, the window is on the screen. ("show_event" and
"painted" are marked too: the paint comes a loop turn or more after the show, and
whatever the program starts in between competes with it.) The program shows its login
window while the store is still being opened on the worker thread; "ready" is when that
is done: the shell has its context (a plain store), or the modules the login needs are
loaded (an encrypted store, opened by the login itself: ``StoreOpening.open`` returned).
``core_before_window`` says whether SQLAlchemy had been imported when the window was
shown, ``qt_namespace_before_window`` whether PySide6's ``Qt`` namespace had been built.

Beside each moment, ``usage`` holds what the process had used by then: CPU seconds (all
threads), involuntary context switches (the CPU taken away by other processes),
voluntary ones (a thread blocked: on the disk, a lock), major page faults (pages read
from the disk) and the time the main thread waited for a CPU while ready to run: on a
busy machine a phase that is slower on one side but used the same CPU there was
waiting, not working.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

MARKS: dict[str, float] = {}
USAGE: dict[str, tuple[float, int, int, int, float]] = {}
_LOCK = threading.Lock()  # "ready" may be marked on the worker thread


def _usage() -> tuple[float, int, int, int, float]:
    """CPU seconds, involuntary and voluntary context switches, major page faults, and
    the seconds the main thread was ready to run but waited for a CPU (Linux's
    schedstat: the machine's load, not the program's work)."""
    cpu = time.process_time()
    try:
        import resource
    except ImportError:  # not on Windows: the CPU time alone
        return cpu, 0, 0, 0, 0.0
    used = resource.getrusage(resource.RUSAGE_SELF)
    try:  # the thread group's leader: the main (GUI) thread
        with open("/proc/self/schedstat", encoding="ascii") as f:
            waited = int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        waited = 0.0
    return cpu, used.ru_nivcsw, used.ru_nvcsw, used.ru_majflt, waited


def mark(name: str) -> None:
    with _LOCK:
        if name not in MARKS:
            MARKS[name] = time.perf_counter()
            USAGE[name] = _usage()


def _done_when_both() -> None:
    """End once the window is shown and the program is ready, whichever comes last."""
    with _LOCK:
        if "shown" not in MARKS or "ready" not in MARKS:
            return
        line = {**MARKS, "window": WINDOW[0], **FACTS, "usage": USAGE}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    os._exit(0)


WINDOW = [""]
FACTS: dict[str, object] = {}


def _after_paint() -> None:
    """Mark "shown"; for the program, wait until it is ready (see the docstring), then end."""
    mark("shown")
    shells = _shells()
    if not shells or shells[0].ctx is not None:  # the bare window, or store opened first
        mark("ready")
    elif not FACTS.get("encrypted"):
        shells[0].contextReady.connect(lambda _ctx: (mark("ready"), _done_when_both()))
    _done_when_both()


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

    shown: list[QObject] = []

    class FirstWindow(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            kind = event.type()
            if (
                kind == QEvent.Type.Show
                and not shown
                and watched.isWidgetType()
                and watched.isWindow()  # type: ignore[attr-defined]
            ):
                shown.append(watched)
                WINDOW[0] = type(watched).__name__
                FACTS["core_before_window"] = "sqlalchemy" in sys.modules
                # PySide6 builds the Qt namespace's enums (~30 ms) when the name is first
                # reached; the start reaches it only after its window is shown.
                FACTS["qt_namespace_before_window"] = "Qt" in vars(sys.modules["PySide6.QtCore"])
                mark("show_event")
            elif kind == QEvent.Type.Paint and shown and watched is shown[0]:
                if "painted" not in MARKS:
                    mark("painted")
                    # The next loop turn: the paint's backing-store flush has run.
                    QTimer.singleShot(0, _after_paint)
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
        opening = module.StoreOpening
        open_store = opening.open

        def open_and_mark(self: object) -> object:
            core = open_store(self)
            if core is None:  # an encrypted store: the login can unlock it now
                mark("ready")
                _done_when_both()
            return core

        opening.open = open_and_mark
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
