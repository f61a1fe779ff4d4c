"""Encrypting a plain store survives a kill at any instant: old plain db or new encrypted one.

Each round copies a plain store of 3,000 requests (with a plain pre-migration backup),
starts tests/support/encryptor.py on it (the first login of a manager on the new version)
and kills it with SIGKILL at a random moment of the encryption: writing the key file,
the encrypted copy, the rename, the backups. Then the next start opens the folder the way
the program does — with a password if a key file is there (the manager's, or every other
round the clerk's from before the encryption: her password-hash slot finishes the job as
well), else plain — and every request is there, the integrity check passes, both
passwords open it, and once the encrypted one opened no plain database, no plain backup
and no half copy is left.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from desktop import keyslots
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.db.driver import is_plain
from desktop.db.engine import DB_FILENAME, Store
from desktop.keyslots_setup import data_key_for
from desktop.office import initialise
from tests.support.bulk import copy_database, template_database

ROOT = Path(__file__).resolve().parents[2]
KILLS = 24
REQUESTS = 3_000
PASSWORD = "correct-horse"
CLERK_PASSWORD = "battery-staple"


def _office(store: Store) -> None:
    initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
    CatalogStore(store).ensure_seeded()
    clerks = ClerkDirectory(store)
    manager = clerks.create_manager("modir", "مدیر", PASSWORD)
    clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)  # from before the encryption


def _count(store: Store) -> int:
    with store.read() as s:
        return int(s.connection().exec_driver_sql("SELECT count(*) FROM requests").scalar_one())


def _prepare(template: Path, data_dir: Path) -> Path:
    copy_database(template, data_dir)
    (data_dir / "backups").mkdir()
    shutil.copyfile(template, data_dir / "backups" / "pishkhan-0003-old.sqlite3")
    return data_dir


def _start(data_dir: Path) -> subprocess.Popen[bytes]:
    """The encryptor on ``data_dir``, once it is ready (imports done, the manager in)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.encryptor", str(data_dir), PASSWORD],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def _close(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_sigkill_while_encrypting_never_loses_a_request(tmp_path: Path) -> None:
    template = template_database(REQUESTS, key="encryption-sigkill-clerk", prepare=_office)
    rng = random.Random(int(os.environ.get("ENC_SEED", "20261203")))
    # One run to the end first: how long the encryption takes on this machine now, so
    # that the kills fall inside it however loaded the machine is.
    calibration = _prepare(template, tmp_path / "calibration")
    proc = _start(calibration)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    took = float(proc.stdout.readline().split()[1])
    proc.wait()
    _close(proc)
    outcomes: Counter[str] = Counter()
    for round_no in range(KILLS):
        data_dir = _prepare(template, tmp_path / f"round{round_no}")
        proc = _start(data_dir)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.0, took * 1.1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        finished = proc.stdout.read().startswith(b"done")
        _close(proc)

        # The next start, as the program makes it.
        who, password = ("sara", CLERK_PASSWORD) if round_no % 2 else ("modir", PASSWORD)
        key = data_key_for(data_dir, username=who, password=password)
        outcomes[f"{'key file' if key else 'plain'}, {'done' if finished else 'cut'}"] += 1
        store = Store.open(data_dir, key=key)
        try:
            assert _count(store) == REQUESTS
            assert store.integrity_check() == "ok"
        finally:
            store.close()
        if key is not None:
            assert not is_plain(data_dir / DB_FILENAME)
            assert not is_plain(data_dir / "backups" / "pishkhan-0003-old.sqlite3")
            assert not (data_dir / f"{DB_FILENAME}.encrypting").exists()
            assert keyslots.load(data_dir).has_recovery()
            for username, typed in (("modir", PASSWORD), ("sara", CLERK_PASSWORD)):
                assert data_key_for(data_dir, username=username, password=typed) == key
        else:
            assert is_plain(data_dir / DB_FILENAME)
        shutil.rmtree(data_dir)
    print(dict(outcomes))
    assert sum(outcomes.values()) == KILLS
