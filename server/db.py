"""The server's database: engines for SQLite and PostgreSQL, migrations, transactions.

SQLite (the default, one file in the data dir): WAL and ``synchronous=FULL``; writers take
the lock at ``BEGIN IMMEDIATE`` so a push reads and writes under one lock, readers start a
plain deferred transaction and never wait. PostgreSQL: READ COMMITTED; pushes of one device
serialise on its row (``SELECT ... FOR UPDATE``) and feed appends on an advisory lock.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from rules.sqlite import set_up_connection

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("pishkhan.server")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILENAME = "pishkhan-server.sqlite3"
BUSY_TIMEOUT_MS = 15_000
# Every feed append takes this transaction-scoped lock on PostgreSQL, so change ids become
# visible in the order they were handed out (a reader never skips a late commit).
FEED_LOCK_KEY = 0x504B4645  # "PKFE"; an int4, paired with the schema's hash
# Held (session level) while a node migrates and prepares the database at start: nodes
# started together over one PostgreSQL take turns, so two never run the same migration.
PREPARE_LOCK_KEY = 0x504B5052  # "PKPR"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / SQLITE_FILENAME).resolve()}"


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets its pragmas and its own BEGIN handling."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            set_up_connection(dbapi_conn, busy_timeout_ms=BUSY_TIMEOUT_MS)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("pishkhan_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # 50 offices' PCs push at once, each process runs a few request threads (serve
    # --threads, 6 by default): 20 + 20 connections leave room for the admin calls too.
    # No pre-ping (a round trip per checkout): a dropped connection fails one call (answered
    # 503, the client retries) and SQLAlchemy throws the pool's stale connections away.
    # hide_parameters: a failed statement's values (device ids, citizens' data) never
    # reach an exception text, and so never the log.
    return create_engine(url, pool_size=20, max_overflow=20, hide_parameters=True)


@contextlib.contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction: BEGIN IMMEDIATE on SQLite, an ordinary one on PostgreSQL."""
    with engine.connect() as conn:
        conn = conn.execution_options(pishkhan_write=True)
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """Reads that need one snapshot (a transaction)."""
    with engine.connect() as conn, conn.begin():
        yield conn


@contextlib.contextmanager
def read_now(engine: Engine) -> Iterator[Connection]:
    """Reads that each stand alone: on PostgreSQL in autocommit, which saves the BEGIN and
    COMMIT round trips (the token check runs on every call); on SQLite a plain read."""
    if is_sqlite(engine):
        with read_tx(engine) as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


_LOCK_FEED = "SELECT pg_advisory_xact_lock({key}, hashtext(current_schema()))"


def lock_feed(conn: Connection) -> None:
    """Serialise change-feed appends until commit (PostgreSQL; SQLite has one writer).

    The lock is per schema, so databases side by side in one cluster (tests) do not wait
    on each other."""
    if not is_sqlite(conn):
        conn.execute(text(_LOCK_FEED.format(key=":key")), {"key": FEED_LOCK_KEY})


def commit_under_feed_lock(conn: Connection, statement: str, params: Mapping[str, Any]) -> None:
    """PostgreSQL: take the feed lock, run ``statement`` (psycopg ``%(name)s`` parameters)
    and COMMIT, sent as one message: one round trip, the lock held only while PostgreSQL
    works.

    The feed lock is held until commit, and a lock held across round trips is held while
    the server process gets back to the transaction: with two dozen threads of CPU-bound
    item checks in each process, a thread back from the network waits for the GIL, often
    several times 5 ms. With 50 PCs pushing, 37 of 50 backends were found waiting on this
    lock (bench ingest). The parameters are bound on this side (psycopg's ClientCursor
    quotes them) because only the simple query protocol carries several statements in
    one message; pipeline mode still flushes once per statement.

    This ends the transaction: call it last inside ``write_tx`` (SQLAlchemy's own commit
    then finds nothing to do). Errors come as SQLAlchemy's exceptions, as from ``execute``.
    """
    import psycopg  # PostgreSQL only

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    if "feed_lock" in params:
        raise ValueError("feed_lock is this function's parameter")
    script = f"{_LOCK_FEED.format(key='%(feed_lock)s')}; {statement}; COMMIT"
    try:
        with psycopg.ClientCursor(driver) as cursor:
            cursor.execute(script, {**params, "feed_lock": FEED_LOCK_KEY})
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


@contextlib.contextmanager
def preparation_lock(engine: Engine) -> Iterator[None]:
    """One node at a time prepares a PostgreSQL database (per schema); SQLite needs none
    (one machine, and its migrations take the file's write lock).

    A session-level advisory lock on a connection of its own, held until the block ends:
    the migrations run on other connections and commit as they go, and a node that dies
    midway releases the lock with its connection. The next node then finds the schema at
    head and has nothing to do."""
    if is_sqlite(engine):
        yield
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        args = {"key": PREPARE_LOCK_KEY}
        conn.execute(text("SELECT pg_advisory_lock(:key, hashtext(current_schema()))"), args)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"), args)


def alembic_config() -> Config:
    from alembic.config import Config  # only to migrate: server.prepare skips it at head

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows at once: COPY on PostgreSQL (several times faster than INSERTs),
    the driver's executemany on SQLite. A unique violation is raised as IntegrityError
    either way."""
    if not rows:
        return
    if is_sqlite(conn):
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    statement = 'COPY "{}" ({}) FROM STDIN'.format(
        table.name, ", ".join(f'"{name}"' for name in columns)
    )
    import psycopg  # PostgreSQL only

    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc
