"""Audit trail: every clerk action (login, save, print, correction, day close) with time.

Details never hold names or national codes: the trail is for "who did what
when", and the request id leads to the rest for those allowed to see it.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from desktop.db.models import AuditEvent


class Action(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ACCOUNT_LOCKED = "account_locked"
    CLERK_ADDED = "clerk_added"
    CLERK_DISABLED = "clerk_disabled"
    CLERK_ENABLED = "clerk_enabled"
    PASSWORD_CHANGED = "password_changed"
    REQUEST_SAVED = "request_saved"
    REQUEST_CORRECTED = "request_corrected"
    RECEIPT_PRINTED = "receipt_printed"
    DAY_CLOSED = "day_closed"
    DAY_EXPORTED = "day_exported"
    CATALOG_IMPORTED = "catalog_imported"
    OFFICE_INITIALISED = "office_initialised"
    DEVICE_ENROLLED = "device_enrolled"


# Built once, values as parameters: compiled once (every save writes an event).
_INSERT = insert(AuditEvent.__table__)  # type: ignore[arg-type]


def row(
    action: Action,
    *,
    at: dt.datetime,
    clerk_id: int | None = None,
    request_id: str | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """An audit event's column values (``record`` writes them; the save writes them raw)."""
    return {
        "at": at,
        "clerk_id": clerk_id,
        "action": str(action),
        "request_id": request_id,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


def record(
    session: Session,
    action: Action,
    *,
    at: dt.datetime,
    clerk_id: int | None = None,
    request_id: str | None = None,
    **detail: Any,
) -> None:
    """Add an audit event to the caller's transaction (it commits with the action)."""
    session.execute(_INSERT, row(action, at=at, clerk_id=clerk_id, request_id=request_id, **detail))


def events(session: Session, *, limit: int = 1000) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
