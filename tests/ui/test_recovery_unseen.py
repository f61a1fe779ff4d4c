"""The login window after a power cut hid the recovery key of the first encryption.

The first manager's login on a plain store (a child program,
tests/core/test_recovery_unseen_kill.py) is killed right after the key file is written.
The next start is login first on the encrypted store: a clerk's login goes on and shows
nothing; the manager's shows a new recovery key in the same window as the first
encryption's, and its button clears the key file's mark (on the worker); closing the
window without it leaves the mark. No argon2id runs on the GUI thread. The set-up
wizard's key (a new PC) is marked seen by the same button, and a manager's login while
its window is still open does not replace it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from desktop import keyslots
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.db.peek import start_header
from desktop.keyslots_setup import data_key_for
from tests.core.test_recovery_unseen_kill import finish, read_line, start_child
from tests.ui.conftest import CLERK_USER, MANAGER_USER, PASSWORD
from ui.app import StoreOpening
from ui.context import AppContext
from ui.login import LoginAccess, LoginDialog
from ui.recovery_key import NOTICE, RecoveryKeyDialog
from ui.setup_wizard import SetupWizard
from ui.worker import Worker


@pytest.fixture
def cut_short(office_store: Store, ui_data_dir: Path) -> str:
    """The data folder after the cut: the key file written, its key never shown."""
    office_store.close()
    proc = start_child(ui_data_dir, "key-file", MANAGER_USER, PASSWORD)
    unseen = read_line(proc, "saved")
    assert finish(proc) == -signal.SIGKILL
    assert keyslots.load(ui_data_dir).recovery_unseen
    return unseen


@pytest.fixture
def derived_on() -> Iterator[list[bool]]:
    """Whether each argon2id derivation ran on the GUI thread (it must not)."""
    seen: list[bool] = []
    real = keyslots._derive

    def derive(*args: object, **kwargs: object) -> bytes:
        seen.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    keyslots._derive = derive
    yield seen
    keyslots._derive = real


def _login_first(ui_data_dir: Path, worker: Worker) -> tuple[StoreOpening, LoginDialog]:
    header = start_header(ui_data_dir)
    assert header is not None
    opening = StoreOpening(ui_data_dir, Settings(ui_data_dir))
    worker.submit(opening.open)
    access = LoginAccess(
        "fa",
        worker,
        opening.authenticate,
        header.office_name,
        header.counter_no,
        recovery_key=opening.recovery_key,
        recovery_seen=opening.recovery_seen,
    )
    return opening, LoginDialog(access)


def _log_in(qtbot: QtBot, login: LoginDialog, user: str) -> None:
    with qtbot.waitSignal(login.loggedIn, timeout=10_000):
        login.username.setText(user)
        login.password.setText(PASSWORD)
        login.try_login()


def test_the_managers_next_login_shows_a_new_key_and_its_button_clears_the_mark(
    qtbot: QtBot, cut_short: str, ui_data_dir: Path, derived_on: list[bool]
) -> None:
    worker = Worker()
    opening, login = _login_first(ui_data_dir, worker)
    qtbot.addWidget(login)
    login.show()
    _log_in(qtbot, login, CLERK_USER)  # a clerk first: in, nothing shown
    assert login.recovery_window is None and keyslots.load(ui_data_dir).recovery_unseen
    assert opening.core is not None
    key = opening.core.store.data_key

    # The clerk logs out; the manager logs in (the window after a logout: LoginAccess.of).
    from ui.app import context_of

    ctx = context_of(opening.core, ui_data_dir, Settings(ui_data_dir), worker)
    again = LoginDialog(LoginAccess.of(ctx))
    qtbot.addWidget(again)
    again.show()
    _log_in(qtbot, again, MANAGER_USER)
    window = again.recovery_window
    assert isinstance(window, RecoveryKeyDialog) and window.isVisible()
    qtbot.addWidget(window)
    assert window.findChild(QLabel, "recoveryKey") is window.key_label
    assert NOTICE.fa in [label.text() for label in window.findChildren(QLabel)]
    renewed = window.key_label.text().split("\n")[1]  # the Latin line, isolated
    assert data_key_for(ui_data_dir, recovery_key=renewed) == key
    with pytest.raises(keyslots.WrongSecret):
        data_key_for(ui_data_dir, recovery_key=cut_short)
    assert keyslots.load(ui_data_dir).recovery_unseen  # shown: not yet confirmed
    button = window.findChild(QPushButton, "recoveryKeyDone")
    assert button is not None
    derived_on.clear()
    button.click()
    qtbot.waitUntil(lambda: not keyslots.load(ui_data_dir).recovery_unseen, timeout=10_000)
    worker.wait_idle()
    assert derived_on and not any(derived_on)  # the check of the key: on the worker
    ctx.queries.close()
    opening.core.close()


def test_the_login_first_window_shows_it_and_closing_it_unconfirmed_keeps_the_mark(
    qtbot: QtBot, cut_short: str, ui_data_dir: Path, derived_on: list[bool]
) -> None:
    worker = Worker()
    opening, login = _login_first(ui_data_dir, worker)
    qtbot.addWidget(login)
    login.show()
    _log_in(qtbot, login, MANAGER_USER)
    window = login.recovery_window
    assert isinstance(window, RecoveryKeyDialog) and window.isVisible()
    qtbot.addWidget(window)
    renewed = window.key_label.text().split("\n")[1]
    assert renewed.replace("-", "") != cut_short
    # Every group on the screen: the 55 characters of a line do not wrap, and a window
    # narrower than them cut off the last groups (a 520-pixel minimum did).
    metrics = QFontMetrics(window.key_label.font())
    for line in window.key_label.text().split("\n"):
        assert window.key_label.width() >= metrics.horizontalAdvance(line), line
    assert window.width() <= 1366  # still on the smallest screen of the offices
    assert derived_on and not any(derived_on)  # unlock, renewal: all on the worker
    window.reject()  # Escape, or the window's close button: not "I have written it down"
    worker.wait_idle()
    assert keyslots.load(ui_data_dir).recovery_unseen  # the next manager's login: a new one
    assert opening.core is not None
    assert data_key_for(ui_data_dir, recovery_key=renewed) == opening.core.store.data_key
    opening.core.close()


def test_the_set_up_wizards_key_is_marked_seen_by_its_button_only(
    qtbot: QtBot, fresh_ctx: AppContext, ui_data_dir: Path
) -> None:
    wizard = SetupWizard(fresh_ctx)
    qtbot.addWidget(wizard)
    for field, text in (
        (wizard.office_code, "۱۲۳۴"),
        (wizard.office_name, "دفتر پیشخوان ۱۲۳۴"),
        (wizard.counter_no, "2"),
        (wizard.username, "modir"),
        (wizard.display_name, "مریم رحیمی"),
        (wizard.password, "correct-horse"),
        (wizard.password_again, "correct-horse"),
    ):
        field.setText(text)
    with qtbot.waitSignal(wizard.completed, timeout=10_000):
        wizard.submit()
    window = wizard.recovery_window
    assert isinstance(window, RecoveryKeyDialog) and window.isVisible()
    qtbot.addWidget(window)
    # The power cut now would leave the mark: the wizard's key is not seen until confirmed.
    assert keyslots.load(ui_data_dir).recovery_unseen
    shown = window.key_label.text().split("\n")[1]
    # The manager logs in first, the key's window still open beside: it stays the key.
    login = LoginDialog(LoginAccess.of(fresh_ctx))
    qtbot.addWidget(login)
    login.show()
    with qtbot.waitSignal(login.loggedIn, timeout=10_000):
        login.username.setText("modir")
        login.password.setText("correct-horse")
        login.try_login()
    assert login.recovery_window is None
    assert data_key_for(ui_data_dir, recovery_key=shown) == fresh_ctx.store.data_key
    button = window.findChild(QPushButton, "recoveryKeyDone")
    assert button is not None
    button.click()
    qtbot.waitUntil(lambda: not keyslots.load(ui_data_dir).recovery_unseen, timeout=10_000)
