"""The WAL is copied into the database file by the store's own thread, not by a save.

(Why: desktop/db/checkpoint.py; the intake benchmark's p99 was the checkpoints.)
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from desktop.db.checkpoint import SAFETY_NET_PAGES
from desktop.db.engine import DB_FILENAME, Store
from tests.support.waiting import wait_until


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pishkhan-checkpoint"]


def test_committed_writes_reach_the_database_file_without_a_checkpoint_in_the_commit(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path)
    try:
        with store.write() as s:
            assert s.execute(text("PRAGMA wal_autocheckpoint")).scalar() == SAFETY_NET_PAGES
        wait_until(lambda: store.checkpointer.checkpoints >= 1)  # the first write's
        for n in range(50):
            with store.write() as s:
                s.execute(
                    text("INSERT INTO key_values (key, value) VALUES (:k, 'v')"), {"k": f"key-{n}"}
                )
        wait_until(lambda: store.checkpointer.checkpoints >= 2)
        # The database file alone (no WAL beside it) already holds every committed row.
        alone = tmp_path / "alone"
        alone.mkdir()
        shutil.copy(tmp_path / DB_FILENAME, alone / DB_FILENAME)
        with sqlite3.connect(alone / DB_FILENAME) as conn:
            count = conn.execute("SELECT count(*) FROM key_values WHERE key LIKE 'key-%'")
            assert count.fetchone()[0] == 50
        conn.close()
    finally:
        store.close()
    assert not _checkpoint_threads()


def test_a_store_that_only_reads_starts_no_thread(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    store = Store.open(tmp_path)
    try:
        with store.read() as s:
            s.execute(text("SELECT count(*) FROM requests")).scalar()
        assert not _checkpoint_threads()
    finally:
        store.close()
