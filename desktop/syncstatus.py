"""The sync status: one shape for the window's banner and for ``status`` (text or JSON).

Read from the local store (the backlog from the requests' states, the engine's memory from
``SyncState``), never from a running engine, so the window and a scripted command agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.outbox import StoreQueue
from rules.messages import Message
from sync.localqueue import ErrorInfo
from sync.protocol import utc_iso


@dataclass(frozen=True)
class SyncStatus:
    """What waits here, when the server last answered, and what comes next."""

    waiting: int  # queued + sending
    oldest_waiting_age: dt.timedelta | None
    attention: int  # set aside, for the clerk to correct
    last_contact: dt.datetime | None
    next_try: dt.datetime | None
    last_error: Message | None
    needs_reenrolment: bool
    running: bool = False  # a round is running in this window
    enrolled: bool = True
    hold_until: dt.datetime | None = None  # the server's Retry-After (even F5 waits)
    last_attempt: dt.datetime | None = None
    failures: int = 0  # failed rounds in a row
    error: ErrorInfo | None = None  # the last error with its code and time
    device_id: str | None = None
    server_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values, as ``status --json`` prints them (times ISO 8601 UTC)."""

        def t(value: dt.datetime | None) -> str | None:
            return utc_iso(value) if value else None

        age = self.oldest_waiting_age
        return {
            "enrolled": self.enrolled,
            "device_id": self.device_id,
            "server_url": self.server_url,
            "waiting": self.waiting,
            "oldest_waiting_age_seconds": max(0, int(age.total_seconds())) if age else None,
            "attention": self.attention,
            "last_contact": t(self.last_contact),
            "last_attempt": t(self.last_attempt),
            "next_try": t(self.next_try),
            "failures": self.failures,
            "needs_reenrolment": self.needs_reenrolment,
            "last_error": (
                {
                    "code": self.error.code,
                    "message_fa": self.error.message_fa,
                    "message_en": self.error.message_en,
                    "at": self.error.at,
                }
                if self.error
                else None
            ),
        }


def read_status(
    store: Store,
    clock: Clock = utc_now,
    *,
    running: bool = False,
    enrolled: bool = True,
    device_id: str | None = None,
    server_url: str | None = None,
) -> SyncStatus:
    """The status now, from the store (two short reads)."""
    queue = StoreQueue(store, clock)
    backlog = queue.backlog()
    state = queue.load_state()
    now = clock()
    error = state.last_error
    return SyncStatus(
        waiting=backlog.waiting,
        oldest_waiting_age=(now - backlog.oldest_waiting_at) if backlog.oldest_waiting_at else None,
        attention=backlog.attention,
        last_contact=state.last_contact_at,
        next_try=state.next_try_at,
        last_error=Message(fa=error.message_fa, en=error.message_en) if error else None,
        needs_reenrolment=state.needs_reenrolment,
        running=running,
        enrolled=enrolled,
        hold_until=state.hold_until,
        last_attempt=state.last_attempt_at,
        failures=state.failures,
        error=error,
        device_id=device_id,
        server_url=server_url,
    )
