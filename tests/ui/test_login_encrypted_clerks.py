"""The login window before the encrypted store is open (issue 13): old clerks, lockout, damage.

The real start's path: ``StoreOpening`` on the worker thread, the ``LoginDialog`` typed
into. A PC set up by an older program is encrypted by its manager's first login; after a
restart a clerk from before logs in with their own password (their password-hash slot is
rewrapped); wrong passwords typed before the store is open lock the account with the
plain store's message; a damaged key file is a sentence under the fields, not a trace.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop import keyslots
from desktop.clerks import AccountLocked, ClerkDirectory, LoginFailed
from desktop.config import Settings
from desktop.db.engine import DB_FILENAME, Store
from desktop.keyslots_setup import ProtectingLogin
from tests.ui.conftest import CLERK_USER, MANAGER_USER, PASSWORD
from ui.app import StoreOpening
from ui.login import LoginAccess, LoginDialog
from ui.worker import Worker


def _encrypted_by_the_manager(store: Store) -> None:
    """This version's first start on an older PC: the manager's login encrypts the store."""
    ProtectingLogin(ClerkDirectory(store), store)(MANAGER_USER, PASSWORD)
    assert store.encrypted
    store.close()


def _login_first(qtbot: QtBot, data_dir: Path) -> tuple[LoginDialog, StoreOpening, Worker]:
    worker = Worker()
    opening = StoreOpening(data_dir, Settings(data_dir))
    opened: list[object] = []
    worker.submit(opening.open, opened.append)
    qtbot.waitUntil(lambda: opened == [None], timeout=10_000)  # locked: nothing opened
    login = LoginDialog(LoginAccess("fa", worker, opening.authenticate))
    qtbot.addWidget(login)
    login.show()
    return login, opening, worker


def _type(qtbot: QtBot, login: LoginDialog, user: str, password: str) -> str:
    login.username.setText(user)
    login.password.setText(password)
    login.try_login()
    qtbot.waitUntil(lambda: not login.busy, timeout=10_000)
    return login.error.text() if login.error.isVisibleTo(login) else ""


def test_a_clerk_from_before_logs_in_after_the_restart(
    qtbot: QtBot, office_store: Store, ui_data_dir: Path
) -> None:
    _encrypted_by_the_manager(office_store)
    slot = keyslots.load(ui_data_dir).clerk_slot(CLERK_USER)
    assert slot is not None and slot.from_hash
    login, opening, worker = _login_first(qtbot, ui_data_dir)
    assert _type(qtbot, login, CLERK_USER, "not-the-password") == LoginFailed().message.fa
    with qtbot.waitSignal(login.loggedIn, timeout=10_000) as signal:
        login.username.setText(CLERK_USER)
        login.password.setText(PASSWORD)
        login.try_login()
    assert signal.args[0].username == CLERK_USER
    slot = keyslots.load(ui_data_dir).clerk_slot(CLERK_USER)
    assert slot is not None and not slot.from_hash
    worker.wait_idle()
    assert opening.core is not None
    opening.core.close()


def test_wrong_passwords_before_the_store_is_open_lock_the_account(
    qtbot: QtBot, office_store: Store, ui_data_dir: Path
) -> None:
    _encrypted_by_the_manager(office_store)
    login, opening, worker = _login_first(qtbot, ui_data_dir)
    said = [_type(qtbot, login, CLERK_USER, f"wrong-{i}-password") for i in range(5)]
    assert said[:4] == [LoginFailed().message.fa] * 4
    assert said[4] == AccountLocked(5).message.fa  # settings' default: 5 tries, 5 minutes
    assert _type(qtbot, login, CLERK_USER, PASSWORD) == AccountLocked(5).message.fa
    assert opening.core is None  # the right password while locked opened nothing
    assert login.password.text() == ""
    # The manager is not locked out by the clerk's failures.
    with qtbot.waitSignal(login.loggedIn, timeout=10_000):
        login.username.setText(MANAGER_USER)
        login.password.setText(PASSWORD)
        login.try_login()
    worker.wait_idle()
    assert opening.core is not None
    opening.core.close()


def test_a_damaged_key_file_is_a_sentence_under_the_fields(
    qtbot: QtBot, office_store: Store, ui_data_dir: Path
) -> None:
    _encrypted_by_the_manager(office_store)
    login, opening, worker = _login_first(qtbot, ui_data_dir)
    keys = ui_data_dir / keyslots.KEYS_FILENAME
    damaged = keys.read_bytes()[:-25]
    keys.write_bytes(damaged)  # damaged after the window came up
    said = _type(qtbot, login, MANAGER_USER, PASSWORD)
    assert said == keyslots.KeySlotsDamaged("").message.fa
    assert keys.read_bytes() == damaged and opening.core is None
    worker.wait_idle()


def test_a_key_file_damaged_before_the_start_is_said_and_kept(
    office_store: Store, ui_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.app import run_gui

    _encrypted_by_the_manager(office_store)
    keys = ui_data_dir / keyslots.KEYS_FILENAME
    for damaged in (keys.read_bytes()[:-25], b"[" * 100_000):
        keys.write_bytes(damaged)
        db_before = (ui_data_dir / DB_FILENAME).read_bytes()
        assert run_gui(ui_data_dir, smoke=True, lang="en") == 2
        err = capsys.readouterr().err
        assert keyslots.KeySlotsDamaged("").message.en in err, err
        assert "Traceback" not in err
        assert keys.read_bytes() == damaged
        assert (ui_data_dir / DB_FILENAME).read_bytes() == db_before
