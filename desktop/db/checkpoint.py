"""Copying the WAL into the database file on a thread of its own, not in a clerk's save.

In WAL mode a commit appends to the ``-wal`` file and SQLite copies those pages back into
the database file (a checkpoint, with an fsync of the database file) when the WAL passes
``wal_autocheckpoint`` pages — inside whichever commit crosses the mark. With ~22 pages a
save on a million-request store, about one save in fifty paid for a checkpoint: that was
the intake's whole p99 (≈21 ms against ≈3 ms, bench/: intake; with the checkpoint off the
save path the p99 fell to 4–6 ms).

``Checkpointer`` runs ``PRAGMA wal_checkpoint(PASSIVE)`` shortly after writes, on its own
connection and thread. PASSIVE never waits for readers or writers and never blocks them,
so a save committing meanwhile just appends to the WAL. The store's connections keep a
much higher ``wal_autocheckpoint`` (``SAFETY_NET_PAGES``) so that SQLite still checkpoints
by itself if this thread ever falls behind. A checkpoint copies only committed pages:
what a power cut can lose or keep is the same with or without it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from desktop.db import driver
from desktop.db.peek import BUSY_TIMEOUT_MS

log = logging.getLogger("pishkhan.store")

# ~200 MB of WAL: SQLite's own checkpoint, only if the thread below has not kept up.
SAFETY_NET_PAGES = 50_000
# Writes often come in bursts (a sync page of status changes, a day close): one checkpoint
# a little after the burst rather than one per commit.
SETTLE_S = 0.5


class Checkpointer:
    """``notify()`` after a commit; the WAL is checkpointed soon after, off the caller's path."""

    def __init__(self, path: Path, *, settle_s: float = SETTLE_S, key: bytes | None = None) -> None:
        self._path = path
        self._key = key
        self._settle_s = settle_s
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0  # for tests and diagnostics

    def notify(self) -> None:
        """Something was committed: checkpoint soon (the thread starts on the first call)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopping.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="pishkhan-checkpoint", daemon=True
                    )
                    self._thread.start()
        self._due.set()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the thread (a checkpoint under way finishes first)."""
        self._stopping.set()
        self._due.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _run(self) -> None:
        try:
            conn = driver.connect(
                self._path, key=self._key, isolation_level=None, check_same_thread=False
            )
        except driver.DB_ERRORS:
            log.warning(
                "checkpoint thread could not open %s; SQLite will checkpoint itself",
                self._path,
                exc_info=True,
            )
            return
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=FULL")  # the checkpoint fsyncs the database file
            while True:
                self._due.wait()
                if self._stopping.wait(self._settle_s):
                    return
                self._due.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except driver.DB_ERRORS:  # busy, disk full: the next commit tries again
                    log.warning("background checkpoint failed", exc_info=True)
        finally:
            conn.close()
