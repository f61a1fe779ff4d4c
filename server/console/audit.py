"""The audit log: every action of the console, who, what, when and from where.

Entries are written in the transaction of the action where the action has one of its own
here (sessions, provinces); decisions and publications go through the server's own paths
(``feed.set_status``, ``publish_catalog``), which commit themselves, and are logged right
after they succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from server.console.models import staff_audit
from server.db import read_now, write_tx
from server.models import as_utc


@dataclass(frozen=True)
class Actor:
    """Who acts, and from which address."""

    account_id: int | None
    username: str
    address: str


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    target: str = "",
    detail: str = "",
    now: dt.datetime,
) -> None:
    conn.execute(
        insert(staff_audit).values(
            at=now,
            account_id=actor.account_id,
            username=actor.username[:64],
            action=action[:40],
            target=target[:200],
            detail=detail[:4000],
            address=actor.address[:64],
        )
    )


def record_now(
    engine: Engine,
    actor: Actor,
    action: str,
    *,
    target: str = "",
    detail: str = "",
    now: dt.datetime,
) -> None:
    with write_tx(engine) as conn:
        record(conn, actor, action, target=target, detail=detail, now=now)


def latest(engine: Engine, *, before: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest entries (keyset by id)."""
    query = select(staff_audit).order_by(staff_audit.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(staff_audit.c.id < before)
    with read_now(engine) as conn:
        rows = conn.execute(query).all()
    return [dict(row._mapping, at=as_utc(row.at)) for row in rows]
