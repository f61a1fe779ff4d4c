"""The local store: migrations, schema refusal, pragmas, immutability, disk full."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import event, text

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkInfo
from desktop.db.engine import DB_FILENAME, Store, schema_head
from desktop.errors import DiskFullError, SchemaTooNewError
from desktop.intake import Intake
from desktop.office import initialise
from desktop.samples import sample_draft


def test_migrates_from_empty_and_records_version(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        assert store.check_schema() == schema_head()
        with store.read() as s:
            tables = {r[0] for r in s.execute(text("SELECT name FROM sqlite_master"))}
            assert {"requests", "outbox", "audit_events", "clerks", "catalog_versions"} <= tables
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        store.close()


def _file_digest(folder: Path) -> dict[str, str]:
    """Database and log bytes (the -shm index and an empty log hold no data)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
        and not p.name.endswith("-shm")
        and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    con = sqlite3.connect(tmp_path / DB_FILENAME)
    con.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    con.commit()
    con.close()
    before = _file_digest(tmp_path)
    with pytest.raises(SchemaTooNewError) as info:
        Store.open(tmp_path)
    assert "f00dfeed9999" in info.value.message.fa
    assert "newer" in info.value.message.en
    assert _file_digest(tmp_path) == before


def test_request_content_is_immutable_and_never_deleted(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    saved = intake.save(manager, sample_draft(catalogs.current().services[0], rng))
    con = sqlite3.connect(store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            con.execute("UPDATE requests SET first_name = 'x' WHERE id = ?", (saved.id,))
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            con.execute("UPDATE requests SET office_fee = 0 WHERE id = ?", (saved.id,))
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            con.execute("DELETE FROM requests WHERE id = ?", (saved.id,))
        # The lifecycle may change (the sync does this).
        con.execute(
            "UPDATE requests SET state = 'accepted', tracking_code = 'PK-1' WHERE id = ?",
            (saved.id,),
        )
        con.commit()
    finally:
        con.close()


def _limit_pages(store: Store, pages: int) -> None:
    """Make the database 'full' at ``pages`` pages on every new write connection."""
    store._write_engine.dispose()

    @event.listens_for(store._write_engine, "connect")
    def _cap(dbapi_conn: sqlite3.Connection, _rec: object) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")


def test_full_database_refuses_with_message_and_keeps_saved_work(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    """SQLITE_FULL (simulated with max_page_count, portable) → a clear refusal, no half-write."""
    services = catalogs.current().services
    saved = [intake.save(manager, sample_draft(services[i % len(services)], rng)) for i in range(5)]
    pages = sqlite3.connect(store.path).execute("PRAGMA page_count").fetchone()[0]
    _limit_pages(store, pages)
    with pytest.raises(DiskFullError) as info:
        for _ in range(2000):
            intake.save(manager, sample_draft(services[0], rng))
    assert "دیسک" in info.value.message.fa
    con = sqlite3.connect(store.path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n, max_seq = con.execute("SELECT count(*), max(seq) FROM requests").fetchone()
        assert n == max_seq  # no gap, no half-written request
        assert con.execute("SELECT count(*) FROM outbox").fetchone()[0] == n
        ids = {r[0] for r in con.execute("SELECT id FROM requests")}
        assert {s.id for s in saved} <= ids
        next_seq = con.execute("SELECT next_seq FROM devices").fetchone()[0]
        assert next_seq == n + 1
    finally:
        con.close()


@pytest.mark.skipif(os.name != "posix", reason="tmpfs mount is a Linux facility")
def test_real_full_disk(tmp_path: Path, rng: random.Random) -> None:
    """A real filesystem that runs out of space (a 3 MB tmpfs; needs root, as CI has)."""
    mount = tmp_path / "small"
    mount.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must be able to mount a tmpfs: {res.stderr}")
        pytest.skip(f"cannot mount tmpfs here (not root?): {res.stderr.strip()}")
    try:
        store = Store.open(mount)
        initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
        catalogs = CatalogStore(store)
        catalogs.ensure_seeded()
        from desktop.clerks import ClerkDirectory

        clerk = ClerkDirectory(store).create_manager("modir", "مدیر", "correct-horse")
        intake = Intake(store, catalogs)
        service = catalogs.current().services[0]
        first = intake.save(clerk, sample_draft(service, rng))
        # Fill the disk, leaving a sliver.
        filler = mount / "filler"
        with open(filler, "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        with pytest.raises(DiskFullError):
            for _ in range(500):
                intake.save(clerk, sample_draft(service, rng))
        filler.unlink()
        again = intake.save(clerk, sample_draft(service, rng))
        assert store.integrity_check() == "ok"
        con = sqlite3.connect(store.path)
        n, max_seq = con.execute("SELECT count(*), max(seq) FROM requests").fetchone()
        con.close()
        assert n == max_seq and again.seq == n
        assert first.seq == 1
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    """No model change ships without its migration (and the reverse)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    from desktop.db.models import Base

    Store.open(tmp_path).close()
    engine = create_engine(f"sqlite:///{tmp_path / DB_FILENAME}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_schema_head_constant_matches_the_migration_scripts() -> None:
    """The fast start path trusts SCHEMA_HEAD; it must be the scripts' head."""
    from desktop.db.engine import SCHEMA_HEAD

    assert SCHEMA_HEAD == schema_head()
