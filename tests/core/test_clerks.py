"""Clerk accounts: first manager, adding/disabling clerks, lockout, audit of every action."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from desktop.audit import Action
from desktop.clerks import (
    AccountError,
    AccountLocked,
    ClerkDirectory,
    ClerkInfo,
    LoginFailed,
)
from desktop.db.engine import Store
from desktop.errors import PermissionDeniedError
from tests.core.conftest import PASSWORD


class FakeClock:
    """A settable clock: lockouts are about minutes, tests must not wait for them."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _actions(store: Store) -> list[str]:
    con = sqlite3.connect(store.path)
    try:
        return [r[0] for r in con.execute("SELECT action FROM audit_events ORDER BY id")]
    finally:
        con.close()


def test_first_manager_only_once(clerks: ClerkDirectory, manager: ClerkInfo) -> None:
    assert manager.is_manager and clerks.has_any()
    with pytest.raises(PermissionDeniedError):
        clerks.create_manager("other", "دیگری", PASSWORD)


def test_manager_adds_and_disables_clerks(
    store: Store, clerks: ClerkDirectory, manager: ClerkInfo
) -> None:
    clerk = clerks.add_clerk(manager, "Sara.K", "سارا", "sara-pass-1")
    assert clerk.username == "sara.k" and not clerk.is_manager
    assert clerks.authenticate("SARA.K", "sara-pass-1").id == clerk.id
    with pytest.raises(PermissionDeniedError):
        clerks.add_clerk(clerk, "x", "x", "long-enough")
    with pytest.raises(AccountError):
        clerks.add_clerk(manager, "sara.k", "دوباره", "sara-pass-1")
    with pytest.raises(AccountError):
        clerks.add_clerk(manager, "short", "کوتاه", "123")
    clerks.set_active(manager, clerk.id, False)
    with pytest.raises(LoginFailed):
        clerks.authenticate("sara.k", "sara-pass-1")
    with pytest.raises(AccountError):
        clerks.set_active(manager, manager.id, False)
    actions = _actions(store)
    assert actions.count(Action.CLERK_ADDED) == 2
    assert Action.CLERK_DISABLED in actions and Action.LOGIN in actions


def test_wrong_passwords_lock_the_account_for_a_while(store: Store, manager: ClerkInfo) -> None:
    clock = FakeClock()
    clerks = ClerkDirectory(store, clock=clock, lockout_attempts=3, lockout_minutes=5)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            clerks.authenticate("modir", "wrong-password")
    with pytest.raises(AccountLocked) as info:
        clerks.authenticate("modir", "wrong-password")
    assert "قفل" in info.value.message.fa
    # Even the right password is refused while locked.
    with pytest.raises(AccountLocked):
        clerks.authenticate("modir", PASSWORD)
    clock.now += dt.timedelta(minutes=6)
    assert clerks.authenticate("modir", PASSWORD).id == manager.id
    actions = _actions(store)
    assert actions.count(Action.LOGIN_FAILED) == 3
    assert Action.ACCOUNT_LOCKED in actions


def test_unknown_user_fails_like_a_wrong_password(
    clerks: ClerkDirectory, manager: ClerkInfo
) -> None:
    with pytest.raises(LoginFailed) as unknown:
        clerks.authenticate("nobody", PASSWORD)
    with pytest.raises(LoginFailed) as wrong:
        clerks.authenticate("modir", "nope-nope-nope")
    assert unknown.value.message == wrong.value.message


def test_persian_digits_in_user_name(clerks: ClerkDirectory, manager: ClerkInfo) -> None:
    clerk = clerks.add_clerk(manager, "baje2", "باجه دو", "password-2")
    assert clerks.authenticate("baje۲", "password-2").id == clerk.id


def test_password_is_hashed_with_argon2(store: Store, manager: ClerkInfo) -> None:
    con = sqlite3.connect(store.path)
    stored = con.execute("SELECT password_hash FROM clerks").fetchone()[0]
    con.close()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_password_with_persian_digits_matches_ascii(
    clerks: ClerkDirectory, manager: ClerkInfo
) -> None:
    clerk = clerks.add_clerk(manager, "baje3", "باجه سه", "ramz۱۲۳۴۵")
    assert clerks.authenticate("baje3", "ramz12345").id == clerk.id
    assert clerks.authenticate("baje3", "ramz١٢٣٤٥").id == clerk.id
