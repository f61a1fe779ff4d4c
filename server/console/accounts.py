"""Staff accounts: argon2id passwords, roles and scopes, login with lockout.

A wrong password counts against the account (``lockout_failures`` in a row lock it for
``lockout_seconds``) and, in the routes, against the address (``FailureThrottle``). An
unknown user name costs the same hash check as a known one, so timing does not tell
which names exist.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from rules.messages import Message
from server.console.models import Role, ScopeKind, staff_accounts, staff_scopes
from server.console.settings import ConsoleSettings
from server.db import read_now, write_tx
from server.models import as_utc

USERNAME = re.compile(r"[a-z][a-z0-9_.-]{1,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # argon2 hashes any length; a form's worth is plenty


class AccountError(ValueError):
    """A staff account cannot be made or changed as asked; ``message`` says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass(frozen=True)
class Staff:
    """A logged-in staff member, with what they may see."""

    id: int
    username: str
    display_name: str
    role: Role
    services: frozenset[str] = field(default_factory=frozenset)
    provinces: frozenset[str] = field(default_factory=frozenset)
    offices: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMINISTRATOR

    @property
    def reviews(self) -> bool:
        return self.role in (Role.ADMINISTRATOR, Role.REVIEWER)

    @property
    def watches_fleet(self) -> bool:
        return self.role in (Role.ADMINISTRATOR, Role.OPERATOR)

    @property
    def limited(self) -> bool:
        return bool(self.services or self.provinces or self.offices)


def password_hasher(settings: ConsoleSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def check_password(password: str) -> None:
    """AccountError unless ``password`` is long enough (and no longer than a form allows)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            Message(
                f"گذرواژه دست‌کم {MIN_PASSWORD} نویسه است.",
                f"A password has at least {MIN_PASSWORD} characters.",
            )
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            Message(
                f"گذرواژه دست‌بالا {MAX_PASSWORD} نویسه است.",
                f"A password has at most {MAX_PASSWORD} characters.",
            )
        )


def create_account(
    engine: Engine,
    settings: ConsoleSettings,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    services: tuple[str, ...] = (),
    provinces: tuple[str, ...] = (),
    offices: tuple[str, ...] = (),
    now: dt.datetime,
) -> int:
    """A new account; AccountError for a bad name, a short password or a taken name."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            Message(
                "نام کاربری ۲ تا ۶۴ حرف کوچک لاتین، رقم، نقطه، خط تیره یا زیرخط است.",
                "A user name is 2 to 64 lower-case Latin letters, digits, '.', '-' or '_'.",
            )
        )
    check_password(password)
    if role is not Role.REVIEWER and (services or provinces or offices):
        raise AccountError(
            Message(
                "محدودهٔ خدمات و استان فقط برای بررسی‌کننده است.",
                "Services and provinces limit reviewers only.",
            )
        )
    hashed = password_hasher(settings).hash(password)
    try:
        with write_tx(engine) as conn:
            result = conn.execute(
                insert(staff_accounts).values(
                    username=username,
                    display_name=display_name.strip()[:200] or username,
                    password_hash=hashed,
                    role=str(role),
                    active=True,
                    failed_logins=0,
                    created_at=now,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            account_id = int(key[0])
            scopes = [(ScopeKind.SERVICE, v) for v in services]
            scopes += [(ScopeKind.PROVINCE, v) for v in provinces]
            scopes += [(ScopeKind.OFFICE, v) for v in offices]
            for kind, value in sorted(set(scopes)):
                conn.execute(
                    insert(staff_scopes).values(account_id=account_id, kind=str(kind), value=value)
                )
            return account_id
    except IntegrityError:
        raise AccountError(
            Message(f"نام کاربری {username} گرفته شده است.", f"User name {username} is taken.")
        ) from None


def load_staff(conn: Connection, account_id: int) -> Staff | None:
    """The active account ``account_id`` with its scopes, or None."""
    row = conn.execute(
        select(
            staff_accounts.c.id,
            staff_accounts.c.username,
            staff_accounts.c.display_name,
            staff_accounts.c.role,
        ).where(staff_accounts.c.id == account_id, staff_accounts.c.active.is_(True))
    ).first()
    if row is None:
        return None
    scopes: dict[str, set[str]] = {k.value: set() for k in ScopeKind}
    for kind, value in conn.execute(
        select(staff_scopes.c.kind, staff_scopes.c.value).where(
            staff_scopes.c.account_id == account_id
        )
    ):
        scopes.setdefault(kind, set()).add(value)
    return Staff(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        services=frozenset(scopes[ScopeKind.SERVICE]),
        provinces=frozenset(scopes[ScopeKind.PROVINCE]),
        offices=frozenset(scopes[ScopeKind.OFFICE]),
    )


class LoginRefused(Exception):
    """Wrong name or password, or a locked account; ``locked`` tells which (for the log)."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__("locked" if locked else "wrong credentials")
        self.locked = locked


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("not a password of anyone")
    return _DUMMY_HASHES[key]


def verify_login(
    engine: Engine, settings: ConsoleSettings, username: str, password: str, *, now: dt.datetime
) -> int:
    """The account id for a right name and password; LoginRefused otherwise."""
    hasher = password_hasher(settings)
    with read_now(engine) as conn:
        row = conn.execute(
            select(
                staff_accounts.c.id,
                staff_accounts.c.password_hash,
                staff_accounts.c.locked_until,
                staff_accounts.c.active,
            ).where(staff_accounts.c.username == username.strip().lower())
        ).first()
    if row is None or not row.active:
        try:
            hasher.verify(_dummy_hash(hasher), password)
        except VerificationError:
            pass
        raise LoginRefused(locked=False)
    locked_until = as_utc(row.locked_until)
    if locked_until is not None and locked_until > now:
        raise LoginRefused(locked=True)
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        _count_failure(engine, settings, row.id, now=now)
        raise LoginRefused(locked=False) from None
    with write_tx(engine) as conn:
        conn.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == row.id)
            .values(failed_logins=0, locked_until=None, last_login_at=now)
        )
    return int(row.id)


def _count_failure(
    engine: Engine, settings: ConsoleSettings, account_id: int, *, now: dt.datetime
) -> None:
    with write_tx(engine) as conn:
        failures = conn.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == account_id)
            .values(failed_logins=staff_accounts.c.failed_logins + 1)
            .returning(staff_accounts.c.failed_logins)
        ).scalar_one()
        if failures >= settings.lockout_failures:
            conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == account_id)
                .values(
                    failed_logins=0,
                    locked_until=now + dt.timedelta(seconds=settings.lockout_seconds),
                )
            )


def remove_scopes(conn: Connection, account_id: int) -> None:
    conn.execute(delete(staff_scopes).where(staff_scopes.c.account_id == account_id))
