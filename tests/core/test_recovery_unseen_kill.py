"""A power cut between writing the key file and showing the recovery key (issue 13's gap).

A child program (this module run as ``python -m``, below) is the first manager's login on
a plain store of an older version: it encrypts it (key file, encrypted copy, rename,
backups, scans) and shows the recovery key. It is killed with SIGKILL at each step after
the key file is on the disk — right after it, after the database's encryption, after the
scans', after the key was shown but before the manager confirmed it — and at random
moments of that stretch. Each time the key file still says its key is unseen and the
manager's password opens the store with every request; a clerk's login is not held up
and shows nothing; the manager's next login makes a new key that opens the store, the
unseen one no longer does, and once confirmed the mark is gone. A run left to finish
(confirmed) is the control: no mark. Real files; the kills are the only thing injected.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 300
PASSWORD = "correct-horse"
CLERK_PASSWORD = "battery-staple"
STEPS = ("key-file", "encrypted", "sealed", "shown")
RANDOM_KILLS = 4


def _office(store: object) -> None:
    from desktop.catalog_store import CatalogStore
    from desktop.clerks import ClerkDirectory
    from desktop.db.engine import Store
    from desktop.office import initialise

    assert isinstance(store, Store)
    initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
    CatalogStore(store).ensure_seeded()
    clerks = ClerkDirectory(store)
    manager = clerks.create_manager("modir", "مدیر", PASSWORD)
    clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)


def _prepare(template: Path, data_dir: Path) -> Path:
    """A plain store of an older version, with a plain pre-migration backup beside it."""
    from tests.support.bulk import copy_database

    copy_database(template, data_dir)
    (data_dir / "backups").mkdir()
    shutil.copyfile(template, data_dir / "backups" / "pishkhan-0003-old.sqlite3")
    return data_dir


def start_child(
    data_dir: Path, step: str, user: str = "modir", password: str = PASSWORD
) -> subprocess.Popen[str]:
    """The child on ``data_dir`` (tests/ui/test_recovery_unseen.py uses it too)."""
    child = [sys.executable, "-m", "tests.core.test_recovery_unseen_kill"]
    return subprocess.Popen(
        [*child, str(data_dir), step, user, password],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_line(proc: subprocess.Popen[str], word: str) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    assert line and line[0] == word, (word, line, proc.poll())
    return line[1]


def finish(proc: subprocess.Popen[str]) -> int:
    code = proc.wait(timeout=60)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    return code


def _next_logins(data_dir: Path, unseen: str) -> None:
    """The next start after the cut: the clerk, then the manager, as the program logs in."""
    from desktop import keyslots
    from desktop.clerks import ClerkDirectory
    from desktop.db.driver import is_plain
    from desktop.db.engine import DB_FILENAME, Store
    from desktop.keyslots_setup import ProtectingLogin, data_key_for

    assert keyslots.load(data_dir).recovery_unseen
    key = data_key_for(data_dir, username="sara", password=CLERK_PASSWORD)
    assert key is not None and key == data_key_for(data_dir, username="modir", password=PASSWORD)
    store = Store.open(data_dir, key=key)  # finishes an encryption the cut left undone
    try:
        with store.read() as s:
            count = s.connection().exec_driver_sql("SELECT count(*) FROM requests").scalar_one()
        assert count == REQUESTS and store.integrity_check() == "ok"
        assert not is_plain(data_dir / DB_FILENAME)
        assert not is_plain(data_dir / "backups" / "pishkhan-0003-old.sqlite3")
        assert data_key_for(data_dir, recovery_key=unseen) == key  # until a manager comes
        login = ProtectingLogin(ClerkDirectory(store), store)
        assert login("sara", CLERK_PASSWORD).username == "sara"
        assert login.take_recovery_key() is None and keyslots.load(data_dir).recovery_unseen
        assert login("modir", PASSWORD).is_manager
        renewed = login.take_recovery_key()
        assert renewed is not None and renewed != unseen
        assert data_key_for(data_dir, recovery_key=renewed) == key
        with pytest.raises(keyslots.WrongSecret):
            data_key_for(data_dir, recovery_key=unseen)
        assert login.recovery_seen(renewed)  # the manager pressed "I have written it down"
        assert not keyslots.load(data_dir).recovery_unseen
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_a_kill_before_the_key_is_seen_leaves_the_mark_and_the_next_manager_gets_a_key(
    tmp_path: Path,
) -> None:
    from desktop import keyslots
    from desktop.db.driver import is_plain
    from desktop.db.engine import DB_FILENAME
    from tests.support.bulk import template_database

    template = template_database(REQUESTS, key="recovery-unseen-kill", prepare=_office)

    # The control, left to finish: how long the stretch takes, and no mark at its end.
    control = _prepare(template, tmp_path / "control")
    proc = start_child(control, "confirm")
    saved = read_line(proc, "saved")
    started = time.monotonic()
    assert read_line(proc, "shown") == saved
    stretch = time.monotonic() - started
    assert read_line(proc, "confirmed") == saved and finish(proc) == 0
    assert not keyslots.load(control).recovery_unseen

    for step in STEPS:  # the child kills itself right after the step
        data_dir = _prepare(template, tmp_path / step)
        proc = start_child(data_dir, step)
        unseen = read_line(proc, "saved")
        assert finish(proc) == -signal.SIGKILL, step
        _next_logins(data_dir, unseen)

    cut: list[str] = []
    rng = random.Random(int(os.environ.get("RECOVERY_SEED", "20261204")))
    for round_no in range(RANDOM_KILLS):
        data_dir = _prepare(template, tmp_path / f"random{round_no}")
        proc = start_child(data_dir, "wait")
        unseen = read_line(proc, "saved")
        time.sleep(rng.uniform(0.0, stretch * 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        assert finish(proc) == -signal.SIGKILL
        cut.append("plain" if is_plain(data_dir / DB_FILENAME) else "encrypted")
        _next_logins(data_dir, unseen)
    print(f"stretch {stretch:.3f} s; random kills found the database {cut}")


# -- the child ------------------------------------------------------------------------------
def _child(data_dir: Path, step: str, user: str, password: str) -> int:
    """The first login of the manager ``user`` on the plain store in ``data_dir``; ``step``:
    where to die (one of STEPS), "wait" (for a kill from outside, after showing) or
    "confirm"."""
    os.environ.setdefault("PISHKHAN_CHEAP_HASHES", "1")
    from desktop.clerks import ClerkDirectory
    from desktop.db.engine import Store
    from desktop.keyslots import KeySlots
    from desktop.keyslots_setup import ProtectingLogin
    from desktop.scans.store import ScanStore

    def die_after(name: str) -> None:
        if step == name:
            os.kill(os.getpid(), signal.SIGKILL)

    made: list[str] = []
    said: list[bool] = []
    with_recovery, save = KeySlots.with_recovery, KeySlots.save
    encrypt, seal_existing = Store.encrypt, ScanStore.seal_existing

    def recording(self: KeySlots, data_key: bytes) -> tuple[KeySlots, str]:
        slots, digits = with_recovery(self, data_key)
        made.append(digits)  # for the test only: the window has not shown it
        return slots, digits

    def saving(self: KeySlots, data_dir: Path) -> Path:
        path = save(self, data_dir)
        if made and not said and self.recovery_unseen:
            said.append(True)
            print(f"saved {made[-1]}", flush=True)  # the key file is on the disk
            die_after("key-file")
        return path

    def encrypting(self: Store, data_dir: Path, key: bytes) -> None:
        encrypt(self, data_dir, key)
        die_after("encrypted")

    def sealing(self: ScanStore) -> int:
        done = seal_existing(self)
        die_after("sealed")
        return done

    KeySlots.with_recovery = recording  # type: ignore[method-assign]
    KeySlots.save = saving  # type: ignore[method-assign]
    Store.encrypt = encrypting  # type: ignore[method-assign]
    ScanStore.seal_existing = sealing  # type: ignore[method-assign]

    store = Store.open(data_dir)
    login = ProtectingLogin(ClerkDirectory(store), store)
    login(user, password)
    recovery = login.take_recovery_key()
    assert recovery is not None
    print(f"shown {recovery}", flush=True)  # the window is up, the manager reading it
    die_after("shown")
    if step == "wait":
        sys.stdin.readline()
    if step == "confirm":
        assert login.recovery_seen(recovery)
        print(f"confirmed {recovery}", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1]), *sys.argv[2:5]))
