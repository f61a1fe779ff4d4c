"""A clerk whose old hash was too weak for a key slot is told what to do at the login window.

A PC set up by an older program, the clerk's stored hash cheaper than the floor
(docs/SECURITY.md): the manager's first login encrypts the store and gives that clerk no
slot. After the restart (the real start's path: ``StoreOpening`` on the worker thread,
the ``LoginDialog`` typed into) the clerk's password cannot open the store, right or
wrong; the window says to ask the manager for a new password, in Persian and English,
instead of "wrong user name or password". Nothing else changes: other names still get
the usual words, the key file is not written, the manager still logs in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from desktop import keyslots
from desktop.clerks import ClerkDirectory, LoginFailed
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.db.models import Clerk
from desktop.keyslots_setup import ProtectingLogin
from tests.ui.conftest import CLERK_USER, MANAGER_USER, PASSWORD
from ui.app import StoreOpening
from ui.login import LoginAccess, LoginDialog
from ui.worker import Worker

ASK_MANAGER = {
    "en": "Ask the office manager to set a new password for you",
    "fa": "از مدیر دفتر بخواهید گذرواژهٔ تازه‌ای برای شما بگذارد",
}


def _encrypted_with_a_weak_clerk(store: Store) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash(PASSWORD)
    with store.write() as s:
        s.execute(update(Clerk).where(Clerk.username == CLERK_USER).values(password_hash=weak))
    ProtectingLogin(ClerkDirectory(store), store)(MANAGER_USER, PASSWORD)
    assert store.encrypted
    store.close()


def _type(qtbot: QtBot, login: LoginDialog, user: str, password: str) -> str:
    login.username.setText(user)
    login.password.setText(password)
    login.try_login()
    qtbot.waitUntil(lambda: not login.busy, timeout=10_000)
    return login.error.text() if login.error.isVisibleTo(login) else ""


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_window_says_to_ask_the_manager_for_a_new_password(
    qtbot: QtBot, office_store: Store, ui_data_dir: Path, lang: str
) -> None:
    _encrypted_with_a_weak_clerk(office_store)
    slots = keyslots.load(ui_data_dir)
    assert slots.clerk_slot(CLERK_USER) is None
    assert slots.left_without_slot() == (CLERK_USER,)
    keys = ui_data_dir / keyslots.KEYS_FILENAME
    keys_before = keys.read_bytes()

    worker = Worker()
    opening = StoreOpening(ui_data_dir, Settings(ui_data_dir))
    opened: list[object] = []
    worker.submit(opening.open, opened.append)
    qtbot.waitUntil(lambda: opened == [None], timeout=10_000)  # locked: nothing opened
    login = LoginDialog(LoginAccess(lang, worker, opening.authenticate))
    qtbot.addWidget(login)
    login.show()

    said = _type(qtbot, login, CLERK_USER, PASSWORD)
    assert ASK_MANAGER[lang] in said, said
    assert said == keyslots.NoSlot().message.text(lang)
    assert said != LoginFailed().message.text(lang)
    assert login.password.text() == "" and opening.core is None
    # A wrong password for that name: the same words (no slot can tell them apart).
    assert _type(qtbot, login, CLERK_USER, "not-the-password") == said
    # Nothing else changed: a name nobody has, and the manager's wrong password, are
    # the usual words; the key file was not written.
    assert _type(qtbot, login, "ghost", "x" * 8) == LoginFailed().message.text(lang)
    assert _type(qtbot, login, MANAGER_USER, "wrong-password") == LoginFailed().message.text(lang)
    assert keys.read_bytes() == keys_before
    with qtbot.waitSignal(login.loggedIn, timeout=10_000) as signal:
        login.username.setText(MANAGER_USER)
        login.password.setText(PASSWORD)
        login.try_login()
    assert signal.args[0].username == MANAGER_USER
    worker.wait_idle()
    assert opening.core is not None
    opening.core.close()
