"""The usual start: the login window first, the store opened on the worker meanwhile.

``run_gui`` on a set-up data folder shows the login window before the store is open; a
login typed at once waits its turn and then opens the main window; the store's opening
(imports that hold the GIL) starts only once the window has been painted, or a moment
later if it never is; a store that will not open is told to the clerk and nothing is
changed. The last test starts the real program in a fresh process and checks that
SQLAlchemy is not even imported when the login window appears (that is what makes the
start fast, bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

import ui.app
from desktop.db.engine import DB_FILENAME, Store
from desktop.errors import DiskFullError
from desktop.office import this_device
from tests.ui.conftest import CLERK_USER, PASSWORD
from ui.app import Shell, after_first_paint, run_gui
from ui.login import LoginDialog

ROOT = Path(__file__).resolve().parents[2]
GIVE_UP_MS = 30_000


class Run:
    """One ``run_gui`` on a data folder, a real window start, driven from a timer."""

    def __init__(self) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.app = app
        self.earlier = set(app.findChildren(Shell))  # other tests' shells live on the app
        self.shell: Shell | None = None

    def start(self, data_dir: Path, step: Callable[[Shell], bool]) -> int:
        """``step(shell)`` is called every 10 ms on the GUI thread until it returns True;
        gives up (exit 99) after 30 s."""
        poll = QTimer()
        poll.setInterval(10)

        def tick() -> None:
            shell = self._find_shell()
            if shell is not None and step(shell):
                poll.stop()

        poll.timeout.connect(tick)
        QTimer.singleShot(0, poll.start)
        give_up = QTimer()  # an object, not singleShot: it must not outlive this run
        give_up.setSingleShot(True)
        give_up.timeout.connect(lambda: self.app.exit(99))
        give_up.start(GIVE_UP_MS)
        try:
            return run_gui(data_dir)
        finally:
            give_up.stop()
            poll.stop()
            self.app.setQuitOnLastWindowClosed(True)
            shell = self._find_shell()
            if shell is not None:
                shell.setParent(None)

    def _find_shell(self) -> Shell | None:
        if self.shell is None:
            self.shell = next(
                (s for s in self.app.findChildren(Shell) if s not in self.earlier), None
            )
        return self.shell


def test_a_login_typed_before_the_store_is_open_waits_then_opens_the_main_window(
    populated_store: Store, ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = this_device(populated_store)
    assert device is not None
    populated_store.close()
    seen: dict[str, object] = {}
    # The worker's opening is held until the login has been typed: on a loaded machine
    # the store could otherwise open before the first poll sees the window, and the test
    # would depend on which thread wins.
    typed = threading.Event()
    real_open_core = ui.app.open_core

    def held_open_core(*args: Any, **kwargs: Any) -> Any:
        assert typed.wait(GIVE_UP_MS / 1000), "the login was never typed"
        return real_open_core(*args, **kwargs)

    monkeypatch.setattr(ui.app, "open_core", held_open_core)

    def step(shell: Shell) -> bool:
        if "typed" not in seen:
            login = shell.login
            if login is None or not login.isVisible():
                return False
            seen["store open when the window was shown"] = shell.ctx is not None
            office = login.findChild(QWidget, "loginOffice")
            seen["office"] = office.text() if office is not None else ""  # type: ignore[attr-defined]
            login.username.setText(CLERK_USER)
            login.password.setText(PASSWORD)
            login.try_login()
            seen["typed"] = True
            typed.set()
            return False
        window = shell.main
        if window is None or not window.isVisible():
            return False
        seen["clerk"] = window._ctx.clerk.username if window._ctx.clerk else None
        window.close()  # the clerk closes the program: closedByUser → quit
        return True

    assert Run().start(ui_data_dir, step) == 0
    assert seen["store open when the window was shown"] is False
    assert device.office_name in str(seen["office"])  # read before the store was open
    assert seen["clerk"] == CLERK_USER


class _Paints(QObject):
    """Notes each paint of a login window in ``order`` (GUI thread)."""

    def __init__(self, order: list[str]) -> None:
        super().__init__()
        self._order = order

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, LoginDialog):
            self._order.append("login window painted")
        return False


def test_the_store_is_opened_only_once_the_login_window_has_been_painted(
    populated_store: Store, ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populated_store.close()
    order: list[str] = []

    class NotingWorker(ui.app.Worker):  # the real worker; it notes what it is given
        def submit(self, fn: Callable[[], Any], *args: Any, **kwargs: Any) -> None:
            if getattr(fn, "__func__", None) is ui.app.StoreOpening.open:
                order.append("store opening submitted")
            super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(ui.app, "Worker", NotingWorker)
    paints = _Paints(order)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(paints)

    def step(shell: Shell) -> bool:
        if shell.ctx is None:
            return False
        assert shell.login is not None
        shell.login.reject()  # the clerk quits at the login window
        return True

    try:
        assert Run().start(ui_data_dir, step) == 0
    finally:
        app.removeEventFilter(paints)
    # The worker's imports hold the GIL: they start after the first paint, not with it.
    assert order[:2] == ["login window painted", "store opening submitted"]


def test_a_login_window_not_painted_in_time_does_not_hold_the_store_back(qtbot: QtBot) -> None:
    window = QWidget()  # not shown: as if started minimised
    qtbot.addWidget(window)
    called: list[str] = []
    after_first_paint(window, lambda: called.append("opening"), at_latest_ms=50)
    qtbot.waitUntil(lambda: called == ["opening"], timeout=5_000)
    window.show()  # painted later: nothing runs a second time
    qtbot.waitExposed(window)
    QApplication.processEvents()
    assert called == ["opening"]


def test_a_store_that_will_not_open_is_told_and_left_as_it_was(
    populated_store: Store, ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populated_store.close()
    before = (ui_data_dir / DB_FILENAME).read_bytes()
    told: list[str] = []

    def full_disk(*_args: object, **_kwargs: object) -> object:
        raise DiskFullError("database or disk is full")

    monkeypatch.setattr(ui.app, "open_core", full_disk)
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _parent, _title, text, *rest: told.append(text)
    )
    run = Run()
    assert run.start(ui_data_dir, lambda _shell: False) == 2
    assert told == [DiskFullError().message.fa]
    assert (ui_data_dir / DB_FILENAME).read_bytes() == before
    assert run.shell is not None and run.shell.login is not None
    assert not run.shell.login.isVisible() and run.shell.ctx is None


def test_the_program_shows_its_login_window_before_loading_the_database_library(
    populated_store: Store, ui_data_dir: Path, tmp_path: Path
) -> None:
    populated_store.close()
    home = tmp_path / "home"
    folder = home / "Pishkhan"  # the per-user data folder the program finds by itself
    folder.mkdir(parents=True)
    for path in ui_data_dir.iterdir():
        if path.name.startswith(DB_FILENAME):
            shutil.copy2(path, folder / path.name)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench.startup_probe", "app", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    assert marks["window"] == "LoginDialog"
    assert marks["core_before_window"] is False
    assert marks["qt_namespace_before_window"] is False  # its enums cost ~30 ms to build
    assert marks["shown"] < marks["ready"]  # and the store did open after it
