"""What the sync engine tells its observers: plain event objects (no Qt).

The UI re-emits them as signals; ``sync --loop --events`` prints ``event.to_json()`` as
one JSON line each (``{"kind": ..., fields...}``), which end-to-end tests read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from sync.localqueue import ErrorInfo


@dataclass(frozen=True)
class SyncEvent:
    kind: ClassVar[str] = "event"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["kind"] = self.kind
        return data


@dataclass(frozen=True)
class RoundStarted(SyncEvent):
    kind: ClassVar[str] = "round_started"
    at: str
    reclaimed: int


@dataclass(frozen=True)
class BatchSending(SyncEvent):
    """A push goes on the wire (its items are marked "sending" already).

    Up to two pushes are in flight at once: ``batch`` numbers the round's pushes, and the
    ``BatchAnswered`` or ``BatchSplit`` that ends this push carries the same number (answers
    may come in another order than the pushes went). ``in_flight`` counts this one too.
    """

    kind: ClassVar[str] = "batch_sending"
    size: int
    ids: tuple[str, ...]
    batch: int = 0
    in_flight: int = 1


@dataclass(frozen=True)
class BatchAnswered(SyncEvent):
    kind: ClassVar[str] = "batch_answered"
    size: int
    accepted: int
    duplicate: int
    set_aside: int
    retried: int
    seconds: float
    next_batch_size: int
    batch: int = 0  # the BatchSending this answers


@dataclass(frozen=True)
class BatchSplit(SyncEvent):
    kind: ClassVar[str] = "batch_split"
    size: int
    reason: str  # "too_large" | "bad_request"
    next_batch_size: int
    batch: int = 0  # the BatchSending whose push was refused; its pieces get numbers of their own


@dataclass(frozen=True)
class PushBroken(SyncEvent):
    """A push got no answer (a reset, a cut, a lost answer, a timeout), and what came of it
    (issue 11): ``receipt``: the server had stored it and its receipt gave the answer (a
    ``BatchAnswered`` of the same ``batch`` follows); ``resend``: not stored, its items go
    again in this round; ``round_failed``: the round ends and backs off."""

    kind: ClassVar[str] = "push_broken"
    size: int
    outcome: str  # "receipt" | "resend" | "round_failed"
    seconds: float  # from the push's call to the break
    error: str
    batch: int = 0


@dataclass(frozen=True)
class ItemsSetAside(SyncEvent):
    kind: ClassVar[str] = "items_set_aside"
    ids: tuple[str, ...]
    reason_en: str


@dataclass(frozen=True)
class ChangesPulled(SyncEvent):
    kind: ClassVar[str] = "changes_pulled"
    changes: int
    status_applied: int
    catalog_versions: tuple[int, ...]
    more: bool


@dataclass(frozen=True)
class CursorReset(SyncEvent):
    kind: ClassVar[str] = "cursor_reset"


@dataclass(frozen=True)
class HeartbeatSent(SyncEvent):
    kind: ClassVar[str] = "heartbeat_sent"
    queue_depth: int
    # The centre's minimum version, from the heartbeat's answer (issue 16; "" for none).
    minimum_version: str = ""
    minimum_version_after: str | None = None


@dataclass(frozen=True)
class RoundFailed(SyncEvent):
    kind: ClassVar[str] = "round_failed"
    code: str
    message_en: str
    detail: str
    next_try_at: str | None
    needs_reenrolment: bool


@dataclass(frozen=True)
class RoundResult(SyncEvent):
    """What one round did; also sent as the last event of the round."""

    kind: ClassVar[str] = "round_finished"
    started_at: str
    seconds: float
    pushed: int  # item answers received (a resent item counts again)
    accepted: int  # accepted + duplicate
    duplicate: int
    set_aside: int
    retried: int
    status_applied: int
    catalog_versions: tuple[int, ...]
    waiting: int  # still queued/sending after the round
    attention: int
    error: ErrorInfo | None
    next_try_at: str | None
    needs_reenrolment: bool
    stopped: bool  # request_stop() cut the round short
    # Scan files (blobs) not yet whole on the server after the round; 0 with no document
    # lane. Apart from `waiting` (requests), which the window's banner and `status` count.
    documents_waiting: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.stopped

    @property
    def requests_changed(self) -> bool:
        return bool(self.pushed or self.status_applied or self.catalog_versions or self.set_aside)


EventSink = Callable[[SyncEvent], None]
