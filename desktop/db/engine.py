"""The local SQLite store: opening, pragmas, migrations, transactions, error mapping.

One SQLite file per PC. WAL with ``synchronous=FULL`` so a commit that
returned survives a power cut; foreign keys on. Writes take the write lock at
``BEGIN IMMEDIATE`` so two programs on the PC (the counter and a scripted
command) never interleave inside a request's transaction, and the gap-free
sequence can be read and bumped safely.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop import keyslots
from desktop.db import driver
from desktop.db.checkpoint import SAFETY_NET_PAGES, Checkpointer
from desktop.db.peek import BUSY_TIMEOUT_MS, DB_FILENAME, SCHEMA_HEAD, stored_revision
from desktop.db.raw import driver_connection
from desktop.errors import DatabaseBusyError, DiskFullError, DiskIOError, SchemaTooNewError
from desktop.keyslots import DatabaseUnreadable, StoreLocked
from desktop.private import narrow_existing, private_dir, private_file
from rules.sqlite import set_up_connection

if TYPE_CHECKING:
    from alembic.config import Config

# SCHEMA_HEAD, DB_FILENAME and BUSY_TIMEOUT_MS live in desktop.db.peek (the start reads
# the database before SQLAlchemy is imported) and are re-exported from here.
__all__ = [
    "BUSY_TIMEOUT_MS",
    "DB_FILENAME",
    "SCHEMA_HEAD",
    "Store",
    "alembic_config",
    "current_revision",
    "schema_head",
    "translate_db_error",
]

log = logging.getLogger("pishkhan.store")

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _make_engine(path: Path, *, immediate: bool, key: bytes | None = None) -> Engine:
    # hide_parameters: an error's text (logged with its trace) never carries a row's
    # values, a citizen's national code or name among them (docs/SECURITY.md).
    if key is None:
        engine = create_engine(f"sqlite:///{path}", future=True, hide_parameters=True)
    else:
        # SQLCipher's DB-API module, so SQLAlchemy maps its errors; each connection keyed
        # before SQLAlchemy or the set-up below runs a statement.
        engine = create_engine(
            f"sqlite:///{path}",
            future=True,
            hide_parameters=True,
            module=driver.dbapi,
            creator=lambda: driver.connect(path, key=key, check_same_thread=False),
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Checkpoints run on the store's own thread (desktop/db/checkpoint.py); SQLite's
        # automatic one, inside a commit, only as a safety net.
        set_up_connection(
            dbapi_conn,
            busy_timeout_ms=BUSY_TIMEOUT_MS,
            extra=(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}",),
        )

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# What opening can raise that ``translate_db_error`` turns into a message (SQLCipher's own
# classes for a wrong key read directly, SQLAlchemy's around them through an engine).
_OPEN_ERRORS: tuple[type[Exception], ...] = (DatabaseError, *driver.DB_ERRORS)

# Free space under which an I/O error is taken for a full disk: SQLite reports a write
# that found no room as SQLITE_FULL, but the WAL's shared-memory file that found none
# (at opening) as SQLITE_IOERR_SHMSIZE, a "disk I/O error".
NEARLY_FULL_BYTES = 1 << 20
# OS errors that mean the disk refused: no space, over quota, file too large, I/O error.
_OS_DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def translate_db_error(
    exc: BaseException, *, path: Path | None = None, opening: bool = False
) -> BaseException:
    """Environment problems become user-facing errors; anything else stays a bug.

    Judged by SQLite's result code (``sqlite3.Error.sqlite_errorcode``), never by the
    message's words. ``path`` is the database file, to tell a full disk from a failing one
    when SQLite says only "I/O error"; ``opening`` picks the message for a store that
    could not be opened.
    """
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, OSError) and orig.errno in _OS_DISK_ERRORS:
        # The file system's own refusal (a log line, a temp file): the same two cases.
        detail = f"{errno.errorcode.get(orig.errno or 0, orig.errno)}: {orig}"
        if orig.errno in (errno.ENOSPC, errno.EDQUOT) or (
            path is not None and _free_bytes(path) < NEARLY_FULL_BYTES
        ):
            return DiskFullError(detail, opening=opening)
        return DiskIOError(detail)
    code = getattr(orig, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return exc
    detail = f"{getattr(orig, 'sqlite_errorname', code)}: {orig}"
    primary = code & 0xFF  # extended codes carry the primary one in their low byte
    if primary == driver.SQLITE_NOTADB:
        # A wrong key, or a file damaged where SQLCipher checks its pages: never written.
        return DatabaseUnreadable(detail)
    if primary == sqlite3.SQLITE_FULL:
        return DiskFullError(detail, opening=opening)
    if primary == sqlite3.SQLITE_IOERR:
        if path is not None and _free_bytes(path) < NEARLY_FULL_BYTES:
            return DiskFullError(detail, opening=opening)
        return DiskIOError(detail)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseBusyError(detail)
    return exc


def _free_bytes(path: Path) -> int:
    """Free bytes on the file system holding ``path`` (its folder when it is not there)."""
    for candidate in (path, path.parent):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return NEARLY_FULL_BYTES  # unknown: not evidence of a full disk


def alembic_config(db_path: Path) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{db_path}")
    return cfg


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(Path("unused"))).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Store:
    """The opened local database: hands out short read and write sessions."""

    def __init__(self, path: Path, *, key: bytes | None = None) -> None:
        self.path = path
        self._engines(key)

    def _engines(self, key: bytes | None) -> None:
        self._key = key  # held while the program runs (docs/SECURITY.md: what it protects)
        self._write_engine = _make_engine(self.path, immediate=True, key=key)
        self._read_engine = _make_engine(self.path, immediate=False, key=key)
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self.checkpointer = Checkpointer(self.path, key=key)

    @property
    def encrypted(self) -> bool:
        return self._key is not None

    @property
    def data_key(self) -> bytes | None:
        """The data key of an encrypted store (to wrap it for a new slot), else None."""
        return self._key

    @classmethod
    def open(cls, data_dir: Path, *, migrate: bool = True, key: bytes | None = None) -> Store:
        """Open (creating if needed) the store in ``data_dir`` and bring its schema up to date.

        A database made by a newer program is refused with ``SchemaTooNewError``
        and left untouched. Before an existing database is migrated, a copy of it
        is kept in ``data_dir/backups``.

        ``key`` is the data key (``desktop.keyslots``). A folder with a key file needs it
        (``StoreLocked`` without); a plain database found with a key file beside it is
        encrypted first (``desktop.db.encrypt``: the first start of this version, or one
        a power cut interrupted). A wrong key: ``DatabaseUnreadable``, nothing written.
        """
        path = data_dir / DB_FILENAME
        if key is None and keyslots.is_encrypted(data_dir):
            keyslots.load(data_dir)  # a damaged key file is said as such (KeySlotsDamaged)
            raise StoreLocked()
        try:
            # Before SQLite makes the file (0644 under the usual umask): the user's alone.
            private_dir(data_dir)
            new = not path.exists()
            private_file(path)
            if not new:
                narrow_existing(Path(f"{path}-wal"), Path(f"{path}-shm"))
        except OSError as exc:
            raise translate_db_error(exc, path=path, opening=True) from exc
        try:
            if key is not None and not new:
                # Also when the database is done: a kill may have come before the backups.
                _encrypt_folder(data_dir, path, key)
            return cls._open(data_dir, path, migrate=migrate, key=key)
        except _OPEN_ERRORS as exc:
            # The first connection's set-up (WAL) is where a full disk shows first.
            raise translate_db_error(exc, path=path, opening=True) from exc

    @classmethod
    def _open(cls, data_dir: Path, path: Path, *, migrate: bool, key: bytes | None) -> Store:
        if path.exists() and path.stat().st_size > 0:
            # Before any read-write connection: closing one checkpoints the WAL
            # into the file, which would change a newer program's database.
            if stored_revision(path, key=key) == SCHEMA_HEAD:
                store = cls(path, key=key)  # the usual start: nothing to check or migrate
                store._first_connection()
                return store
            _refuse_newer_schema(path, key)
        store = cls(path, key=key)
        try:
            if migrate:
                store._migrate(data_dir)
                if key is not None:
                    _note_schema(data_dir, store)
            else:
                store.check_schema()
        except BaseException:
            store.close()
            raise
        return store

    def _first_connection(self) -> None:
        """Connect now (the pool keeps it), so a store that cannot be opened says so here,
        not as a failed save later."""
        try:
            with self._read_engine.connect():
                pass
        except BaseException:
            self.close()
            raise

    def check_schema(self) -> str | None:
        from alembic.script import ScriptDirectory

        current = current_revision(self._read_engine)
        script = ScriptDirectory.from_config(alembic_config(self.path))
        if current is not None:
            try:
                script.get_revision(current)
            except Exception as exc:  # alembic raises its own ResolutionError family
                raise SchemaTooNewError(current) from exc
        return current

    def _migrate(self, data_dir: Path) -> None:
        current = self.check_schema()
        head = schema_head()
        if current == head:
            return
        if current is not None:
            self.backup(data_dir / "backups" / f"pishkhan-{current}-{_stamp()}.sqlite3")
        log.info("migrating local database from %s to %s", current, head)
        from alembic import command

        try:
            with self._write_engine.connect() as conn:
                cfg = alembic_config(self.path)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise translate_db_error(exc, path=self.path) from exc

    def backup(self, target: Path) -> Path:
        """A consistent copy of the live database (SQLite's online backup API); an
        encrypted store's copy is encrypted under the same key."""
        private_dir(target.parent)
        tmp = target.with_suffix(".partial")
        src = driver.connect(self.path, key=self._key)
        try:
            private_file(tmp)
            dst = driver.connect(tmp, key=self._key)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        shutil.move(tmp, target)
        return target

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE): committed when the block ends."""
        with _transaction(self._write_sessions, self.path) as session:
            yield session
        self.checkpointer.notify()

    def read(self) -> contextlib.AbstractContextManager[Session]:
        """One read transaction: a consistent snapshot while the block runs."""
        return _transaction(self._read_sessions, self.path)

    def encrypt(self, data_dir: Path, key: bytes) -> None:
        """Encrypt this open plain store in place under ``key`` (set-up, first login).

        The caller has written the key file first and holds no ``raw_read`` connection;
        the engines are closed, the file encrypted (``desktop.db.encrypt``), and opened
        again with the key.
        """
        if self._key is not None:
            return
        self.close()
        _encrypt_folder(data_dir, self.path, key)
        self._engines(key)
        self._first_connection()
        _note_schema(data_dir, self)

    def raw_read(self) -> sqlite3.Connection:
        """A read-only DB-API connection, for the hot paths of a million-row view."""
        conn = driver.connect(
            f"file:{self.path}?mode=ro", key=self._key, uri=True, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn

    def integrity_check(self) -> str:
        with self._read_engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    def close(self) -> None:
        self.checkpointer.close()
        self._write_engine.dispose()
        self._read_engine.dispose()


@contextlib.contextmanager
def _transaction(sessions: sessionmaker[Session], path: Path) -> Iterator[Session]:
    """Committed when the block ends, rolled back on error; environment errors made readable."""
    session = sessions()
    try:
        with session.begin():
            yield session
    except (OperationalError, sqlite3.OperationalError) as exc:  # the latter: desktop.db.raw
        raise translate_db_error(exc, path=path) from exc
    finally:
        session.close()


def _encrypt_folder(data_dir: Path, path: Path, key: bytes) -> None:
    """The plain database, then its plain backups, encrypted (each file renamed over)."""
    backups = data_dir / "backups"
    if not driver.is_plain(path) and not backups.is_dir():
        return  # the usual start: nothing plain here, nothing imported
    from desktop.db.encrypt import encrypt_backups, encrypt_plain

    if driver.is_plain(path):
        encrypt_plain(path, key, busy_timeout_ms=BUSY_TIMEOUT_MS)
    encrypt_backups(backups, key)


def _note_schema(data_dir: Path, store: Store) -> None:
    """Keep the key file's plain header (what the login window shows) in step with the store."""
    from desktop.db.peek import read_header_fields

    slots = keyslots.load(data_dir)
    with store.read() as s:
        fields = read_header_fields(driver_connection(s))
    if fields is not None and slots.header != fields:
        slots.with_header(fields).save(data_dir)


def _refuse_newer_schema(path: Path, key: bytes | None = None) -> None:
    """Refuse a revision the migration scripts do not know (a newer program's)."""
    from alembic.script import ScriptDirectory

    revision = stored_revision(path, key=key)
    if revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config(path))
    try:
        script.get_revision(revision)
    except Exception as exc:  # alembic raises its own ResolutionError family
        raise SchemaTooNewError(revision) from exc


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
