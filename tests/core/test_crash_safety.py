"""Promise 1: a request the clerk saw saved is never lost, whatever instant the power goes.

A child process (tests/support/saver.py) saves requests in a loop through the real intake path and
prints each id only after ``save`` returned (the moment the clerk sees
"saved"). It is killed with SIGKILL at random moments, 25 times, each time
restarting on the same database. Afterwards every printed id is in the
database, the sequence has no gap, every request has its outbox entry, and
SQLite's integrity check says ok.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.db.engine import Store
from desktop.office import initialise

ROOT = Path(__file__).resolve().parents[2]
KILLS = 25


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
    CatalogStore(store).ensure_seeded()
    ClerkDirectory(store).create_manager("modir", "مدیر", "correct-horse")
    store.close()

    rng = random.Random(20261128)
    printed: list[str] = []
    for round_no in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.saver", str(tmp_path), str(round_no)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        # Let it save for a random while (a few to a few dozen saves), then pull the plug.
        time.sleep(rng.uniform(0.02, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        out = proc.stdout.read()
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        # Only complete lines count: a cut-off line was never seen by the "clerk".
        lines = out.decode().split("\n")
        printed += [line.split()[1] for line in lines[:-1] if line]

    assert len(printed) >= KILLS  # the loop really saved between kills
    con = sqlite3.connect(tmp_path / "pishkhan.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in con.execute("SELECT id FROM requests")}
        missing = [i for i in printed if i not in stored]
        assert missing == []
        n, lo, hi = con.execute("SELECT count(*), min(seq), max(seq) FROM requests").fetchone()
        assert (lo, hi) == (1, n)  # gap-free across 25 crashes
        assert con.execute("SELECT count(*) FROM outbox").fetchone()[0] == n
        assert con.execute("SELECT next_seq FROM devices").fetchone()[0] == n + 1
    finally:
        con.close()
