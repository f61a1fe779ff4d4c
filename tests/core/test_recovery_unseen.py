"""A recovery key nobody saw (issue 13's follow-up): the key file's unseen mark.

The first encryption writes the recovery slot with a mark that its key has not been
shown; only that same key, shown and confirmed, clears it. While it is set, a manager's
login (the program's, or ``set-password`` at the command line) makes a new key to show,
the unseen one stops working; a clerk's login leaves it and goes on; ``doctor`` says it in
both languages. Real stores and key files in tmp_path; the command line is the real one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from desktop import keyslots
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.db.engine import Store
from desktop.doctor import examine
from desktop.keyslots_setup import (
    ProtectingLogin,
    confirm_recovery_seen,
    data_key_for,
    encrypt_store,
    new_recovery_key,
    renew_unseen_recovery,
)
from tests.core.test_cli import INIT, batch, case, pishkhan

PASSWORD = "correct-horse"  # tests/core/conftest.py's manager
CLERK_PASSWORD = "battery-staple"
UNSEEN_EN = "The recovery key has not been shown yet; the manager's next login shows a new one"
UNSEEN_FA = "کلید بازیابی هنوز به کسی نشان داده نشده است؛ ورود بعدی مدیر دفتر کلید تازه‌ای"


def _raw(data_dir: Path) -> dict[str, object]:
    body = json.loads(keyslots.keys_path(data_dir).read_bytes())
    assert isinstance(body, dict)
    return body


def _reopen(store: Store, username: str, password: str) -> Store:
    """The next start of the program: the store opened by a clerk's password."""
    data_dir = store.path.parent
    store.close()
    return Store.open(data_dir, key=data_key_for(data_dir, username=username, password=password))


def test_the_mark_goes_with_the_slot_and_only_its_own_key_clears_it(
    store: Store, manager: ClerkInfo, data_dir: Path
) -> None:
    first = encrypt_store(store, manager, PASSWORD)
    assert _raw(data_dir)["recovery_unseen"] is True  # in the file the slot was written to
    assert keyslots.load(data_dir).recovery_unseen
    assert not confirm_recovery_seen(data_dir, "1" * 48)  # not this store's key
    second = new_recovery_key(store)  # e.g. another process made one meanwhile
    assert not confirm_recovery_seen(data_dir, first)  # the old one is not the one to see
    assert keyslots.load(data_dir).recovery_unseen
    assert confirm_recovery_seen(data_dir, second)
    assert "recovery_unseen" not in _raw(data_dir)
    assert not keyslots.load(data_dir).recovery_unseen
    assert data_key_for(data_dir, recovery_key=second) == store.data_key
    # An older program's file (no mark) reads as seen; a mark that is not true/false is
    # damage, said as such.
    assert not keyslots.KeySlots.from_json(keyslots.keys_path(data_dir).read_bytes()).extra
    damaged = json.dumps({**_raw(data_dir), "recovery_unseen": "yes"}).encode()
    with pytest.raises(keyslots.KeySlotsDamaged):
        keyslots.KeySlots.from_json(damaged)


def test_a_managers_login_shows_a_new_key_a_clerks_goes_on(
    store: Store, clerks: ClerkDirectory, manager: ClerkInfo, data_dir: Path
) -> None:
    clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)  # from before the encryption
    login = ProtectingLogin(ClerkDirectory(store), store)
    login("modir", PASSWORD)  # the first manager's login encrypts (a plain store)
    unseen = login.take_recovery_key()
    assert unseen is not None and store.encrypted
    # ... and the power is cut before the window showed it: the next start.
    store = _reopen(store, "sara", CLERK_PASSWORD)
    try:
        login = ProtectingLogin(ClerkDirectory(store), store)
        assert login("sara", CLERK_PASSWORD).username == "sara"  # not blocked
        assert login.take_recovery_key() is None  # a clerk is not who keeps the key
        assert keyslots.load(data_dir).recovery_unseen
        assert data_key_for(data_dir, recovery_key=unseen) == store.data_key  # not yet changed

        login("modir", PASSWORD)
        renewed = login.take_recovery_key()
        assert renewed is not None and renewed != unseen
        assert data_key_for(data_dir, recovery_key=renewed) == store.data_key
        with pytest.raises(keyslots.WrongSecret):
            data_key_for(data_dir, recovery_key=unseen)
        assert keyslots.load(data_dir).recovery_unseen  # shown, not yet confirmed
        assert login.recovery_seen(renewed)
        assert not keyslots.load(data_dir).recovery_unseen
        login("modir", PASSWORD)  # the usual login: nothing made, nothing shown
        assert login.take_recovery_key() is None
        assert data_key_for(data_dir, recovery_key=renewed) == store.data_key
    finally:
        store.close()


def test_renewal_keeps_every_slot_and_writes_nothing_once_seen(
    store: Store, clerks: ClerkDirectory, manager: ClerkInfo, data_dir: Path
) -> None:
    clerk = clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)
    first = encrypt_store(store, manager, PASSWORD)
    # Over the same open store its window may still be up (the set-up wizard's stays open
    # beside the login window): a manager's login meanwhile does not replace it.
    assert renew_unseen_recovery(store, manager) is None
    assert data_key_for(data_dir, recovery_key=first) == store.data_key
    before = keyslots.load(data_dir)
    store = _reopen(store, "modir", PASSWORD)  # the next start: that window is gone
    try:
        renewed = renew_unseen_recovery(store, manager)
        assert renewed is not None
        after = keyslots.load(data_dir)
        # Only the recovery slot changed: every clerk's slot and the header are as they were.
        assert [s for s in after.slots if s.kind == keyslots.CLERK] == [
            s for s in before.slots if s.kind == keyslots.CLERK
        ]
        assert after.header == before.header and after.recovery_slot() != before.recovery_slot()
        assert renew_unseen_recovery(store, clerk) is None  # a clerk: nothing
        assert renew_unseen_recovery(store, manager) is None  # this one is on the screen
        assert confirm_recovery_seen(data_dir, renewed)
        stamp = keyslots.keys_path(data_dir).stat().st_mtime_ns
        assert renew_unseen_recovery(store, manager) is None
        assert keyslots.keys_path(data_dir).stat().st_mtime_ns == stamp
    finally:
        store.close()


def test_doctor_says_a_key_nobody_saw_in_both_languages(
    store: Store, manager: ClerkInfo, data_dir: Path
) -> None:
    recovery = encrypt_store(store, manager, PASSWORD)
    key = store.data_key
    store.close()
    report = examine(data_dir, key=key)
    (found,) = [p for p in report.problems if p.code == "recovery_unseen"]
    assert found.message.en.startswith(UNSEEN_EN)
    assert found.message.fa.startswith(UNSEEN_FA)
    assert report.facts["recovery_unseen"] is True
    assert any(UNSEEN_FA in line for line in report.lines("fa"))
    assert any(UNSEEN_EN in line for line in report.lines("en"))
    locked = examine(data_dir)  # said before the database is open too: the key file says it
    assert "recovery_unseen" in {p.code for p in locked.problems}
    assert confirm_recovery_seen(data_dir, recovery)
    report = examine(data_dir, key=key)
    assert "recovery_unseen" not in {p.code for p in report.problems}
    assert report.facts["recovery_unseen"] is False


def test_the_command_line_prints_a_new_key_to_a_manager_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = pishkhan(data, *INIT)
    assert res.returncode == 0, res.stderr
    printed = json.loads(res.stdout)["recovery_key"]
    assert not keyslots.load(data).recovery_unseen  # init printed it: that is its showing
    # A key made and never printed (the command killed before its print): the mark.
    key = data_key_for(data, username="modir", password=PASSWORD)
    assert key is not None
    made: list[str] = []

    def with_unprinted(now: keyslots.KeySlots) -> keyslots.KeySlots:
        slots, digits = now.with_recovery(key)
        made.append(digits)
        return slots

    keyslots.update(data, with_unprinted)
    assert keyslots.load(data).recovery_unseen
    runs = batch(
        case(data, "list", "--json"),  # a command that is not a manager's: nothing printed
        case(data, "doctor", "--lang", "en"),
        case(data, "doctor", "--lang", "fa"),
        case(
            data,
            "set-password",
            "modir",
            "--lang",
            "en",
            env={"PISHKHAN_NEW_PASSWORD": "new-password-1"},
        ),
        case(
            data,
            "set-password",
            "modir",
            env={"PISHKHAN_PASSWORD": "new-password-1", "PISHKHAN_NEW_PASSWORD": "new-password-2"},
        ),
    )
    listed, doctor_en, doctor_fa, renewing, again = runs
    assert listed.code == 0 and json.loads(listed.stdout) == []
    assert doctor_en.code == 1 and UNSEEN_EN in doctor_en.stdout, doctor_en
    assert doctor_fa.code == 1 and UNSEEN_FA in doctor_fa.stdout, doctor_fa
    assert renewing.code == 0, renewing
    password_line, key_line = (json.loads(line) for line in renewing.stdout.splitlines())
    assert password_line == {"clerk": "modir", "password": "set"}
    renewed = key_line["recovery_key"]
    assert "had never been shown" in renewing.stderr and "write it on paper" in renewing.stderr
    assert again.code == 0 and len(again.stdout.splitlines()) == 1  # seen: not made again
    assert not keyslots.load(data).recovery_unseen
    assert data_key_for(data, recovery_key=renewed) == key
    for stale in (printed, *made):  # init's, replaced; the one never printed, renewed
        with pytest.raises(keyslots.WrongSecret):
            data_key_for(data, recovery_key=stale)


def test_the_mark_survives_the_header_being_rewritten(
    store: Store, manager: ClerkInfo, data_dir: Path
) -> None:
    """Writers of the key file that know nothing of the mark (the header kept in step with
    the schema, a clerk's slot rewrapped) keep it."""
    encrypt_store(store, manager, PASSWORD)
    slots = keyslots.load(data_dir)
    assert slots.header is not None
    slots.with_header(replace(slots.header, schema="other")).save(data_dir)
    keyslots.update(data_dir, lambda now: now.without_clerk(999))
    assert keyslots.load(data_dir).recovery_unseen
