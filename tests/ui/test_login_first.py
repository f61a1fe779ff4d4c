"""The usual start: the login window first, the store opened on the worker meanwhile.

``run_gui`` on a set-up data folder shows the login window before the store is open; a
login typed at once waits its turn and then opens the main window; a store that will
not open is told to the clerk and nothing is changed. The last test starts the real
program in a fresh process and checks that SQLAlchemy is not even imported when the
login window appears (that is what makes the start fast, bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import ui.app
from desktop.db.engine import DB_FILENAME, Store
from desktop.errors import DiskFullError
from desktop.office import this_device
from tests.ui.conftest import CLERK_USER, PASSWORD
from ui.app import Shell, run_gui
from ui.login import LoginDialog
from ui.mainwindow import MainWindow

ROOT = Path(__file__).resolve().parents[2]
GIVE_UP_MS = 30_000


def _visible(kind: type[QWidget]) -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def _run_with(data_dir: Path, step: Callable[[], bool]) -> int:
    """``run_gui`` on ``data_dir`` (a real window start) while ``step`` is called every
    10 ms on the GUI thread until it returns True; gives up (exit 99) after 30 s."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(lambda: step() and poll.stop())
    QTimer.singleShot(0, poll.start)
    QTimer.singleShot(GIVE_UP_MS, lambda: app.exit(99))
    try:
        return run_gui(data_dir)
    finally:
        poll.stop()
        app.setQuitOnLastWindowClosed(True)
        for shell in app.findChildren(Shell):
            shell.setParent(None)


def test_a_login_typed_before_the_store_is_open_waits_then_opens_the_main_window(
    populated_store: Store, ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = this_device(populated_store)
    assert device is not None
    populated_store.close()
    seen: dict[str, object] = {}

    def step() -> bool:
        if "typed" not in seen:
            login = _visible(LoginDialog)
            if login is None:
                return False
            assert isinstance(login, LoginDialog)
            shell = QApplication.instance().findChildren(Shell)[0]  # type: ignore[union-attr]
            seen["store open when the window was shown"] = shell.ctx is not None
            office = login.findChild(QWidget, "loginOffice")
            seen["office"] = office.text() if office is not None else ""  # type: ignore[attr-defined]
            login.username.setText(CLERK_USER)
            login.password.setText(PASSWORD)
            login.try_login()
            seen["typed"] = True
            return False
        window = _visible(MainWindow)
        if window is None:
            return False
        assert isinstance(window, MainWindow)
        seen["clerk"] = window._ctx.clerk.username if window._ctx.clerk else None
        window.close()  # the clerk closes the program: closedByUser → quit
        return True

    assert _run_with(ui_data_dir, step) == 0
    assert seen["store open when the window was shown"] is False
    assert device.office_name in str(seen["office"])  # read before the store was open
    assert seen["clerk"] == CLERK_USER


def test_a_store_that_will_not_open_is_told_and_left_as_it_was(
    populated_store: Store, ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populated_store.close()
    before = (ui_data_dir / DB_FILENAME).read_bytes()
    told: list[str] = []

    def full_disk(*_args: object, **_kwargs: object) -> object:
        raise DiskFullError("database or disk is full")

    monkeypatch.setattr(ui.app, "open_core", full_disk)
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda _parent, _title, text, *rest: told.append(text))
    assert _run_with(ui_data_dir, lambda: False) == 2
    assert told == [DiskFullError().message.fa]
    assert (ui_data_dir / DB_FILENAME).read_bytes() == before
    assert _visible(LoginDialog) is None


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
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "bench.startup_probe", "app", str(folder)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    assert marks["window"] == "LoginDialog"
    assert marks["core_before_window"] is False
    assert marks["shown"] < marks["ready"]  # and the store did open after it
