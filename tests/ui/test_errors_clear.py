"""Beyond the form: a dialog's error goes once the user changes what it answered (issue
14, item 2, the rest of its kind). Real store, real worker, real clerk directory."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from tests.ui.conftest import CLERK_USER, clerk_named
from ui.clerks_dialog import ClerksDialog, PasswordDialog
from ui.context import AppContext
from ui.login import LoginAccess, LoginDialog


def type_into(edit: QLineEdit, text: str) -> None:
    plain = Qt.KeyboardModifier.NoModifier
    for ch in text:
        QApplication.sendEvent(edit, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_unknown, plain, ch))


def shown(label: QLabel) -> bool:
    return not label.isHidden() and bool(label.text())


def test_new_account_error_goes_when_the_manager_edits(
    qtbot: QtBot, manager_ctx: AppContext
) -> None:
    dialog = ClerksDialog(manager_ctx)
    qtbot.addWidget(dialog)
    dialog.username.setText("tazeh")
    dialog.display_name.setText("کارمند تازه")
    dialog.password.setText("123")  # too short: refused by the directory
    dialog.add_button.click()
    qtbot.waitUntil(lambda: shown(dialog.error), timeout=5000)
    type_into(dialog.password, "4")
    assert not shown(dialog.error)


def test_password_and_login_errors_go_when_typing_again(
    qtbot: QtBot, manager_ctx: AppContext
) -> None:
    dialog = PasswordDialog(manager_ctx, clerk_named(manager_ctx, CLERK_USER))
    qtbot.addWidget(dialog)
    dialog.new.setText("123")
    dialog.repeat.setText("123")
    dialog.submit()
    qtbot.waitUntil(lambda: shown(dialog.error), timeout=5000)
    type_into(dialog.new, "x")
    assert not shown(dialog.error)

    login = LoginDialog(LoginAccess.of(manager_ctx))
    qtbot.addWidget(login)
    login.try_login()  # nothing typed
    assert shown(login.error)
    type_into(login.username, "m")
    assert not shown(login.error)
