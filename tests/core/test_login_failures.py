"""Failed logins on an encrypted store before it is open lock the account (issue 13).

A wrong password fails at the key slot, before the database (which counts failures on a
plain store) is open: ``data_key_for`` counts them in ``pishkhan.logins`` beside the key
file, per user name that has a slot, with the office's lockout settings, and a success
resets the count. Real store, real key file, a clock handed in; the command line too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import textwrap
from pathlib import Path

import pytest

from desktop import keyslots
from desktop.clerks import AccountLocked, ClerkDirectory, LoginFailed
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.keyslots import WrongSecret
from desktop.keyslots_setup import data_key_for, encrypt_store
from desktop.login_failures import FAILURES_FILENAME, FailedLogins
from tests.core.conftest import PASSWORD
from tests.core.test_cli import ENV, INIT, TRACEBACK, batch, case, pishkhan
from tests.support.mountns import run_unshared

SARA = "battery-staple"
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 21, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def office(store: Store, data_dir: Path) -> Path:
    clerks = ClerkDirectory(store)
    manager = clerks.create_manager("modir", "مدیر دفتر", PASSWORD)
    clerks.add_clerk(manager, "sara", "سارا", SARA)
    encrypt_store(store, manager, PASSWORD)
    store.close()
    Settings(data_dir).set("lockout_attempts", 3)
    Settings(data_dir).set("lockout_minutes", 10)
    return data_dir


def _try(data_dir: Path, clock: Clock, password: str, username: str = "sara") -> bytes | None:
    return data_key_for(data_dir, username=username, password=password, clock=clock)


def test_wrong_passwords_lock_the_account_and_the_lock_ends(office: Path) -> None:
    clock = Clock()
    for _ in range(2):
        with pytest.raises(WrongSecret) as wrong:
            _try(office, clock, "not-the-password")
        assert wrong.value.message.fa == LoginFailed().message.fa
    with pytest.raises(AccountLocked) as locking:
        _try(office, clock, "not-the-password")  # the third: locked now
    assert locking.value.message.en == AccountLocked(10).message.en
    assert locking.value.message.fa == AccountLocked(10).message.fa
    clock.now += dt.timedelta(minutes=3)
    with pytest.raises(AccountLocked) as still:
        _try(office, clock, SARA)  # the right password, but locked
    assert still.value.message.en == AccountLocked(8).message.en
    assert _try(office, clock, PASSWORD, "modir")  # another clerk is not locked
    clock.now += dt.timedelta(minutes=8)
    assert _try(office, clock, SARA) is not None
    assert FailedLogins.of(office, clock=clock).failures("sara") == 0
    # Kept for the audit only: counts, the next login into the open store records them.
    assert json.loads((office / FAILURES_FILENAME).read_bytes())["clerks"]["sara"] == {
        "failures": 0,
        "locked_until": None,
        "unaudited_failures": 3,
        "unaudited_locks": 1,
    }


def test_a_success_resets_the_count(office: Path) -> None:
    clock = Clock()
    for _ in range(2):
        with pytest.raises(WrongSecret):
            _try(office, clock, "not-the-password")
    assert FailedLogins.of(office).failures("sara") == 2
    assert _try(office, clock, SARA) is not None
    for _ in range(2):  # two more: not three in a row
        with pytest.raises(WrongSecret):
            _try(office, clock, "not-the-password")
    assert _try(office, clock, SARA) is not None


def test_only_names_with_a_slot_are_written(office: Path) -> None:
    clock = Clock()
    for name in ("ghost", "battery-staple", "sara"):  # a password typed as the name, too
        with pytest.raises(WrongSecret):
            _try(office, clock, "not-the-password", name)
    path = office / FAILURES_FILENAME
    raw = path.read_bytes()
    assert list(json.loads(raw)["clerks"]) == ["sara"]
    assert json.loads(raw)["clerks"]["sara"]["failures"] == 1
    assert b"ghost" not in raw and b"battery-staple" not in raw and b"not-the" not in raw
    slot_names = {s.username for s in keyslots.load(office).slots if s.username}
    assert set(json.loads(raw)["clerks"]) <= slot_names
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b'{"format": 1, "clerks": []}', b"[" * 100_000, b'{"format": 7}'],
)
def test_a_damaged_failures_file_counts_as_none(office: Path, damage: bytes) -> None:
    path = office / FAILURES_FILENAME
    path.write_bytes(damage)
    clock = Clock()
    with pytest.raises(WrongSecret):
        _try(office, clock, "not-the-password")
    assert json.loads(path.read_bytes())["clerks"]["sara"]["failures"] == 1
    path.write_bytes(damage)
    assert _try(office, clock, SARA) is not None


def test_a_lock_from_a_clock_set_back_does_not_hold(office: Path) -> None:
    clock = Clock()
    for _ in range(3):
        with pytest.raises((WrongSecret, AccountLocked)):
            _try(office, clock, "not-the-password")
    clock.now -= dt.timedelta(days=30)  # the PC's clock put back a month
    assert _try(office, clock, SARA) is not None


def test_the_command_line_counts_and_locks_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert pishkhan(data, *INIT).returncode == 0
    wrong = {**ENV, "PISHKHAN_PASSWORD": "not-the-password"}
    runs = batch(*[case(data, "list", "--lang", "en", env=wrong) for _ in range(5)])
    runs += batch(case(data, "list", "--lang", "en"))  # the right password: locked still
    assert [r.code for r in runs] == [1] * 6
    assert all("Wrong user name or password" in r.stderr for r in runs[:4])
    assert all("locked for 5 more minute" in r.stderr for r in runs[4:]), runs[4:]
    assert all(TRACEBACK not in r.stderr for r in runs)


_FULL_DISK = textwrap.dedent(
    """
    set -u
    mount -t tmpfs -o size=2m tmpfs "$MNT" || exit 99
    "$PY" -m desktop --data-dir "$MNT/d" init --office-code 1001 --office-name Office \\
        --counter 1 --manager modir --manager-name Modir --password-env PW >/dev/null || exit 98
    dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
    [ "$(df --output=avail "$MNT" | tail -1 | tr -d ' ')" = 0 ] || exit 97
    PISHKHAN_PASSWORD=not-the-password "$PY" -m desktop --data-dir "$MNT/d" --lang en list \\
        >"$OUT/wrong.out" 2>"$OUT/wrong.err"
    echo $? >"$OUT/wrong.rc"
    [ -e "$MNT/d/pishkhan.logins" ] && echo yes >"$OUT/counted"
    exit 0
    """
)


def test_a_wrong_password_on_a_full_disk_is_still_a_wrong_password(tmp_path: Path) -> None:
    """The count cannot be written (0 bytes free, a real tmpfs in a private mount
    namespace, as in test_full_disk.py): the login says what it would say without it."""
    res, _, out = run_unshared(
        _FULL_DISK,
        tmp_path,
        PW="correct-horse-9",
        PISHKHAN_USER="modir",
        PISHKHAN_CHEAP_HASHES="1",
    )
    assert res.returncode == 0, (res.returncode, res.stderr)
    said = (out / "wrong.out").read_text() + (out / "wrong.err").read_text()
    assert int((out / "wrong.rc").read_text()) == 1, said
    assert "Wrong user name or password" in said and "Traceback" not in said, said
    assert not (out / "counted").exists()  # nothing could be written, nothing half-written


def test_a_damaged_slot_is_said_as_damage_and_not_counted(office: Path) -> None:
    path = office / keyslots.KEYS_FILENAME
    body = json.loads(path.read_bytes())
    (sara,) = [s for s in body["slots"] if s.get("username") == "sara"]
    sara["wrapped"] = sara["wrapped"][:8]
    damaged = json.dumps(body).encode()
    path.write_bytes(damaged)
    for _ in range(4):
        with pytest.raises(keyslots.KeySlotsDamaged):
            _try(office, Clock(), SARA)
    assert not (office / FAILURES_FILENAME).exists()
    assert path.read_bytes() == damaged


def _lock_sara(office: Path, clock: Clock) -> None:
    for _ in range(2):
        with pytest.raises(WrongSecret):
            _try(office, clock, "not-the-password")
    with pytest.raises(AccountLocked):
        _try(office, clock, "not-the-password")


def test_the_lock_holds_in_the_open_program_too_and_a_reset_lifts_it(office: Path) -> None:
    clock = Clock()
    _lock_sara(office, clock)
    store = Store.open(office, key=_try(office, clock, PASSWORD, "modir"))
    try:
        clerks = ClerkDirectory(store, clock=clock, lockout_attempts=3, lockout_minutes=10)
        manager = clerks.authenticate("modir", PASSWORD, proven=True)
        with pytest.raises(AccountLocked):  # the manager logged out; sara tries at the window
            clerks.authenticate("sara", SARA)
        clock.now += dt.timedelta(minutes=11)
        assert clerks.authenticate("sara", SARA).username == "sara"
        assert FailedLogins(office).failures("sara") == 0
        _lock_sara(office, clock)
        sara = next(c for c in clerks.list() if c.username == "sara")
        clerks.change_password(manager, sara.id, "a-new-password")  # the manager's reset
    finally:
        store.close()
    assert _try(office, clock, "a-new-password") is not None  # not locked any more


def test_failures_before_the_open_reach_the_audit_at_the_next_login(office: Path) -> None:
    from sqlalchemy import select

    from desktop.audit import Action
    from desktop.db.models import AuditEvent

    clock = Clock()
    _lock_sara(office, clock)
    clock.now += dt.timedelta(minutes=11)
    with pytest.raises(WrongSecret):
        _try(office, clock, "not-the-password")
    store = Store.open(office, key=_try(office, clock, SARA))
    try:
        clerks = ClerkDirectory(store, clock=clock, lockout_attempts=3, lockout_minutes=10)
        sara = clerks.authenticate("sara", SARA, proven=True)
        with store.read() as s:
            events = s.scalars(select(AuditEvent).where(AuditEvent.clerk_id == sara.id)).all()
        said = [(e.action, json.loads(e.detail or "{}")) for e in events]
        assert (
            Action.LOGIN_FAILED.value,
            {"reason": "password_before_open", "attempts": 4},
        ) in said
        assert (Action.ACCOUNT_LOCKED.value, {"reason": "password_before_open", "times": 1}) in said
        assert not (office / FAILURES_FILENAME).read_bytes().count(b'"sara"')  # told: gone
        clerks.authenticate("sara", SARA)
        with store.read() as s:
            again = s.scalars(select(AuditEvent).where(AuditEvent.clerk_id == sara.id)).all()
        assert (
            sum(json.loads(e.detail or "{}").get("reason") == "password_before_open" for e in again)
            == 2
        )  # recorded once
    finally:
        store.close()
