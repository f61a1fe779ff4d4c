"""The administrators' view of staff accounts: the list; turning an account off or on
(turning it off ends its sessions at once) or lifting a lockout; an account's role, name
and scope (``update_account``, checked field by field by ``check_change``) and a new
password (``reset_password``). Accounts are made by ``accounts.create_account`` (the
staff page's form, or ``python -m server create-staff``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from rules.catalog import CatalogError
from rules.messages import Message
from server.catalogs import CatalogCache, latest_version
from server.console import audit
from server.console.accounts import check_password, password_hasher
from server.console.models import Role, ScopeKind, staff_accounts, staff_scopes, staff_sessions
from server.console.provinces import PROVINCES
from server.console.settings import ConsoleSettings
from server.db import read_now, write_tx
from server.models import as_utc, offices


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


@dataclass(frozen=True)
class AccountChange:
    """What an administrator sets on an account's page: all of it at once, as the form has
    it (a scope left empty is no limit)."""

    display_name: str
    role: Role
    active: bool
    services: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()


def staff_account(engine: Engine, account_id: int) -> StaffRow | None:
    return next((row for row in staff_list(engine) if row.id == account_id), None)


def known_services(engine: Engine, cache: CatalogCache) -> set[str]:
    """The service codes of the newest catalogue (a reviewer may be limited to these)."""
    with read_now(engine) as conn:
        version = latest_version(conn)
    if version is None:
        return set()
    try:
        catalog = cache.get_many(engine, [version])[version]
    except (CatalogError, KeyError):
        return set()
    return {s.code for s in catalog.services}


def _listed(values: Sequence[str], limit: int = 8) -> str:
    shown = "، ".join(values[:limit])
    return shown + ("…" if len(values) > limit else "")


def check_change(
    engine: Engine, change: AccountChange, *, services: set[str], editor: int, target: int
) -> dict[str, Message]:
    """Per field, why the change cannot be made (empty: it can)."""
    problems: dict[str, Message] = {}
    if target == editor and (change.role is not Role.ADMINISTRATOR or not change.active):
        problems["role"] = Message(
            "نقش خودتان را نمی‌توانید بگیرید یا حساب خودتان را ببندید؛ مدیر دیگری این کار را بکند.",
            "You cannot take your own role or turn off your own account; another "
            "administrator can.",
        )
    scoped = change.services or change.provinces or change.offices
    if scoped and change.role is not Role.REVIEWER:
        problems["role"] = Message(
            "محدودهٔ خدمات، استان و دفتر فقط برای بررسی‌کننده است.",
            "Services, provinces and offices limit reviewers only.",
        )
    unknown = [code for code in change.provinces if code not in PROVINCES]
    if unknown:
        problems["province"] = Message(
            f"این استان‌ها شناخته نیستند: {_listed(unknown)}",
            f"Unknown provinces: {', '.join(unknown[:8])}",
        )
    unknown = [code for code in change.services if code not in services]
    if unknown:
        problems["services"] = Message(
            f"این کدها در فهرست خدمات کنونی نیستند: {_listed(unknown)}",
            f"Not in the current catalogue: {', '.join(unknown[:8])}",
        )
    if change.offices:
        with read_now(engine) as conn:
            found = set(
                conn.execute(
                    select(offices.c.code).where(offices.c.code.in_(sorted(set(change.offices))))
                ).scalars()
            )
        unknown = [code for code in change.offices if code not in found]
        if unknown:
            problems["offices"] = Message(
                f"این دفترها نیستند: {_listed(unknown)}",
                f"No such offices: {', '.join(unknown[:8])}",
            )
    if len(change.display_name) > 200:
        problems["display_name"] = Message(
            "نام دست‌بالا ۲۰۰ نویسه است.", "A name has at most 200 characters."
        )
    return problems


def _scopes(change: AccountChange) -> list[tuple[str, str]]:
    pairs = [(str(ScopeKind.SERVICE), v) for v in change.services]
    pairs += [(str(ScopeKind.PROVINCE), v) for v in change.provinces]
    pairs += [(str(ScopeKind.OFFICE), v) for v in change.offices]
    return sorted(set(pairs))


def _described(role: str, active: bool, scopes: list[tuple[str, str]]) -> str:
    scope = ",".join(f"{kind}:{value}" for kind, value in scopes) or "-"
    return f"role={role} active={'yes' if active else 'no'} scope={scope}"


def update_account(
    engine: Engine, account_id: int, change: AccountChange, who: audit.Actor, *, now: dt.datetime
) -> bool:
    """Set role, name, scope and state (checked by ``check_change`` first); turning it off
    ends its sessions. The audit entry says what it was and what it is. False: no account.

    Scope and role take effect on the account's next page: a session reads them anew on
    every request (``sessions.current_session``)."""
    scopes = _scopes(change)
    with write_tx(engine) as conn:
        before = conn.execute(
            select(staff_accounts.c.role, staff_accounts.c.active, staff_accounts.c.username)
            .where(staff_accounts.c.id == account_id)
            .with_for_update()
        ).first()
        if before is None:
            return False
        old_scopes = sorted(
            (s.kind, s.value)
            for s in conn.execute(
                select(staff_scopes.c.kind, staff_scopes.c.value).where(
                    staff_scopes.c.account_id == account_id
                )
            )
        )
        conn.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == account_id)
            .values(
                role=str(change.role),
                active=change.active,
                display_name=change.display_name.strip()[:200] or before.username,
            )
        )
        conn.execute(delete(staff_scopes).where(staff_scopes.c.account_id == account_id))
        if scopes:
            conn.execute(
                insert(staff_scopes),
                [{"account_id": account_id, "kind": k, "value": v} for k, v in scopes],
            )
        if not change.active:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.account_id == account_id))
        was = _described(before.role, bool(before.active), old_scopes)
        audit.record(
            conn,
            who,
            "edit_staff",
            target=before.username,
            detail=f"{was} -> {_described(str(change.role), change.active, scopes)}",
            now=now,
        )
    return True


def reset_password(
    engine: Engine,
    settings: ConsoleSettings,
    account_id: int,
    password: str,
    who: audit.Actor,
    *,
    keep_session: str | None = None,
    now: dt.datetime,
) -> bool:
    """A new password chosen by an administrator: the account's sessions end (but
    ``keep_session``, the hash of the administrator's own when they reset their own), its
    lockout is lifted. AccountError for a short password; False: no such account."""
    check_password(password)
    hashed = password_hasher(settings).hash(password)  # argon2: before the transaction
    with write_tx(engine) as conn:
        username = conn.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == account_id)
            .values(password_hash=hashed, failed_logins=0, locked_until=None)
            .returning(staff_accounts.c.username)
        ).scalar()
        if username is None:
            return False
        ended = delete(staff_sessions).where(staff_sessions.c.account_id == account_id)
        if keep_session is not None:
            ended = ended.where(staff_sessions.c.token_hash != keep_session)
        conn.execute(ended)
        audit.record(conn, who, "reset_staff_password", target=username, now=now)
    return True
