"""Beyond the form: a dialog's error goes once the user changes what it answered (issue
14, item 2, the rest of its kind: accounts, password, login, set-up, enrolment). Real
store, real worker, real clerk directory."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from tests.ui.conftest import CLERK_USER, clerk_named
from ui.clerks_dialog import ClerksDialog, PasswordDialog
from ui.context import AppContext
from ui.enrol_dialog import EnrolDialog
from ui.login import LoginAccess, LoginDialog
from ui.setup_wizard import SetupWizard


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


def test_set_up_errors_go_when_their_part_is_edited(qtbot: QtBot, fresh_ctx: AppContext) -> None:
    wizard = SetupWizard(fresh_ctx)
    qtbot.addWidget(wizard)
    wizard.office_code.setText("۱۲۳۴")
    wizard.office_name.setText("دفتر پیشخوان ۱۲۳۴")
    wizard.counter_no.setText("100")  # refused: counters go up to 99
    wizard.username.setText("modir")
    wizard.display_name.setText("مریم رحیمی")
    wizard.password.setText("short")  # refused: too short
    wizard.password_again.setText("short")
    wizard.finish.click()
    qtbot.waitUntil(lambda: not wizard.busy and shown(wizard.manager_error), timeout=5000)
    assert shown(wizard.office_error)
    type_into(wizard.password, "-and-longer")
    assert not shown(wizard.manager_error)
    assert shown(wizard.office_error)  # the office's part still says what is wrong there
    wizard.counter_no.clear()
    type_into(wizard.counter_no, "2")
    assert not shown(wizard.office_error)


def test_an_enrolment_refusal_goes_when_a_field_is_edited(
    qtbot: QtBot, manager_ctx: AppContext
) -> None:
    dialog = EnrolDialog(manager_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.server.setText("https://sync.example.ir")
    dialog.code.clear()
    dialog.connect_button.click()  # no code: refused before any call
    assert shown(dialog.status) and dialog.status.property("role") == "error"
    type_into(dialog.code, "A")
    assert not shown(dialog.status)
    assert dialog.code_preview.isVisible()  # what the code will be sent as stays
