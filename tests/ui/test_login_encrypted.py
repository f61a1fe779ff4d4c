"""The login window and the encrypted store (issue 13): the password opens it.

- login first on an encrypted store: the window is up from the key file's plain header,
  the store is closed until a password unlocks its key, a wrong one is told under the
  fields, the right one opens the store and the context is handed over;
- a PC set up by an older program (plain store): the first manager's login encrypts it
  and shows the recovery key once; a clerk's login leaves it as it is;
- the set-up wizard encrypts the new store and shows the recovery key.
"""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop import keyslots
from desktop.clerks import ClerkDirectory, ClerkInfo, LoginFailed
from desktop.config import Settings
from desktop.db.driver import is_plain
from desktop.db.engine import DB_FILENAME, Store
from desktop.db.peek import start_header
from desktop.keyslots_setup import data_key_for, encrypt_store
from tests.ui.conftest import CLERK_USER, MANAGER_USER, PASSWORD, MakeCtx
from ui.app import StoreOpening
from ui.context import AppContext
from ui.login import LoginAccess, LoginDialog
from ui.setup_wizard import SetupWizard
from ui.worker import Worker


def _wait_login(qtbot: QtBot, login: LoginDialog, user: str, password: str) -> None:
    login.username.setText(user)
    login.password.setText(password)
    login.try_login()
    qtbot.waitUntil(lambda: not login.busy, timeout=10_000)


def test_login_first_on_an_encrypted_store(
    qtbot: QtBot, office_store: Store, ui_data_dir: Path
) -> None:
    manager = next(c for c in _clerks(office_store) if c.username == MANAGER_USER)
    encrypt_store(office_store, manager, PASSWORD)
    ClerkDirectory(office_store).change_password(
        manager, next(c.id for c in _clerks(office_store) if c.username == CLERK_USER), PASSWORD
    )
    office_store.close()
    header = start_header(ui_data_dir)
    assert header is not None

    worker = Worker()
    opening = StoreOpening(ui_data_dir, Settings(ui_data_dir))
    handed: list[object] = []
    opened: list[object] = []
    worker.submit(opening.open, opened.append)
    qtbot.waitUntil(lambda: opened == [None], timeout=10_000)  # nothing opened yet
    access = LoginAccess(
        "fa",
        worker,
        opening.authenticate,
        header.office_name,
        header.counter_no,
        before_login=lambda: handed.append(opening.core),
        recovery_key=opening.recovery_key,
    )
    login = LoginDialog(access)
    qtbot.addWidget(login)
    login.show()
    _wait_login(qtbot, login, CLERK_USER, "not-the-password")
    assert login.error.text() == LoginFailed().message.fa
    assert opening.core is None and handed == []
    with qtbot.waitSignal(login.loggedIn, timeout=10_000) as signal:
        login.username.setText(CLERK_USER)
        login.password.setText(PASSWORD)
        login.try_login()
    assert signal.args[0].username == CLERK_USER
    assert opening.core is not None and handed == [opening.core]
    assert opening.core.store.encrypted
    assert login.recovery_window is None  # it was encrypted already: nothing to show
    worker.wait_idle()
    opening.core.close()


def test_the_first_managers_login_on_a_plain_store_encrypts_it_and_shows_the_key(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store, ui_data_dir: Path
) -> None:
    ctx: AppContext = make_ctx(office_store)
    login = LoginDialog(LoginAccess.of(ctx))
    qtbot.addWidget(login)
    with qtbot.waitSignal(login.loggedIn, timeout=10_000):
        _wait_login(qtbot, login, CLERK_USER, PASSWORD)
    assert not ctx.store.encrypted and is_plain(ui_data_dir / DB_FILENAME)

    login = LoginDialog(LoginAccess.of(ctx))
    qtbot.addWidget(login)
    login.show()
    login.username.setText(MANAGER_USER)
    login.password.setText(PASSWORD)
    with qtbot.waitSignal(login.loggedIn, timeout=10_000):
        login.try_login()
        assert login.notice.isVisible()  # said while it works: it may take minutes
        assert "رمزگذاری" in login.notice.text()
    assert ctx.store.encrypted and not is_plain(ui_data_dir / DB_FILENAME)
    window = login.recovery_window
    assert window is not None and window.isVisible()
    qtbot.addWidget(window)
    shown = window.findChild(type(login.error), "recoveryKey")
    assert shown is not None
    latin = shown.text().split("\n")[1]
    assert data_key_for(ui_data_dir, recovery_key=latin) == ctx.store.data_key
    assert ctx.queries.ids() is not None  # the queue reads the encrypted store
    window.close()


def test_the_set_up_wizard_encrypts_the_new_store(
    qtbot: QtBot, fresh_ctx: AppContext, ui_data_dir: Path
) -> None:
    wizard = SetupWizard(fresh_ctx)
    qtbot.addWidget(wizard)
    wizard.office_code.setText("۱۲۳۴")
    wizard.office_name.setText("دفتر پیشخوان ۱۲۳۴")
    wizard.counter_no.setText("2")
    wizard.username.setText("modir")
    wizard.display_name.setText("مریم رحیمی")
    wizard.password.setText("correct-horse")
    wizard.password_again.setText("correct-horse")
    with qtbot.waitSignal(wizard.completed, timeout=10_000):
        wizard.submit()
    assert fresh_ctx.store.encrypted and not is_plain(ui_data_dir / DB_FILENAME)
    assert wizard.recovery_window is not None and wizard.recovery_window.isVisible()
    qtbot.addWidget(wizard.recovery_window)
    header = keyslots.read_header(ui_data_dir)
    assert header is not None and header.office_name == "دفتر پیشخوان ۱۲۳۴"
    assert data_key_for(ui_data_dir, username="modir", password="correct-horse") == (
        fresh_ctx.store.data_key
    )


def _clerks(store: Store) -> list[ClerkInfo]:
    return ClerkDirectory(store).list()
