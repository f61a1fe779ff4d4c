"""What the sync engine needs from the local store, and the records they exchange.

``LocalQueue`` is the protocol ``desktop.outbox.StoreQueue`` implements (the engine never
imports the desktop core); ``SyncState`` is the engine's memory between rounds and
restarts, kept by the queue in the local store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sync.client import SyncError
from sync.protocol import Change, ItemResult, RequestItem, parse_utc_iso, utc_iso


@dataclass(frozen=True)
class ErrorInfo:
    """The last error, as shown to the clerk (fa/en) and kept in the sync status."""

    code: str
    message_fa: str
    message_en: str
    at: str

    @classmethod
    def of(cls, exc: SyncError, at: dt.datetime) -> ErrorInfo:
        return cls(exc.code, exc.message_fa, exc.message_en, utc_iso(at))


@dataclass
class SyncState:
    """What the engine remembers between rounds and restarts (kept in the local store)."""

    last_contact_at: dt.datetime | None = None  # the last answer from the server
    last_attempt_at: dt.datetime | None = None  # the last round's start
    next_try_at: dt.datetime | None = None  # backoff: automatic rounds wait until then
    hold_until: dt.datetime | None = None  # the server's Retry-After: even F5 waits
    failures: int = 0  # failed rounds in a row
    last_error: ErrorInfo | None = None
    needs_reenrolment: bool = False
    batch_size: int = 0  # the adaptive batch size last used (0: never)

    def to_json(self) -> str:
        def t(value: dt.datetime | None) -> str | None:
            return utc_iso(value) if value else None

        return json.dumps(
            {
                "last_contact_at": t(self.last_contact_at),
                "last_attempt_at": t(self.last_attempt_at),
                "next_try_at": t(self.next_try_at),
                "hold_until": t(self.hold_until),
                "failures": self.failures,
                "last_error": dataclasses.asdict(self.last_error) if self.last_error else None,
                "needs_reenrolment": self.needs_reenrolment,
                "batch_size": self.batch_size,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | None) -> SyncState:
        """Read back; anything unreadable gives a fresh state (it only holds hints)."""
        try:
            data = json.loads(text) if text else {}
            if not isinstance(data, dict):
                return cls()

            def t(key: str) -> dt.datetime | None:
                value = data.get(key)
                return parse_utc_iso(value) if value else None

            error = data.get("last_error")
            return cls(
                last_contact_at=t("last_contact_at"),
                last_attempt_at=t("last_attempt_at"),
                next_try_at=t("next_try_at"),
                hold_until=t("hold_until"),
                failures=int(data.get("failures") or 0),
                last_error=ErrorInfo(**error) if isinstance(error, dict) else None,
                needs_reenrolment=bool(data.get("needs_reenrolment")),
                batch_size=int(data.get("batch_size") or 0),
            )
        except (TypeError, ValueError):
            return cls()


@dataclass(frozen=True)
class BacklogStats:
    waiting: int  # queued + sending
    oldest_waiting_at: dt.datetime | None
    attention: int  # set aside, waiting for the clerk
    last_seq: int  # this PC's highest sequence number handed out


@dataclass(frozen=True)
class ResultsApplied:
    accepted: int = 0  # accepted + duplicate (both leave the request accepted here)
    duplicate: int = 0  # of which duplicate
    set_aside: int = 0  # rejected + conflict: needs attention
    retried: int = 0  # back to queued
    ignored: int = 0  # results for items no longer "sending" here (already settled)


@dataclass(frozen=True)
class ChangesApplied:
    status_applied: int = 0
    status_skipped: int = 0  # unknown here, stale, or would overwrite unacknowledged work
    catalog_versions: tuple[int, ...] = ()


class LocalQueue(Protocol):
    """The local store as the engine needs it. Each method is one short transaction."""

    def reclaim_sending(self) -> int:
        """Everything left "sending" (by a killed process) goes back to "queued"."""

    def next_batch(self, limit: int) -> list[RequestItem]:
        """Up to ``limit`` queued items (oldest first), marked "sending" in the same
        transaction."""

    def apply_results(self, results: Sequence[ItemResult]) -> ResultsApplied:
        """accepted/duplicate → accepted + tracking code; rejected/conflict → needs
        attention with the reason; retry → queued."""

    def requeue(self, ids: Sequence[str], error: str | None = None) -> int:
        """Those of ``ids`` still "sending" go back to "queued" (after a failed call)."""

    def cursor(self) -> str | None: ...

    def apply_changes(self, changes: Sequence[Change], new_cursor: str | None) -> ChangesApplied:
        """Apply a page of the change feed and store its cursor, in one transaction."""

    def reset_cursor(self) -> None: ...

    def backlog(self) -> BacklogStats: ...

    def load_state(self) -> SyncState: ...

    def save_state(self, state: SyncState) -> None: ...
