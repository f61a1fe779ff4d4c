"""Batches of the push phase: how large they are, and the pushes of a round in flight.

``BatchPolicy`` is the adaptive batch size (kept between rounds in ``SyncState``);
``PushRun`` is what the engine's thread knows of one round's pushes: pieces of split
batches waiting, the (at most two) pushes on the wire, the batch taken ahead, and the ids
handed out and not yet settled by an answer (they go back to "queued" if the round ends
without one). Plain data: the decisions are ``sync.engine``'s.
"""

from __future__ import annotations

import collections
from concurrent import futures
from dataclasses import dataclass, field

from sync.client import BadRequest, NetworkError, SyncError
from sync.protocol import MAX_ITEMS_PER_PUSH, PushResponse, RequestItem

#: Pushes of one round whose answer was lost and that the server had not stored (no
#: receipt), sent again in the same round before a further break ends it (issue 11).
MAX_RESENDS_PER_ROUND = 4

# --------------------------------------------------------------------------- batch size


@dataclass
class BatchPolicy:
    """Adaptive batch size: grows while full batches are fast, shrinks when size is the
    likely cause of a failure, and comes straight back once the line answers again.

    A broken transfer (a reset, a cut, a lost answer) on a bad line strikes a batch of 1
    about as often as one of 500: on the faults profile of ``bench/rural.py`` (per 16 KiB
    chunk 1 % resets, per answer 2 % lost and 0.5 % cut) a 500-item push (~50 KB in zstd,
    4 chunks with its answer) fails 6 % of the time, a 1-item push 3.5 %. Halving on each
    of them (the rule before issue 11) left the batch at 1-4 items, and every push then
    pays a round trip for one item. So: a timeout (the transfer took longer than the line
    allows) halves at once; other breaks halve only the second time in a row without an
    answer between; and the first answer after failures restores the largest size that was
    answered fast before (``good``), lowered only by timeouts, 413s and slow answers. A push
    whose answer was lost but whose receipt shows it stored (issue 11) is no break here:
    the whole batch got through.
    """

    size: int = 20
    floor: int = 1
    ceiling: int = MAX_ITEMS_PER_PUSH
    fast_seconds: float = 5.0  # a full batch answered this fast: try twice as many
    slow_seconds: float = 30.0  # this slow: halve before a timeout does it for us
    # A round with at least 4× this many waiting, after no failure, starts at this size.
    large_start: int = 250
    good: int = 0  # the largest size answered fast, not disproved since (0: none yet)
    broken_in_row: int = 0  # transfers broken since the last answer

    def __post_init__(self) -> None:
        self.ceiling = min(self.ceiling, MAX_ITEMS_PER_PUSH)
        self.size = max(self.floor, min(self.size, self.ceiling))

    def answered(self, sent: int, seconds: float) -> None:
        self.broken_in_row = 0
        if seconds >= self.slow_seconds:
            self.good = min(self.good, max(self.floor, sent // 2))
            self.shrink(sent)
            return
        if seconds <= self.fast_seconds:
            self.good = max(self.good, min(sent, self.ceiling))
            if self.size < self.good:
                self.size = self.good  # the line answers again: back to what worked
            elif sent >= self.size:
                self.size = min(self.ceiling, self.size * 2)

    def broken(self, sent: int, *, timeout: bool) -> None:
        """A push got no answer (network error): shrink if its size is the likely cause."""
        self.broken_in_row += 1
        if timeout:
            # Slower than the line was assumed to be: the size did matter.
            self.good = min(self.good, max(self.floor, sent // 2))
            self.shrink(sent)
        elif self.broken_in_row >= 2:
            self.shrink(sent)

    def shrink(self, sent: int | None = None) -> None:
        basis = min(self.size, sent) if sent else self.size
        self.size = max(self.floor, basis // 2)

    def too_large(self, sent: int) -> None:
        """413: the server's limit, not the line's; never go back above it."""
        self.good = min(self.good, max(self.floor, sent // 2))
        self.shrink(sent)


# --------------------------------------------------------------------------- pushes in flight


@dataclass(eq=False)
class Batch:
    """One batch taken from the queue: how many of its parts are unanswered, and its items
    that a whole-push 400 refused alone without naming them (decided once all are in)."""

    open_parts: int = 0
    suspects: list[tuple[RequestItem, BadRequest]] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """What a lane brings back from one push: its answer, or how it broke.

    ``broken`` is the network error of a push that got no answer; ``response`` is then the
    answer its receipt gave (the server had stored it), or None when the server had none
    (not stored: send the items again). ``receipt_asked``: the lane asked for it (a server
    that keeps receipts); ``line_answered``: that call was answered (the line works again,
    whatever broke the push)."""

    response: PushResponse | None
    seconds: float
    broken: NetworkError | None = None
    receipt_asked: bool = False
    line_answered: bool = False


@dataclass(eq=False)
class Push:
    """One push: a batch, or a piece of one being split (or sent again after a break)."""

    items: list[RequestItem]
    batch: Batch
    number: int = 0  # the round's running push number (events pair on it)
    key: str = ""  # the batch key it was sent with (a receipt is asked for by it)
    future: futures.Future[Sent] | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass
class PushRun:
    """The push phase of one round, kept on the engine's thread."""

    budget: int  # splits left (a server refusing everything must not cost 2n pushes forever)
    pending: collections.deque[Push] = field(default_factory=collections.deque)
    in_flight: list[Push] = field(default_factory=list)  # oldest first
    ready: Push | None = None  # taken from the queue (marked "sending"), not yet sent
    outstanding: set[str] = field(default_factory=set)  # handed out, not settled by an answer
    error: SyncError | None = None  # the first failure: send nothing more, collect, raise
    drained: bool = False  # the queue had nothing more
    retry_after_seen: bool = False
    number: int = 0
    resends: int = 0  # broken pushes, not stored, sent again in this round
    answered_since_break: bool = False  # an answer came after the last break (or at all)

    def may_resend(self, sent: Sent) -> bool:
        """A broken push that the server did not store goes again in this round when the
        line answered since the break (its receipt call; from a server without receipts,
        another push after the last break) and the round's resends are not spent; else (and
        after a timeout) the round fails and backs off, as before."""
        if self.error is not None or self.resends >= MAX_RESENDS_PER_ROUND:
            return False
        if sent.broken is not None and sent.broken.timeout:
            return False  # a line that stopped moving: back off rather than wait again
        return sent.line_answered if sent.receipt_asked else self.answered_since_break

    def fail(self, error: SyncError) -> None:
        if self.error is None:
            self.error = error
