"""Which SQLite the store talks to: the standard one for a plain file, SQLCipher for a keyed one.

An encrypted store is opened with ``sqlcipher3`` (SQLCipher 4: AES-256 pages, HMAC per
page, the WAL's pages encrypted the same way) and ``PRAGMA key`` given the raw 256-bit
data key as hex — no key derivation inside SQLCipher: the key already comes out of
argon2id in ``desktop.keyslots``. The key is the first statement on every connection,
before anything reads a page.

``DB_ERRORS`` is every driver's ``Error``: SQLCipher's classes do not derive from the
standard module's, so code that reads the store directly catches this tuple.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

PLAIN_MAGIC = b"SQLite format 3\x00"
DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher.Error)
OPERATIONAL_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    sqlcipher.OperationalError,
)
# SQLITE_NOTADB: what SQLCipher answers for a wrong key (or a damaged first page).
SQLITE_NOTADB = 26

dbapi = sqlcipher  # the DB-API module SQLAlchemy is given for a keyed store


def key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(target: str | Path, *, key: bytes | None, **kwargs: Any) -> sqlite3.Connection:
    """A connection to ``target`` (a path, or a ``file:`` URI with ``uri=True``).

    With ``key`` the connection is SQLCipher's, keyed before anything else runs; the
    database is read at once, so a wrong key fails here (``SQLITE_NOTADB``).
    """
    if key is None:
        return sqlite3.connect(target, **kwargs)
    conn: Any = sqlcipher.connect(str(target), **kwargs)
    try:
        # A wrong key is answered as an exception; SQLCipher would also print it on stderr.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    result: sqlite3.Connection = conn  # the same DB-API surface as sqlite3's
    return result


def is_plain(path: Path) -> bool:
    """Whether ``path`` is a plain (unencrypted) SQLite database: its first 16 bytes say so."""
    try:
        with path.open("rb") as f:
            return f.read(16) == PLAIN_MAGIC
    except FileNotFoundError:
        return False


def is_wrong_key(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlite_errorcode", None) == SQLITE_NOTADB
