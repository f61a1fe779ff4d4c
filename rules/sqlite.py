"""How the counter and the server keep a SQLite file: one connection set-up for both.

WAL with ``synchronous=FULL`` (a commit that returned is on the disk, even through a power
cut), foreign keys on, a busy timeout instead of an immediate "database is locked", and
the driver's own transaction handling off: the callers issue ``BEGIN`` (or ``BEGIN
IMMEDIATE`` for writes) themselves, which the driver would do too late.
"""

from __future__ import annotations

import sqlite3

BUSY_TIMEOUT_MS = 5_000


def set_up_connection(
    conn: sqlite3.Connection, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, extra: tuple[str, ...] = ()
) -> None:
    """Apply the durable set-up to a fresh connection; ``extra`` pragmas follow it."""
    conn.isolation_level = None
    cur = conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        for pragma in extra:
            cur.execute(pragma)
    finally:
        cur.close()
