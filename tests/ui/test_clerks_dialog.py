"""Passwords from the windows: the manager resets a clerk's, anyone changes their own.

The core (``ClerkDirectory.change_password``) does not ask for the current password;
the own-password window does, by authenticating first. Both are audited.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from pytestqt.qtbot import QtBot

from desktop.clerks import AccountLocked, ClerkDirectory, LoginFailed
from desktop.db.engine import Store
from tests.ui.conftest import CLERK_USER, MANAGER_USER, PASSWORD, MakeCtx, clerk_named
from ui.clerks_dialog import ClerksDialog, PasswordDialog
from ui.context import AppContext
from ui.mainwindow import MainWindow

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]

NEW_PASSWORD = "تازه-۱۲۳۴۵"  # Persian digits: the core stores them as ASCII
NEW_PASSWORD_ASCII = "تازه-12345"


def password_changes(ctx: AppContext) -> list[tuple[int | None, int]]:
    with contextlib.closing(ctx.store.raw_read()) as conn:
        return [
            (row[0], json.loads(row[1])["target"])
            for row in conn.execute(
                "SELECT clerk_id, detail FROM audit_events WHERE action = 'password_changed' "
                "ORDER BY id"
            )
        ]


def logs_in(ctx: AppContext, username: str, password: str) -> bool:
    try:
        ClerkDirectory(ctx.store).authenticate(username, password)
    except LoginFailed:
        return False
    return True


def test_manager_sets_a_new_password_for_a_clerk(qtbot: QtBot, manager_ctx: AppContext) -> None:
    dialog = ClerksDialog(manager_ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: len(dialog.clerks()) == 2, timeout=5000)
    assert not dialog.reset_password.isEnabled()  # nothing selected
    dialog.select(MANAGER_USER)
    assert not dialog.reset_password.isEnabled()  # one's own: from the main menu
    dialog.select(CLERK_USER)
    assert dialog.reset_password.isEnabled()

    dialog.reset_password.click()
    reset = dialog.password_dialog
    assert reset is not None and reset.isVisible() and not reset.own
    assert not reset.current.isVisibleTo(reset)  # the manager is not asked the clerk's
    reset.new.setText("short")
    reset.repeat.setText("short")
    reset.ok_button.click()
    qtbot.waitUntil(lambda: reset.error.isVisibleTo(reset) and not reset.busy, timeout=5000)
    assert "دست‌کم" in reset.error.text()  # the core's rule, in Persian
    reset.new.setText(NEW_PASSWORD)
    reset.repeat.setText("something-else")
    reset.ok_button.click()
    assert "یکی نیستند" in reset.error.text()  # checked in the window, nothing sent
    assert password_changes(manager_ctx) == []

    reset.new.setText(NEW_PASSWORD)
    reset.repeat.setText(NEW_PASSWORD_ASCII)  # either digit set: the same password
    with qtbot.waitSignal(reset.passwordChanged, timeout=5000):
        reset.ok_button.click()
    assert not reset.isVisible()
    assert "سارا کریمی" in dialog.notice.text()
    assert logs_in(manager_ctx, CLERK_USER, NEW_PASSWORD_ASCII)
    assert not logs_in(manager_ctx, CLERK_USER, PASSWORD)
    manager = clerk_named(manager_ctx, MANAGER_USER)
    clerk = clerk_named(manager_ctx, CLERK_USER)
    assert password_changes(manager_ctx) == [(manager.id, clerk.id)]


def test_a_reset_lifts_the_lock_of_a_clerk_who_forgot(
    qtbot: QtBot, manager_ctx: AppContext
) -> None:
    directory = ClerkDirectory(manager_ctx.store, lockout_attempts=2)
    for _ in range(2):
        with contextlib.suppress(LoginFailed, AccountLocked):
            directory.authenticate(CLERK_USER, "wrong-guess")
    with pytest.raises(AccountLocked):
        directory.authenticate(CLERK_USER, PASSWORD)
    dialog = PasswordDialog(manager_ctx, clerk_named(manager_ctx, CLERK_USER))
    qtbot.addWidget(dialog)
    dialog.new.setText("another-password")
    dialog.repeat.setText("another-password")
    with qtbot.waitSignal(dialog.passwordChanged, timeout=5000):
        dialog.ok_button.click()
    assert logs_in(manager_ctx, CLERK_USER, "another-password")


def test_a_clerk_changes_their_own_password_from_the_main_menu_after_proving_the_old_one(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    window = MainWindow(ui_ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.act_password.isVisible()
    window.act_password.trigger()
    dialog = window.findChild(PasswordDialog)
    assert dialog is not None and dialog.own and dialog.isVisible()

    dialog.new.setText(NEW_PASSWORD)
    dialog.repeat.setText(NEW_PASSWORD)
    dialog.ok_button.click()
    assert "کنونی" in dialog.error.text()  # the current password is asked for first

    dialog.current.setText("not-my-password")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error.isVisibleTo(dialog), timeout=5000)
    assert dialog.error.text() == "گذرواژهٔ کنونی درست نیست."
    assert dialog.current.text() == ""
    assert password_changes(ui_ctx) == []
    assert logs_in(ui_ctx, CLERK_USER, PASSWORD)  # unchanged

    dialog.current.setText(PASSWORD)
    dialog.new.setText(NEW_PASSWORD)
    dialog.repeat.setText(NEW_PASSWORD)
    with qtbot.waitSignal(dialog.passwordChanged, timeout=5000):
        dialog.ok_button.click()
    assert "گذرواژهٔ شما تغییر کرد" in window.statusBar().currentMessage()
    me = clerk_named(ui_ctx, CLERK_USER)
    assert password_changes(ui_ctx) == [(me.id, me.id)]
    assert logs_in(ui_ctx, CLERK_USER, NEW_PASSWORD)  # Persian digits typed at login too
    assert not logs_in(ui_ctx, CLERK_USER, PASSWORD)
    window.close_for_good()


def test_wrong_current_passwords_count_towards_the_lock(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store
) -> None:
    ctx = make_ctx(office_store, clerk=CLERK_USER)
    ctx.clerks = ClerkDirectory(ctx.store, lockout_attempts=2)
    dialog = PasswordDialog(ctx, clerk_named(ctx, CLERK_USER))
    qtbot.addWidget(dialog)
    for _ in range(2):
        dialog.current.setText("guess-guess")
        dialog.new.setText(NEW_PASSWORD)
        dialog.repeat.setText(NEW_PASSWORD)
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert "قفل" in dialog.error.text()  # the core's lock message: no guessing through here
    assert password_changes(ctx) == []
