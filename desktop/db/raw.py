"""Plain sqlite3 statements inside a ``Store`` transaction, for the clerk's hot path.

A save runs six statements; through SQLAlchemy's execution layer (compiled-cache look-up,
parameter processing, result set-up per statement) they cost several times the SQLite
work itself (bench/: intake). ``RawInsert`` is a mapped table's INSERT rendered once as
SQL text; its values are converted by the columns' own types (the same functions the
ORM uses, so a row written here reads back through the ORM unchanged) and it runs on
the DBAPI connection of the caller's transaction: same BEGIN IMMEDIATE, same commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator


def driver_connection(session: Session) -> sqlite3.Connection:
    """The sqlite3 connection under ``session``'s transaction (begun if it was not)."""
    conn = session.connection().connection.driver_connection
    # sqlite3's, or SQLCipher's for an encrypted store (the same DB-API surface).
    assert conn is not None
    result: sqlite3.Connection = conn
    return result


class RawInsert:
    """``INSERT INTO table (columns…) VALUES (:columns…) [RETURNING …]`` for a mapped table."""

    def __init__(
        self, table: Table, *, omit: tuple[str, ...] = (), returning: str | None = None
    ) -> None:
        columns = [c for c in table.columns if c.key not in omit]
        self.keys = frozenset(c.key for c in columns)
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
            f"VALUES ({', '.join(':' + c.key for c in columns)})"
            + (f" RETURNING {returning}" if returning else "")
        )
        # Columns whose type converts the value on the way in (UTC timestamps as text).
        self._binders: list[tuple[str, Callable[[Any], Any]]] = []
        for column in columns:
            if isinstance(column.type, TypeDecorator):
                self._binders.append((column.key, _binder(column.type)))

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        if values.keys() != self.keys:
            raise KeyError(f"{self.sql.split('(')[0]}: columns {sorted(self.keys ^ values.keys())}")
        out = dict(values)
        for key, bind in self._binders:
            out[key] = bind(out[key])
        return out

    def run(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> Any:
        """Insert one row; the RETURNING value if the statement has one, else None."""
        cursor = conn.execute(self.sql, self.params(values))
        row = cursor.fetchone()
        return row[0] if row is not None else None


def _binder(kind: TypeDecorator[Any]) -> Callable[[Any], Any]:
    def bind(value: Any) -> Any:
        return kind.process_bind_param(value, None)  # type: ignore[arg-type]  # no dialect used

    return bind
