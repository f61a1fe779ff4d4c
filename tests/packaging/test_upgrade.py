"""Upgrades keep the clerk's data: against the real Store and the real migration scripts.

An installed program meets databases made by other versions of itself:
- an older one (made at the first schema revision) is migrated on start,
  and a copy of it is kept in ``data_dir/backups`` first;
- a newer one (a revision this program does not know) is refused with
  SchemaTooNewError and left byte for byte as it was, its write-ahead log
  included, so the newer program can be reinstalled and carry on.

Only one revision exists so far, so "first → head" is no step at all yet.
The second test adds one real extra revision (in a copy of the migration
folder) so that the migrate-and-back-up path runs today; the first test
starts doing real work by itself as soon as a second revision lands.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from desktop.db import engine
from desktop.db.engine import DB_FILENAME, Store, alembic_config, schema_head
from desktop.errors import SchemaTooNewError

PROBE_ROW = "written by the older program"


def _first_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config(Path("unused")))
    bases = script.get_bases()
    assert len(bases) == 1, bases
    return bases[0]


def _database_at_first_revision(data_dir: Path) -> Path:
    """What an older program left: schema at the first revision, plus a row of data."""
    data_dir.mkdir(parents=True)
    path = data_dir / DB_FILENAME
    command.upgrade(alembic_config(path), _first_revision())
    with sqlite3.connect(path) as conn:
        # A table of the test's own: no migration touches it, so it shows
        # whether the file that comes out is the file that went in.
        conn.execute("CREATE TABLE upgrade_probe (note TEXT)")
        conn.execute("INSERT INTO upgrade_probe VALUES (?)", (PROBE_ROW,))
    conn.close()
    return path


def _revision(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def _probe(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT note FROM upgrade_probe")]
    finally:
        conn.close()


def _check_migrated_with_backup(data_dir: Path, first: str) -> None:
    path = data_dir / DB_FILENAME
    store = Store.open(data_dir)
    try:
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    assert _revision(path) == schema_head()
    assert _probe(path) == [PROBE_ROW]
    backups = sorted((data_dir / "backups").glob("*.sqlite3"))
    if first == schema_head():
        assert backups == []  # nothing to migrate, nothing to back up
        return
    assert len(backups) == 1, backups
    assert first in backups[0].name
    assert _revision(backups[0]) == first
    assert _probe(backups[0]) == [PROBE_ROW]


def test_database_from_the_first_revision_is_migrated_on_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _database_at_first_revision(data_dir)
    _check_migrated_with_backup(data_dir, _first_revision())


EXTRA_REVISION = '''
"""packaging test: one more revision on top of the real head

Revision ID: {revision}
Revises: {down}
"""

from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("upgrade_test_step", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("upgrade_test_step")
'''


def test_one_more_revision_migrates_and_keeps_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same upgrade, with a real extra revision so that a step actually runs.

    Store reads its migrations from ``engine.MIGRATIONS_DIR``; pointing it at a
    copy of the real folder plus one revision is running the real code on a
    real (slightly longer) migration history, not a stand-in.
    """
    real_head = schema_head()
    data_dir = tmp_path / "data"
    _database_at_first_revision(data_dir)
    command.upgrade(alembic_config(data_dir / DB_FILENAME), real_head)  # "older" = today's head

    migrations = tmp_path / "migrations"
    shutil.copytree(engine.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    (migrations / "versions" / "9999_upgrade_test_step.py").write_text(
        textwrap.dedent(EXTRA_REVISION).format(revision="9999upgrade", down=real_head),
        encoding="utf-8",
    )
    monkeypatch.setattr(engine, "MIGRATIONS_DIR", migrations)
    # A program that ships a new revision also ships its SCHEMA_HEAD (the fast start path).
    monkeypatch.setattr(engine, "SCHEMA_HEAD", "9999upgrade")
    assert schema_head() == "9999upgrade"

    _check_migrated_with_backup(data_dir, real_head)
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        assert conn.execute("SELECT count(*) FROM upgrade_test_step").fetchone() == (0,)
    conn.close()


def _digests(data_dir: Path) -> dict[str, str]:
    """The database and its write-ahead log, byte for byte.

    The ``-shm`` file is left out on purpose: it is SQLite's shared-memory
    index of the WAL, rebuilt by any reader after a crash; it holds no data.
    An empty ``-wal`` is left out too: a read-only reader of a WAL database
    creates one, and an empty log holds nothing.
    """
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.iterdir())
        if p.is_file()
        and not p.name.endswith("-shm")
        and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def _newer_program_wrote(data_dir: Path, *, crash: bool) -> None:
    """A newer program: its own revision id, a table of its own, one more write.

    With ``crash`` it dies right after committing, so the last commit is only in
    the write-ahead log (a power cut does the same); else it closes cleanly.
    """
    path = data_dir / DB_FILENAME
    code = textwrap.dedent(f"""
        import os, sqlite3
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("UPDATE alembic_version SET version_num = 'ffff0000newer'")
        conn.execute("CREATE TABLE from_a_newer_program (x)")
        if {crash!r}:
            os._exit(0)
        conn.close()
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def _check_refused_untouched(data_dir: Path) -> None:
    before = _digests(data_dir)
    with pytest.raises(SchemaTooNewError) as refused:
        Store.open(data_dir)
    assert "ffff0000newer" in refused.value.message.fa
    assert "ffff0000newer" in refused.value.message.en
    assert _digests(data_dir) == before
    assert not (data_dir / "backups").exists()


def test_database_from_a_newer_program_is_refused_and_untouched(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    _newer_program_wrote(tmp_path, crash=False)
    _check_refused_untouched(tmp_path)


def test_newer_database_with_a_pending_wal_is_refused_and_untouched(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    _newer_program_wrote(tmp_path, crash=True)
    assert (tmp_path / f"{DB_FILENAME}-wal").stat().st_size > 0
    _check_refused_untouched(tmp_path)
