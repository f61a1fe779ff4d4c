"""The sync engine: one round = push the outbox, pull the change feed (the heartbeat rides
on its first call; a heartbeat call of its own only for a server of revision 1).

This module owns the *decisions* of synchronisation; the local store is passed in as a
:class:`LocalQueue` (``desktop.outbox.StoreQueue`` is the real one) and the network as a
:class:`~sync.client.SyncClient`, so the engine never imports the desktop core or Qt.

The guarantees (DESIGN.md, "Promises" 2 and 4) and how a round keeps them:

- Items are marked "sending" in the same transaction that hands them out
  (``next_batch``) and before the call. If the process dies mid-call they stay
  "sending"; the next round starts with ``reclaim_sending()`` and sends them again. The
  server keys on the permanent request id and answers ``duplicate`` with the original
  tracking code, so a resend never makes a second request. Every round reclaims (not
  only the first after a start): at a round's start nothing of ours can be in flight, and
  an item stuck "sending" after an unexpected error (a full disk) is not left behind.
- A push that gets no answer (a reset, a cut or lost answer; a timeout still ends the
  round) does not end the round by itself (issue 11): its lane asks the server for the
  push's receipt (the push named itself with a batch key; the server kept its answer in
  the same transaction as the items), and a receipt is stored as that push's answer, the
  items not sent again. With no receipt (the server never had the whole push) the items
  go again at once, in this round, when the line answered since the break, at most
  ``sync.batches.MAX_RESENDS_PER_ROUND`` times a round.
- Network trouble past that (the receipt's call unanswered too, breaks repeating), 5xx
  and 429 stop the round: whatever is still "sending" goes back to "queued", nothing is
  dropped, and the next round waits out a jittered backoff (``sync.backoff``), or the
  server's Retry-After.
- A per-item ``rejected``/``conflict`` sets that one request aside (needs attention, with
  the server's reason) and the rest goes on. A whole-batch 400/422 is bisected until
  the poison item(s) are alone; a lone item refused by 400/422 is set aside when the
  server names it (``items.0...``) or when the server took other items in this round (so
  the refusal is about that item, not about every push). If nothing was taken, the
  refusal is treated as a server-side problem and the items stay queued: a server bug
  that refuses everything must not send the whole queue to "needs attention".
- 401/403 marks "needs re-enrolment" and stops; nothing is dropped or set aside.
- Change-feed pages are applied with their new cursor in one transaction (the queue's
  ``apply_changes``), so a crash never skips or half-applies a page. The next page is
  fetched while one is applied (``_pull_all``); pages are sized in bytes (revision 2), and
  the feed leaves out this PC's own acceptances: its push answers carried them.

The batch size adapts (:class:`BatchPolicy`): it doubles while full batches come back
fast and halves on a timeout or a 413; a round with a large backlog and no failure behind
it starts at 250. What the engine does is told to ``on_event`` as plain event objects (no
Qt), which the UI re-emits as signals and ``sync --loop --events`` prints as JSON lines.

Two pushes in flight (docs/ARCHITECTURE.md, "Sync: two pushes in flight"): each HTTP call
runs on a lane thread of a small pool made for the round; the store, the batch policy,
the decisions and the events stay on the thread that called ``run_round``. While the
calls travel, that thread takes the next batch; when an answer comes it first puts the
ready batch on the wire, then stores the answer. The first failure (a break that is not
made good, see above) stops new pushes; the
other push in flight is waited for and its answer stored, then whatever was handed out
and not settled goes back to "queued" (``requeue``) and the round fails as above.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sync.backoff import Backoff
from sync.batches import Batch, BatchPolicy, Push, PushRun, Sent
from sync.client import (
    BadRequest,
    InvalidResponse,
    NetworkError,
    PayloadTooLarge,
    SyncClient,
    SyncError,
    Unauthorized,
)
from sync.events import (
    BatchAnswered,
    BatchSending,
    BatchSplit,
    ChangesPulled,
    CursorReset,
    EventSink,
    HeartbeatSent,
    ItemsSetAside,
    PushBroken,
    RoundFailed,
    RoundResult,
    RoundStarted,
    SyncEvent,
)
from sync.localqueue import (
    BacklogStats,
    ChangesApplied,
    ErrorInfo,
    LocalQueue,
    ResultsApplied,
    SyncState,
)
from sync.protocol import (
    MAX_CHANGES_LIMIT,
    ChangesPage2,
    Heartbeat,
    HeartbeatResponse,
    ItemResult,
    ItemStatus,
    Message,
    PushResponse,
    RequestItem,
    utc_iso,
)
from sync.uploads import DocumentLane

log = logging.getLogger("pishkhan.sync")

Clock = Callable[[], dt.datetime]
#: Seconds to wait when the server says "retry" for an item but not how long.
DEFAULT_ITEM_RETRY_SECONDS = 10.0
#: Calls for a broken push's receipt before the round gives up on the line (the receipt's
#: own call may break on a lossy line: about 4 % of them on bench/rural.py's faults profile).
RECEIPT_TRIES = 2
#: A feed page's budget in bytes of JSON (revision 2): some 1,000 status changes, about
#: 30 KB once gzip has them (they repeat themselves), a couple of seconds at 256 kbit/s.
DEFAULT_PAGE_BYTES = 192 * 1024


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- the engine


@dataclass
class _Tally:
    pushed: int = 0
    accepted: int = 0
    duplicate: int = 0
    set_aside: int = 0
    retried: int = 0
    status_applied: int = 0
    catalog_versions: list[int] = field(default_factory=list)
    contacted_at: dt.datetime | None = None
    retry_after: float | None = None

    def add(self, applied: ResultsApplied, answered: int) -> None:
        self.pushed += answered
        self.accepted += applied.accepted
        self.duplicate += applied.duplicate
        self.set_aside += applied.set_aside
        self.retried += applied.retried

    @property
    def server_took_items(self) -> bool:
        """The server judged items one by one this round (so pushes as such work)."""
        return self.pushed > 0


_TOO_LARGE = Message(
    fa="این درخواست برای ارسال بیش از حد بزرگ است؛ با پشتیبانی تماس بگیرید.",
    en="This request is too large to send; contact support.",
)


class SyncEngine:
    def __init__(
        self,
        queue: LocalQueue,
        client: SyncClient,
        *,
        clock: Clock = _utc_now,
        backoff: Backoff | None = None,
        batch_policy: BatchPolicy | None = None,
        on_event: EventSink | None = None,
        app_version: str = "0",
        update_state: Callable[[], str] = lambda: "",
        changes_limit: int = MAX_CHANGES_LIMIT,
        page_bytes: int | None = DEFAULT_PAGE_BYTES,
        max_bisect_pushes: int = 32,
        max_pages: int = 1000,
        pushes_in_flight: int = 2,
        documents: DocumentLane | None = None,
    ) -> None:
        self._queue = queue
        self._client = client
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._policy = batch_policy or BatchPolicy()
        self._on_event = on_event
        self._app_version = app_version
        self._update_state = update_state
        self._changes_limit = changes_limit
        self._page_bytes = page_bytes
        self._heartbeat_due = True  # until a heartbeat rode on a changes call this round
        self._max_bisect_pushes = max_bisect_pushes
        self._max_pages = max_pages
        self._depth = max(1, pushes_in_flight)
        self._documents = documents
        self._stop = threading.Event()
        self._state = queue.load_state()
        if self._state.batch_size and batch_policy is None:
            self._policy.size = max(
                self._policy.floor, min(self._state.batch_size, self._policy.ceiling)
            )

    # -- scheduling --------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        return dataclasses.replace(self._state)

    @property
    def batch_policy(self) -> BatchPolicy:
        return self._policy

    def refresh_state(self) -> SyncState:
        """Re-read the stored status (another process, e.g. ``enrol``, may have changed it)."""
        self._state = self._queue.load_state()
        return self.state

    def seconds_until_due(self, now: dt.datetime | None = None, *, manual: bool = False) -> float:
        """0 when a round may start now. ``manual`` (F5) skips our backoff, not Retry-After."""
        now = now or self._clock()
        limits = [self._state.hold_until] + ([] if manual else [self._state.next_try_at])
        when = max((limit for limit in limits if limit is not None), default=None)
        if when is None:
            return 0.0
        return max(0.0, (when - now).total_seconds())

    def request_stop(self) -> None:
        """From any thread: end the round in progress as soon as possible (quit)."""
        self._stop.set()
        self._client.abort()

    # -- a round -----------------------------------------------------------------

    def run_round(self) -> RoundResult:
        self._state = self._queue.load_state()
        started = self._clock()
        t0 = time.monotonic()
        tally = _Tally()
        reclaimed = self._queue.reclaim_sending()
        self._emit(RoundStarted(at=utc_iso(started), reclaimed=reclaimed))
        error: SyncError | None = None
        self._heartbeat_due = True
        try:
            self._push_all(tally)
            if self._documents is not None and not self._stop.is_set():
                # Text first: documents use the line only while no request waits
                # (sync.uploads.DocumentLane pushes text saved meanwhile, then resumes).
                self._documents.send(lambda: self._push_all(tally), self._stop.is_set)
            if not self._stop.is_set():
                self._pull_all(tally)
            if not self._stop.is_set():
                self._send_heartbeat(tally)
        except SyncError as exc:
            error = exc
        stopped = self._stop.is_set()
        self._settle(error, tally, started, stopped)
        backlog = self._queue.backlog()
        state = self._state
        result = RoundResult(
            started_at=utc_iso(started),
            seconds=round(time.monotonic() - t0, 3),
            pushed=tally.pushed,
            accepted=tally.accepted,
            duplicate=tally.duplicate,
            set_aside=tally.set_aside,
            retried=tally.retried,
            status_applied=tally.status_applied,
            catalog_versions=tuple(tally.catalog_versions),
            waiting=backlog.waiting,
            attention=backlog.attention,
            error=None if stopped else state.last_error if error else None,
            next_try_at=utc_iso(state.next_try_at) if state.next_try_at else None,
            needs_reenrolment=state.needs_reenrolment,
            stopped=stopped,
            documents_waiting=self._documents.waiting() if self._documents is not None else 0,
        )
        self._emit(result)
        return result

    def _settle(
        self, error: SyncError | None, tally: _Tally, started: dt.datetime, stopped: bool
    ) -> None:
        state = self._state
        now = self._clock()
        state.last_attempt_at = started
        state.batch_size = self._policy.size
        if tally.contacted_at is not None:
            state.last_contact_at = tally.contacted_at
        if stopped:
            pass  # our own quit is no failure of the server's: nothing to back off from
        elif error is None:
            state.failures = 0
            state.last_error = None
            state.needs_reenrolment = False
            if tally.retry_after is not None:
                state.next_try_at = now + dt.timedelta(seconds=tally.retry_after)
                state.hold_until = state.next_try_at
            else:
                state.next_try_at = state.hold_until = None
        else:
            # A round that got answers before it broke shows the link works: start the
            # backoff over (a short wait) instead of growing it as if nothing got through.
            state.failures = 1 if tally.contacted_at is not None else state.failures + 1
            state.last_error = ErrorInfo.of(error, now)
            retry_after = getattr(error, "retry_after", None)
            if isinstance(error, Unauthorized):
                state.needs_reenrolment = True
                # Keep asking now and then (a token may be restored), never hammering.
                delay = self._backoff.cap
            else:
                silent = (
                    (now - state.last_contact_at).total_seconds() if state.last_contact_at else None
                )
                delay = self._backoff.delay(state.failures, retry_after, outage_seconds=silent)
            state.next_try_at = now + dt.timedelta(seconds=delay)
            state.hold_until = (
                now + dt.timedelta(seconds=min(retry_after, self._backoff.cap))
                if retry_after
                else None
            )
            log.warning(
                "sync round failed (%s: %s); next try in %.0f s",
                error.code,
                error.detail or error.message_en,
                delay,
            )
            self._emit(
                RoundFailed(
                    code=error.code,
                    message_en=error.message_en,
                    detail=error.detail,
                    next_try_at=utc_iso(state.next_try_at),
                    needs_reenrolment=state.needs_reenrolment,
                )
            )
        self._queue.save_state(state)

    # -- push --------------------------------------------------------------------

    def _push_all(self, tally: _Tally) -> None:
        run = PushRun(budget=self._max_bisect_pushes)
        self._size_for_backlog()
        with ThreadPoolExecutor(
            max_workers=self._depth, thread_name_prefix="pishkhan-push"
        ) as lanes:
            try:
                while True:
                    self._fill(run, lanes)
                    self._prepare(run)
                    if not run.in_flight:
                        break
                    part = self._next_answered(run)
                    if _answered(part):
                        self._fill(run, lanes)  # the next push goes out before we store this
                    self._settle_part(part, run, tally)
                if run.error is None and self._stop.is_set() and (run.ready or run.pending):
                    run.error = NetworkError("the sync was stopped")
                if run.error is not None:
                    raise run.error
            except (KeyboardInterrupt, SystemExit):
                self.request_stop()  # the process is ending: do not wait out the calls
                raise
            finally:
                # Only after every call of ours has ended (an abort ends them at once): what
                # was handed out and not settled by an answer goes back to the queue.
                futures.wait([p.future for p in run.in_flight if p.future is not None])
                if run.outstanding:
                    self._queue.requeue(sorted(run.outstanding), error="push failed")

    def _size_for_backlog(self) -> None:
        """A large backlog and no failure behind us: start big instead of at 20 (a slow start
        of 20, 40, 80... costs one answer's wait per doubling on a 300 ms line)."""
        if self._state.failures or self._policy.size >= self._policy.large_start:
            return
        waiting = self._queue.backlog().waiting
        if waiting >= 4 * self._policy.large_start:
            self._policy.size = min(self._policy.ceiling, self._policy.large_start)

    def _fill(self, run: PushRun, lanes: ThreadPoolExecutor) -> None:
        """Put pushes on the wire until ``depth`` are in flight (pieces of splits first)."""
        while run.error is None and not self._stop.is_set() and len(run.in_flight) < self._depth:
            part: Push | None
            if run.pending:
                part = run.pending.popleft()
            elif run.ready is not None and not run.retry_after_seen:
                part, run.ready = run.ready, None
            else:
                part = self._take(run)
            if part is None:
                return
            run.number += 1
            part.number = run.number
            part.key = str(uuid.uuid4())  # new per send: a resend is a push of its own
            self._emit(
                BatchSending(
                    size=len(part.items),
                    ids=part.ids,
                    batch=part.number,
                    in_flight=len(run.in_flight) + 1,
                )
            )
            part.future = lanes.submit(self._timed_push, part.items, part.key)
            run.in_flight.append(part)

    def _prepare(self, run: PushRun) -> None:
        """Take the next batch now, while pushes are on the wire, so it is ready when a lane
        frees: the store's work overlaps the network's instead of adding to it."""
        if run.ready is None and not run.pending and run.error is None and run.in_flight:
            run.ready = self._take(run)

    def _take(self, run: PushRun) -> Push | None:
        if run.drained or self._stop.is_set() or run.retry_after_seen:
            return None
        items = self._queue.next_batch(self._policy.size)
        if not items:
            run.drained = True  # what is saved from now on goes with the next round
            return None
        part = Push(items, Batch())
        part.batch.open_parts = 1
        run.outstanding.update(part.ids)
        return part

    def _timed_push(self, items: list[RequestItem], key: str) -> Sent:
        """On a lane's thread: the HTTP calls only (the store stays on the engine's thread).

        A push that breaks (no answer) may still have been stored: the server then kept its
        answer as a receipt under ``key``, and one small GET brings it back instead of the
        whole batch being sent again (issue 11). Asked at once, on this lane, unless the
        server said it keeps none, the push timed out or the sync is stopping."""
        t0 = time.monotonic()
        try:
            response = self._client.push(items, key=key)
        except NetworkError as exc:
            seconds = time.monotonic() - t0
            # A timeout is a line that stopped moving: a receipt's call would most likely
            # wait out a timeout of its own. The round ends and backs off, as before.
            if exc.timeout or self._stop.is_set() or self._client.keeps_receipts is False:
                return Sent(None, seconds, broken=exc)
            for attempt in range(1, RECEIPT_TRIES + 1):
                try:
                    receipt = self._client.receipt(key, items)
                except NetworkError as lost:
                    # On a lossy line the small call may break too (its own reset or lost
                    # answer); once more, unless it timed out (the line stopped) or we stop.
                    if lost.timeout or attempt == RECEIPT_TRIES or self._stop.is_set():
                        return Sent(None, seconds, broken=exc, receipt_asked=True)
                    continue
                except SyncError as refused:  # busy, unauthorised, a bad receipt: as before
                    log.info("receipt of push %s not had (%s)", key, refused.code)
                    raise exc from refused
                return Sent(receipt, seconds, broken=exc, receipt_asked=True, line_answered=True)
        return Sent(response, time.monotonic() - t0)

    @staticmethod
    def _next_answered(run: PushRun) -> Push:
        """Wait for any push in flight to end; the earliest sent of those that have."""
        futures.wait(
            [p.future for p in run.in_flight if p.future is not None],
            return_when=futures.FIRST_COMPLETED,
        )
        part = next(p for p in run.in_flight if p.future is not None and p.future.done())
        run.in_flight.remove(part)
        return part

    def _settle_part(self, part: Push, run: PushRun, tally: _Tally) -> None:
        assert part.future is not None
        batch = part.batch
        batch.open_parts -= 1
        try:
            sent = part.future.result()
        except PayloadTooLarge:
            self._policy.too_large(len(part.items))
            if len(part.items) == 1:
                self._set_aside(part.items[0], {"": _TOO_LARGE}, tally)
                run.outstanding.difference_update(part.ids)
            else:
                self._split(part, run, "too_large")
        except BadRequest as exc:
            if not exc.about_content:
                run.fail(exc)
            elif len(part.items) == 1:
                if 0 in exc.item_indexes():
                    self._set_aside(part.items[0], _item_reasons(exc, 0), tally)
                    run.outstanding.difference_update(part.ids)
                else:
                    batch.suspects.append((part.items[0], exc))
            elif run.budget <= 0:
                run.fail(exc)
            else:
                self._split(part, run, "bad_request", exc.item_indexes())
        except NetworkError as exc:  # from the lane when the receipt was refused: back off
            self._broken(part, Sent(None, 0.0, broken=exc, receipt_asked=True), run, tally)
        except SyncError as exc:
            run.fail(exc)
        else:
            if sent.broken is not None:
                self._broken(part, sent, run, tally)
            else:
                assert sent.response is not None
                run.answered_since_break = True
                self._apply_answer(part, sent.response, sent.seconds, run, tally)
        if batch.open_parts == 0 and batch.suspects:
            suspects, batch.suspects = batch.suspects, []
            if not tally.server_took_items:
                # Every item refused alone, none taken: the server refuses pushes as
                # such (a bug, a wrong version). Keep them queued and back off.
                run.fail(suspects[0][1])
            else:
                for item, refusal in suspects:
                    self._set_aside(item, _item_reasons(refusal, 0), tally)
                    run.outstanding.discard(item.id)

    def _broken(self, part: Push, sent: Sent, run: PushRun, tally: _Tally) -> None:
        """A push that got no answer: its receipt's answer, or its items again in this
        round, or (repeated breaks, a line that does not answer) the round fails."""
        exc = sent.broken
        assert exc is not None
        stopping = self._stop.is_set()
        if sent.response is not None:  # stored: the receipt is its answer
            # The whole push got through (only its small answer was lost): its size is
            # not to blame, and the batch policy is left as it was.
            self._emit_broken(part, sent, "receipt")
            run.answered_since_break = True
            self._apply_answer(part, sent.response, None, run, tally)
            return
        # A timeout, a reset or a cut: on a link that breaks long transfers a smaller
        # batch is likelier to get through (measured in tests/e2e: 20% resets per
        # chunk, 500-item batches took 71 rounds and 1.07 MB, 100-item batches 47
        # rounds and 367 KB). Fast answers grow it again. The other push in flight
        # most likely broke with the same link: halve once, not twice (and not for a quit).
        if run.error is None and not stopping:
            self._policy.broken(len(part.items), timeout=exc.timeout)
        resend = not stopping and run.may_resend(sent)
        run.answered_since_break = False
        if not resend:
            self._emit_broken(part, sent, "round_failed")
            run.fail(exc)
            return
        # Not stored, the line answers: the same items go again at once, first in line, in
        # pieces of the (maybe halved) batch size; they stay handed out ("sending").
        run.resends += 1
        size = max(1, self._policy.size)
        pieces = [part.items[i : i + size] for i in range(0, len(part.items), size)]
        part.batch.open_parts += len(pieces)
        run.pending.extendleft(Push(piece, part.batch) for piece in reversed(pieces))
        self._emit_broken(part, sent, "resend")

    def _emit_broken(self, part: Push, sent: Sent, outcome: str) -> None:
        error = sent.broken.detail if sent.broken is not None else ""
        log.info("push %d of %d items broke (%s): %s", part.number, len(part.items), error, outcome)
        self._emit(
            PushBroken(
                size=len(part.items),
                outcome=outcome,
                seconds=round(sent.seconds, 3),
                error=error,
                batch=part.number,
            )
        )

    def _apply_answer(
        self,
        part: Push,
        response: PushResponse,
        seconds: float | None,
        run: PushRun,
        tally: _Tally,
    ) -> None:
        """Store a push's answer (``seconds`` None: it came from the push's receipt, which
        says nothing of how fast the line carries a batch)."""
        tally.contacted_at = self._clock()
        # After a broken push, the other's answer does not undo the halving.
        if run.error is None and seconds is not None:
            self._policy.answered(len(part.items), seconds)
        sent = set(part.ids)
        unanswered = sent - {r.id for r in response.results if r.id}
        if unanswered == sent:
            run.fail(InvalidResponse("the push answers name none of the items sent"))
            return
        applied = self._queue.apply_results([r for r in response.results if r.id in sent])
        if unanswered:  # a server bug: those go back to the queue for the next round
            self._queue.requeue(sorted(unanswered), error="no answer for this item")
        run.outstanding.difference_update(sent)
        tally.add(applied, len(response.results))
        for result in response.results:
            if result.status == ItemStatus.RETRY:
                wait = float(result.retry_after or DEFAULT_ITEM_RETRY_SECONDS)
                tally.retry_after = max(tally.retry_after or 0.0, wait)
                # The server asked us to come back later for some items: send no more
                # batches this round (pieces of a batch being split still go).
                run.retry_after_seen = True
        self._emit(
            BatchAnswered(
                size=len(part.items),
                accepted=applied.accepted,
                duplicate=applied.duplicate,
                set_aside=applied.set_aside,
                retried=applied.retried,
                seconds=round(seconds or 0.0, 3),
                next_batch_size=self._policy.size,
                batch=part.number,
            )
        )

    def _split(self, part: Push, run: PushRun, reason: str, named: set[int] | None = None) -> None:
        run.budget -= 1
        items = part.items
        named = {i for i in (named or set()) if i < len(items)}
        if named and len(named) < len(items):
            # The server named the culprits: try each alone first, the rest together.
            pieces = [[items[i]] for i in sorted(named)]
            pieces.append([item for i, item in enumerate(items) if i not in named])
        else:
            half = len(items) // 2
            pieces = [items[:half], items[half:]]
        part.batch.open_parts += len(pieces)
        run.pending.extendleft(Push(piece, part.batch) for piece in reversed(pieces))
        self._emit(
            BatchSplit(
                size=len(items), reason=reason, next_batch_size=self._policy.size, batch=part.number
            )
        )

    def _set_aside(self, item: RequestItem, reasons: dict[str, Message], tally: _Tally) -> None:
        result = ItemResult(id=item.id, status=ItemStatus.REJECTED, reasons=reasons)
        applied = self._queue.apply_results([result])
        tally.set_aside += applied.set_aside
        reason_en = "; ".join(r.en for r in reasons.values())
        log.warning("request %s set aside: %s", item.id, reason_en)
        self._emit(ItemsSetAside(ids=(item.id,), reason_en=reason_en))

    # -- pull and heartbeat ---------------------------------------------------------

    def _pull_all(self, tally: _Tally) -> None:
        """Pull the feed to its end; the heartbeat rides on the first page's call.

        Prefetch: once a page's answer is in, the call for the next one (its cursor is in
        that answer) goes out on a lane thread while this thread applies the page, so a
        long feed costs one round trip per page only where applying is quicker than the
        line. Pages are still applied one after another, in order, each with its own
        cursor in the same transaction; a page fetched ahead and not applied (the apply
        failed, a stop) is simply dropped: the stored cursor is the last applied one's."""
        cursor = self._queue.cursor()
        beat: Heartbeat | None = self._heartbeat()
        resets = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pishkhan-pull") as lane:
            ahead = lane.submit(self._fetch, cursor, beat)
            for _ in range(self._max_pages):
                page, beat_answered = ahead.result()  # a SyncError ends the round
                tally.contacted_at = self._clock()
                if beat is not None:
                    self._heartbeat_answered(beat, page.heartbeat if beat_answered else None)
                    beat = None
                if page.reset:
                    resets += 1
                    if resets > 2:
                        raise InvalidResponse("the change feed keeps asking for a reset")
                    self._queue.reset_cursor()
                    cursor = None
                    self._emit(CursorReset())
                    ahead = lane.submit(self._fetch, None, None)
                    continue
                if page.more and not page.cursor:
                    raise InvalidResponse("a change-feed page with more to come but no cursor")
                if page.more and not self._stop.is_set():
                    ahead = lane.submit(self._fetch, page.cursor, None)  # travels meanwhile
                applied = self._queue.apply_changes(page.changes, page.cursor)
                tally.status_applied += applied.status_applied
                tally.catalog_versions.extend(applied.catalog_versions)
                self._emit(
                    ChangesPulled(
                        changes=len(page.changes),
                        status_applied=applied.status_applied,
                        catalog_versions=applied.catalog_versions,
                        more=page.more,
                    )
                )
                cursor = page.cursor or cursor
                if not page.more or self._stop.is_set():
                    return

    def _fetch(self, cursor: str | None, beat: Heartbeat | None) -> tuple[ChangesPage2, bool]:
        """On the lane thread: one page, the heartbeat riding on it. A heartbeat the server
        refuses (422 naming it) must not fail the pull: the page is asked again without it
        (the second value says whether the page's call carried the heartbeat)."""
        limit = self._changes_limit
        try:
            return self._client.changes(
                cursor, limit, max_bytes=self._page_bytes, heartbeat=beat
            ), True
        except BadRequest as exc:
            if beat is None or not any(path.startswith("heartbeat") for path in exc.fields):
                raise
            log.warning("heartbeat refused: %s", exc)
            return self._client.changes(cursor, limit, max_bytes=self._page_bytes), False

    def _heartbeat(self) -> Heartbeat:
        backlog = self._queue.backlog()
        oldest = None
        if backlog.oldest_waiting_at is not None:
            oldest = max(0, int((self._clock() - backlog.oldest_waiting_at).total_seconds()))
        return Heartbeat(
            queue_depth=backlog.waiting,
            oldest_waiting_seconds=oldest,
            app_version=self._app_version,
            last_seq=backlog.last_seq,
            attention=backlog.attention,
            update_state=self._update_state()[:20],
        )

    def _heartbeat_answered(self, beat: Heartbeat, answer: HeartbeatResponse | None) -> None:
        self._heartbeat_due = answer is None  # a server of revision 1: send it on its own
        if answer is not None:
            self._emit(
                HeartbeatSent(
                    queue_depth=beat.queue_depth,
                    minimum_version=answer.minimum_version,
                    minimum_version_after=answer.minimum_version_after,
                )
            )

    def _send_heartbeat(self, tally: _Tally) -> None:
        """The heartbeat's own call, for a server that did not answer it on the feed's."""
        if not self._heartbeat_due:
            return
        heartbeat = self._heartbeat()
        try:
            answer = self._client.heartbeat(heartbeat)
        except BadRequest as exc:
            # Only informational: a refused heartbeat must not make every round "failed".
            log.warning("heartbeat refused: %s", exc)
            return
        tally.contacted_at = self._clock()
        self._emit(
            HeartbeatSent(
                queue_depth=heartbeat.queue_depth,
                minimum_version=answer.minimum_version,
                minimum_version_after=answer.minimum_version_after,
            )
        )

    def _emit(self, event: SyncEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # an observer's bug must not break the sync
            log.exception("sync event handler failed on %s", event.kind)


def _answered(part: Push) -> bool:
    """The push ended with its answer (not an error, not a break)."""
    future = part.future
    return future is not None and future.exception() is None and future.result().broken is None


def _item_reasons(exc: BadRequest, index: int) -> dict[str, Message]:
    """The reasons ``exc`` gives for item ``index`` (paths without ``items.N.``), or its message."""
    prefix = f"items.{index}"
    reasons = {
        path[len(prefix) + 1 :] if path.startswith(prefix + ".") else path: reason
        for path, reason in exc.fields.items()
        if path == prefix or path.startswith(prefix + ".")
    }
    return reasons or {"": Message(fa=exc.message_fa, en=exc.message_en)}


__all__ = [  # the records and events live in their own modules; importable from here too
    "BacklogStats",
    "BatchAnswered",
    "BatchPolicy",
    "BatchSending",
    "BatchSplit",
    "ChangesApplied",
    "ChangesPulled",
    "CursorReset",
    "ErrorInfo",
    "EventSink",
    "HeartbeatSent",
    "ItemsSetAside",
    "LocalQueue",
    "PushBroken",
    "ResultsApplied",
    "RoundFailed",
    "RoundResult",
    "RoundStarted",
    "SyncEngine",
    "SyncEvent",
    "SyncState",
]
