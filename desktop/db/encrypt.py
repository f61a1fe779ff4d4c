"""Turning a plain database file into an encrypted one, safe against a power cut at any instant.

The first start of the program that encrypts finds a plain ``pishkhan.sqlite3`` (and plain
pre-migration backups). ``encrypt_plain`` writes an encrypted copy beside it with
SQLCipher's ``sqlcipher_export``, fsyncs it and renames it over the plain file. Before the
copy the plain file is taken out of WAL mode (``journal_mode=DELETE`` checkpoints and
removes the WAL): after that the file alone is the database, so no plain WAL is left for
SQLite to replay into the encrypted file. A rename is atomic: killed at any moment, the
folder holds the old plain database (the next start does it again; a half-written copy
is thrown away) or the new encrypted one, never neither. The plain copy goes with the
rename; a file system may keep its old blocks until they are reused (docs/SECURITY.md).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from desktop.db.driver import PLAIN_MAGIC, connect, dbapi, is_plain
from desktop.keyfiles import fsync_dir
from desktop.private import private_file

log = logging.getLogger("pishkhan.store")

PARTIAL_SUFFIX = ".encrypting"


class PlainLeftovers(RuntimeError):
    """The plain file still has a journal beside it: it is not safe to replace."""


def encrypt_plain(path: Path, key: bytes, *, busy_timeout_ms: int = 10_000) -> None:
    """Replace the plain database at ``path`` by an encrypted copy under ``key``."""
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    for leftover in (partial, Path(f"{partial}-journal")):
        leftover.unlink(missing_ok=True)  # a copy a power cut interrupted: start again
    # Made empty, the user's alone, before SQLite writes into it (it would make it 0644
    # under the usual umask, and the rename below keeps the copy's mode).
    private_file(partial)
    conn = dbapi.connect(str(path), isolation_level=None)  # no key: the plain file
    try:
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(partial),))
        # The copy needs no journal nor a sync per page: a copy cut short is thrown away
        # and started again, and a finished one is fsynced once below (the export of a
        # 3.5 MB store: 1.14 s with them, 0.10 s without).
        conn.execute("PRAGMA encrypted.journal_mode=OFF").fetchone()
        conn.execute("PRAGMA encrypted.synchronous=OFF")
        conn.execute("SELECT sqlcipher_export('encrypted')").fetchone()
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    _fsync(partial)
    check = connect(partial, key=key)  # reads the schema: the copy opens with the key
    check.close()
    for journal in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if journal.exists() and journal.stat().st_size > 0:
            raise PlainLeftovers(f"{journal} is still there; the plain database was kept")
    Path(f"{path}-shm").unlink(missing_ok=True)
    Path(f"{path}-wal").unlink(missing_ok=True)
    os.replace(partial, path)
    fsync_dir(path.parent)
    log.info("local database encrypted")


def encrypt_backups(backups: Path, key: bytes) -> int:
    """Encrypt the plain pre-migration backups in ``backups`` (each one renamed over)."""
    done = 0
    if not backups.is_dir():
        return 0
    for backup in sorted(backups.iterdir()):
        if backup.is_file() and is_plain(backup):
            encrypt_plain(backup, key)
            done += 1
        elif backup.name.endswith(PARTIAL_SUFFIX):
            backup.unlink(missing_ok=True)
    return done


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)  # Windows flushes only a file open for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["PLAIN_MAGIC", "PlainLeftovers", "encrypt_backups", "encrypt_plain"]
