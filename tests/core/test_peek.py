"""What the start reads before the store is opened (desktop.db.peek): right, or nothing.

The login window is shown from this; anything but a set-up PC on this program's schema
must answer None (the ordinary start then explains or repairs), and reading must never
change the database (a read-only connection: no WAL checkpoint).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.clerks import ClerkDirectory
from desktop.db.engine import DB_FILENAME, Store
from desktop.db.peek import SCHEMA_HEAD, StartHeader, start_header, stored_revision
from desktop.office import initialise


def _set_up(data_dir: Path, *, clerk: bool = True) -> None:
    store = Store.open(data_dir)
    try:
        initialise(store, office_code="1234", office_name="دفتر پیشخوان ۱۲۳۴ تهران", counter_no=2)
        if clerk:
            ClerkDirectory(store).create_manager("manager", "مدیر دفتر", "a-long-password")
    finally:
        store.close()


def _files(data_dir: Path) -> dict[str, bytes]:
    """The database and its WAL (the -shm index holds readers' marks: readers write it)."""
    return {
        p.name: p.read_bytes()
        for p in data_dir.iterdir()
        if p.name in (DB_FILENAME, f"{DB_FILENAME}-wal")
    }


def test_a_set_up_pc_gives_its_office_and_counter(tmp_path: Path) -> None:
    _set_up(tmp_path)
    assert start_header(tmp_path) == StartHeader("دفتر پیشخوان ۱۲۳۴ تهران", 2)
    assert stored_revision(tmp_path / DB_FILENAME) == SCHEMA_HEAD


def test_reading_changes_no_byte_even_with_a_pending_wal(tmp_path: Path) -> None:
    _set_up(tmp_path)
    # A writer that keeps its WAL (no checkpoint on close): the peek must leave it as is.
    writer = sqlite3.connect(tmp_path / DB_FILENAME)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE offices SET name = 'دفتر تازه'")
    writer.commit()
    before = _files(tmp_path)
    assert len(before) == 2 and before[f"{DB_FILENAME}-wal"]
    assert start_header(tmp_path) == StartHeader("دفتر تازه", 2)
    assert _files(tmp_path) == before
    writer.close()


def test_no_database_no_office_or_no_clerk_is_the_ordinary_start(tmp_path: Path) -> None:
    assert start_header(tmp_path / "nothing-here") is None
    Store.open(tmp_path / "empty").close()
    assert start_header(tmp_path / "empty") is None
    _set_up(tmp_path / "no-clerk", clerk=False)
    assert start_header(tmp_path / "no-clerk") is None


def test_another_schema_or_a_damaged_file_is_the_ordinary_start(tmp_path: Path) -> None:
    _set_up(tmp_path / "newer")
    with sqlite3.connect(tmp_path / "newer" / DB_FILENAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    conn.close()
    assert start_header(tmp_path / "newer") is None

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / DB_FILENAME).write_bytes(b"this is not a database" * 100)
    assert start_header(damaged) is None
