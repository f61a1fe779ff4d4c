"""What the program reads from the database before the store is opened: plain sqlite3, read-only.

The counter program shows its login window before SQLAlchemy is imported (importing it
is most of a start's cost, see bench/RESULTS.md) and opens the store on a worker thread
while the clerk types. The login window needs only the office's name, the counter
number and whether this PC is set up at all; they are read here. The connection is
read-only, so closing it never checkpoints the WAL (a newer program's database stays as
it was), and anything unexpected — no file, another schema, no office or clerk yet, a
damaged or locked file — answers None: the caller then takes the ordinary way (open the
store first), which explains or repairs the situation.

This module must stay light: ``sqlite3`` and the standard library only.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.keyslots import Header

DB_FILENAME = "pishkhan.sqlite3"
# Alembic is imported only when the schema is not already this one: it costs
# about a third of a second of every start (it loads every SQL dialect).
# tests/core/test_store.py checks this constant against the migration scripts.
SCHEMA_HEAD = "0004"
BUSY_TIMEOUT_MS = 10_000
KEYS_FILENAME = "pishkhan.keys"  # desktop.keyslots.KEYS_FILENAME, not imported at start


@contextlib.contextmanager
def read_only(path: Path, key: bytes | None = None) -> Iterator[sqlite3.Connection]:
    """A read-only connection (``mode=ro``): it never writes, so it never checkpoints.

    With ``key`` it is SQLCipher's (``desktop.db.driver``, imported only then).
    """
    if key is None:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    else:
        from desktop.db.driver import connect

        conn = connect(f"{path.resolve().as_uri()}?mode=ro", key=key, uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        yield conn
    finally:
        conn.close()


def stored_revision(path: Path, *, key: bytes | None = None) -> str | None:
    """The schema revision of the database at ``path``; None before the first migration."""
    try:
        with read_only(path, key) as conn:
            return _revision(conn)
    except Exception as exc:  # sqlite3's or SQLCipher's OperationalError
        if type(exc).__name__ != "OperationalError":
            raise
        # No schema yet (or not ours): the migration will say so. Or a WAL that only a
        # read-write connection can recover (SQLITE_READONLY_RECOVERY after a kill), or
        # files a read-only one cannot open: the caller takes the read-write way.
        return None


def _revision(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def read_header_fields(conn: sqlite3.Connection) -> Header | None:
    """The key file's plain header from an open store: office, counter, schema revision."""
    from desktop.keyslots import Header

    office = conn.execute(
        "SELECT o.name, d.counter_no FROM devices d "
        "JOIN offices o ON o.code = d.office_code LIMIT 1"
    ).fetchone()
    revision = _revision(conn)
    if office is None or revision is None:
        return None
    return Header(office_name=str(office[0]), counter_no=int(office[1]), schema=revision)


@dataclass(frozen=True)
class StartHeader:
    """What the login window shows before the store is open."""

    office_name: str
    counter_no: int


def start_header(data_dir: Path) -> StartHeader | None:
    """The office and counter of a PC that is set up and on this program's schema, else None.

    None means "take the ordinary start": there is no database yet, its schema needs a
    migration (or is a newer program's), there is no office or no clerk yet (the setup
    wizard comes first), or the file could not be read. An encrypted store's header is
    the key file's (``desktop.keyslots``): its database cannot be read before the login,
    so it is the login-first start also when a migration is due (run after the login).
    """
    path = data_dir / DB_FILENAME
    if not path.is_file():
        return None
    if (data_dir / KEYS_FILENAME).exists():
        from desktop.keyslots import read_header

        # Whatever its schema: only the login gives the key that a migration needs too.
        header = read_header(data_dir)
        if header is None:
            return None
        return StartHeader(office_name=header.office_name, counter_no=header.counter_no)
    try:
        with read_only(path) as conn:
            if _revision(conn) != SCHEMA_HEAD:
                return None
            office = conn.execute(
                "SELECT o.name, d.counter_no FROM devices d "
                "JOIN offices o ON o.code = d.office_code LIMIT 1"
            ).fetchone()
            has_clerk = conn.execute("SELECT 1 FROM clerks LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    if office is None or has_clerk is None:
        return None
    return StartHeader(office_name=str(office[0]), counter_no=int(office[1]))
