"""Push receipts (issue 11): the answer of a push kept under the batch key the PC named.

A push whose answer is lost or cut after the server stored its batch leaves the PC not
knowing the outcome. Before, it sent the whole batch again (the idempotent ingest answered
every item ``duplicate``): on a 256 kbit/s line some 50 KiB, 1.6 s, for an answer of 60
bytes. Now a PC of revision 2 names each push with a key (``Pishkhan-Push-Key``, a UUID it
makes per push); the server stores key → the encoded answer in the push's own transaction
(so a receipt exists exactly when the batch was stored), and ``GET
/v1/push/receipts/{key}`` gives it back to the same device, 404 to anyone else. The
ingest's idempotence stays the guarantee: a receipt only spares the resend.

Receipts are kept ``KEEP_DAYS`` (a PC asks seconds after the break; one that was shut down
meanwhile simply resends, answered ``duplicate``), pruned per device as its pushes come.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.db import is_sqlite
from server.models import push_receipts

#: How long a receipt is kept (the PC asks within seconds; a few days covers a PC that
#: lost power mid-push and came back after a weekend, though it would resend anyway).
KEEP_DAYS = 3


def store(conn: Connection, device_id: str, key: str, answer: bytes, *, now: dt.datetime) -> None:
    """In the push's transaction: the answer under ``key``; this device's old ones pruned.

    A key used again by the same device (a PC that resent a batch under its old key after
    the first push was stored) keeps the first answer: that batch's items were stored by
    the first push, and its answer is what the receipt must say."""
    conn.execute(
        delete(push_receipts).where(
            push_receipts.c.device_id == device_id,
            push_receipts.c.created_at < now - dt.timedelta(days=KEEP_DAYS),
        )
    )
    values = {"device_id": device_id, "key": key, "answer": answer, "created_at": now}
    statement = (sqlite_insert if is_sqlite(conn) else pg_insert)(push_receipts).values(values)
    conn.execute(statement.on_conflict_do_nothing())


def fetch(engine: Engine, device_id: str, key: str) -> bytes | None:
    """The answer stored under ``key`` for this device (never another device's), or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(push_receipts.c.answer).where(
                push_receipts.c.device_id == device_id, push_receipts.c.key == key
            )
        ).first()
    return bytes(row.answer) if row is not None else None
