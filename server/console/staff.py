"""The administrators' view of staff accounts: the list, and turning an account off or on
(turning it off ends its sessions at once) or lifting a lockout. Accounts are made by
``accounts.create_account`` (this page's form, or ``python -m server create-staff``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update

from server.console import audit
from server.console.models import Role, staff_accounts, staff_scopes, staff_sessions
from server.db import read_now, write_tx
from server.models import as_utc


@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    scopes: list[tuple[str, str]]


def staff_list(engine: Engine) -> list[StaffRow]:
    with read_now(engine) as conn:
        accounts = conn.execute(select(staff_accounts).order_by(staff_accounts.c.username)).all()
        scopes = conn.execute(select(staff_scopes)).all()
    by_account: dict[int, list[tuple[str, str]]] = {}
    for scope in scopes:
        by_account.setdefault(scope.account_id, []).append((scope.kind, scope.value))
    return [
        StaffRow(
            id=a.id,
            username=a.username,
            display_name=a.display_name,
            role=Role(a.role),
            active=bool(a.active),
            locked_until=as_utc(a.locked_until),
            last_login_at=as_utc(a.last_login_at),
            scopes=sorted(by_account.get(a.id, [])),
        )
        for a in accounts
    ]


def set_active(
    engine: Engine, account_id: int, active: bool, who: audit.Actor, *, now: dt.datetime
) -> bool:
    """Turn an account on or off; off ends its sessions. False if there is no such account."""
    with write_tx(engine) as conn:
        changed = conn.execute(
            update(staff_accounts).where(staff_accounts.c.id == account_id).values(active=active)
        ).rowcount
        if not changed:
            return False
        if not active:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.account_id == account_id))
        audit.record(
            conn,
            who,
            "enable_staff" if active else "disable_staff",
            target=str(account_id),
            now=now,
        )
    return True


def unlock(engine: Engine, account_id: int, who: audit.Actor, *, now: dt.datetime) -> bool:
    with write_tx(engine) as conn:
        changed = conn.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == account_id)
            .values(locked_until=None, failed_logins=0)
        ).rowcount
        if changed:
            audit.record(conn, who, "unlock_staff", target=str(account_id), now=now)
    return bool(changed)
