"""Server-side staff sessions and their CSRF tokens.

The browser holds only a random session id (cookie, HttpOnly, SameSite=Strict, path
/console); the database keeps its sha256, the account, the CSRF token and the times. A
login always makes a new id and ends the session the browser came with, so an id planted
before the login (session fixation) is worth nothing after it. A session ends after
``idle_timeout_seconds`` without use or ``session_lifetime_seconds`` after its login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from server.console.accounts import Staff, load_staff
from server.console.models import staff_sessions
from server.console.settings import ConsoleSettings
from server.db import read_tx, write_tx
from server.models import as_utc

COOKIE = "pishkhan_console"
LOGIN_COOKIE = "pishkhan_console_login"  # the login form's double-submit CSRF token
# Touching last_seen_at on every page would be a write per click; once a minute is enough
# for an idle timeout counted in minutes.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf_token: str
    token_hash: str


def start_session(
    engine: Engine, account_id: int, *, address: str, previous: str | None, now: dt.datetime
) -> str:
    """A new session for ``account_id``; the browser's previous session id, if any, ends."""
    token = secrets.token_urlsafe(32)
    with write_tx(engine) as conn:
        if previous:
            conn.execute(
                delete(staff_sessions).where(staff_sessions.c.token_hash == _hash(previous))
            )
        conn.execute(
            insert(staff_sessions).values(
                token_hash=_hash(token),
                account_id=account_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                address=address[:64],
            )
        )
    return token


def current_session(
    engine: Engine, settings: ConsoleSettings, token: str | None, *, now: dt.datetime
) -> Session | None:
    """The live session of ``token``; None if unknown, idle too long, too old, or its
    account is gone or disabled (an ended session is deleted)."""
    if not token or len(token) > 100:
        return None
    key = _hash(token)
    with read_tx(engine) as conn:
        row = conn.execute(select(staff_sessions).where(staff_sessions.c.token_hash == key)).first()
        staff = load_staff(conn, row.account_id) if row is not None else None
    if row is None:
        return None
    seen, created = as_utc(row.last_seen_at), as_utc(row.created_at)
    assert seen is not None and created is not None
    idle = now - seen > dt.timedelta(seconds=settings.idle_timeout_seconds)
    old = now - created > dt.timedelta(seconds=settings.session_lifetime_seconds)
    if staff is None or idle or old:
        end_session(engine, token)
        return None
    if now - seen >= TOUCH_EVERY:
        with write_tx(engine) as conn:
            conn.execute(
                update(staff_sessions)
                .where(staff_sessions.c.token_hash == key)
                .values(last_seen_at=now)
            )
    return Session(staff=staff, csrf_token=row.csrf_token, token_hash=key)


def end_session(engine: Engine, token: str) -> None:
    with write_tx(engine) as conn:
        conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == _hash(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
