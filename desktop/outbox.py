"""The outbox as the sync engine sees it: ``StoreQueue`` implements ``sync.engine.LocalQueue``.

Every method is one short write transaction on the local store, so the counter's saves
never wait long behind the sync. The rules it keeps:

- A request's state (desktop.states) is the one record of where it is: "queued" and
  "sending" are what still goes to the server; the outbox row keeps only how the sending
  went (attempts, times, last error). Every move goes through ``desktop.states.move``.
- ``next_batch`` marks the requests "sending" in the transaction that reads them, before
  any byte leaves; ``reclaim_sending``/``requeue`` put them back.
  These hand-offs write no history rows (a week offline would otherwise fill the history
  with queued/sending pairs); the history records what a person may care about: accepted
  with its tracking code, set aside with the reason (source "sync"), and every decision of
  the back office (source "server").
- The server's answer wins over our own guesses: "accepted"/"duplicate" settles a request
  whatever its state says (it may have been reclaimed meanwhile), but never moves
  a request the back office has already decided on (needs correction, rejected, completed)
  back to "accepted"; it only fills in the tracking code and closes the outbox entry.
- A change-feed page and its cursor commit together. A status change is applied when it
  is newer than the last one applied for that request (replays after a cursor reset are
  no-ops). For a request still waiting here (queued/sending) a status change is proof
  that the server stored it (the back office only sees stored requests, and the feed's
  "accepted" comes from the server's own acceptance): the state is applied, which ends
  its sending. A request set aside here
  (needs attention) is the clerk's to correct; changes for it are skipped, because the
  server can only know a *different* content under that id (a conflict).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from desktop.catalog_store import add_version
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import Device, KeyValue, OutboxEntry, Request, RequestStateChange
from desktop.db.raw import driver_connection
from desktop.states import BACK_OFFICE, WAITING, State, move
from desktop.wire import item_from_columns, scan_refs
from rules.catalog import Catalog, CatalogError
from sync.localqueue import BacklogStats, ChangesApplied, ResultsApplied, SyncState
from sync.protocol import (
    CatalogChange,
    Change,
    ItemResult,
    ItemStatus,
    Message,
    RequestItem,
    StatusChange,
    parse_utc_iso,
)

log = logging.getLogger("pishkhan.sync")

CURSOR_KEY = "sync.cursor"
STATE_KEY = "sync.state"

_REQUESTS = Request.__table__

_REFUSED = Message(
    fa="سرور مرکزی این درخواست را نپذیرفت", en="The central server refused this request"
)
_CONFLICT = Message(
    fa="سرور مرکزی درخواست دیگری با همین شناسه دارد",
    en="The central server holds a different request under this id",
)

_DAMAGED = Message(
    fa="این درخواست در پایگاه دادهٔ این رایانه آسیب دیده و قابل ارسال نیست؛ آن را دوباره ثبت کنید",
    en="This request is damaged in this PC's database and cannot be sent; register it again",
)


def _reason_text(head: Message, reasons: dict[str, Message] | None) -> tuple[str, str]:
    """One readable line per language: the verdict, then each reason (and its field)."""
    parts_fa: list[str] = []
    parts_en: list[str] = []
    for path, reason in (reasons or {}).items():
        where = f" ({path})" if path else ""
        parts_fa.append(reason.fa.rstrip(".") + where)
        parts_en.append(reason.en.rstrip(".") + where)
    fa = head.fa + (": " + "؛ ".join(parts_fa) if parts_fa else "") + "."
    en = head.en + (": " + "; ".join(parts_en) if parts_en else "") + "."
    return fa, en


@dataclass
class _StatusPage:
    """What a page of status changes touches, read in three queries."""

    requests: dict[str, Request]
    outbox: dict[str, OutboxEntry]
    last_server_change: dict[str, dt.datetime]

    @classmethod
    def load(cls, s: Session, changes: Sequence[StatusChange]) -> _StatusPage:
        ids = sorted({c.request_id for c in changes})
        if not ids:
            return cls({}, {}, {})
        requests = {r.id: r for r in s.scalars(select(Request).where(Request.id.in_(ids)))}
        outbox = {
            e.request_id: e
            for e in s.scalars(select(OutboxEntry).where(OutboxEntry.request_id.in_(ids)))
        }
        last = {
            rid: at
            for rid, at in s.execute(
                select(RequestStateChange.request_id, func.max(RequestStateChange.at))
                .where(
                    RequestStateChange.request_id.in_(ids), RequestStateChange.source == "server"
                )
                .group_by(RequestStateChange.request_id)
            )
        }
        return cls(requests, outbox, last)


class StoreQueue:
    """``LocalQueue`` over the real SQLite store."""

    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    # -- push side -------------------------------------------------------------------

    def reclaim_sending(self) -> int:
        with self._store.write() as s:
            return self._back_to_queued(s, None, error=None)

    def requeue(self, ids: Sequence[str], error: str | None = None) -> int:
        if not ids:
            return 0
        with self._store.write() as s:
            return self._back_to_queued(s, list(ids), error=error)

    def _back_to_queued(self, s: Session, ids: list[str] | None, error: str | None) -> int:
        move(State.SENDING, State.QUEUED)
        reqs = update(Request).where(Request.state == State.SENDING)
        if ids is not None:
            reqs = reqs.where(Request.id.in_(ids))
        back = (
            s.execute(
                reqs.values(state=State.QUEUED, updated_at=self._clock()).returning(Request.id)
            )
            .scalars()
            .all()
        )
        if error is not None and back:
            s.execute(
                update(OutboxEntry).where(OutboxEntry.request_id.in_(back)).values(last_error=error)
            )
        return len(back)

    def next_batch(self, limit: int) -> list[RequestItem]:
        """The oldest queued requests as wire items, marked "sending" in the same transaction.

        Read as plain rows of ``requests`` and converted once (desktop.wire); no ORM object
        is built for a request on its way out.
        """
        now = self._clock()
        with self._store.write() as s:
            rows = s.execute(
                select(_REQUESTS)
                .where(Request.state == State.QUEUED)
                .order_by(Request.local_id)  # the ix_requests_state order: seq order
                .limit(max(1, limit))
            ).all()
            items: list[RequestItem] = []
            damaged: list[str] = []
            scans = scan_refs(driver_connection(s), (row.id for row in rows))
            for row in rows:
                try:
                    columns = cast("Mapping[str, Any]", row._mapping)
                    items.append(item_from_columns(columns, scans=scans.get(row.id, ())))
                except (ValueError, TypeError) as exc:
                    # Damaged on this disk (unreadable JSON): it can never be sent, and
                    # must not stop every batch behind it. Set aside for the clerk.
                    log.error("request %s cannot be read for sending: %s", row.id, exc)
                    damaged.append(row.id)
            for rid in damaged:
                req = s.scalar(select(Request).where(Request.id == rid))
                entry = s.get(OutboxEntry, rid)
                if req is not None and entry is not None:
                    self._set_aside(s, req, entry, _DAMAGED, None, now)
            ids = [item.id for item in items]
            if ids:
                move(State.QUEUED, State.SENDING)
                s.execute(
                    update(Request)
                    .where(Request.id.in_(ids))
                    .values(state=State.SENDING, updated_at=now)
                )
                s.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.request_id.in_(ids))
                    .values(attempts=OutboxEntry.attempts + 1, last_attempt_at=now)
                )
            return items

    def apply_results(self, results: Sequence[ItemResult]) -> ResultsApplied:
        now = self._clock()
        counts = {"accepted": 0, "duplicate": 0, "set_aside": 0, "retried": 0, "ignored": 0}
        ids = [r.id for r in results if r.id]
        with self._store.write() as s:
            reqs = {r.id: r for r in s.scalars(select(Request).where(Request.id.in_(ids)))}
            entries = {
                e.request_id: e
                for e in s.scalars(select(OutboxEntry).where(OutboxEntry.request_id.in_(ids)))
            }
            for result in results:
                req = reqs.get(result.id or "")
                entry = entries.get(result.id or "")
                if req is None or entry is None:
                    counts["ignored"] += 1
                    continue
                outcome = self._apply_result(s, req, entry, result, now)
                counts[outcome] += 1
                if outcome == "accepted" and result.status == ItemStatus.DUPLICATE:
                    counts["duplicate"] += 1
        return ResultsApplied(**counts)

    def _apply_result(
        self, s: Session, req: Request, entry: OutboxEntry, result: ItemResult, now: dt.datetime
    ) -> str:
        status = result.status
        state = State(req.state)
        if status in (ItemStatus.ACCEPTED, ItemStatus.DUPLICATE):
            settled = not state.waiting and state is not State.NEEDS_ATTENTION
            if settled and req.tracking_code:
                return "ignored"  # settled already (a resend after a reclaim, say)
            entry.done_at, entry.last_error = now, None
            if not req.tracking_code and result.tracking_code:
                req.tracking_code = result.tracking_code
            if state not in BACK_OFFICE and state is not State.ACCEPTED:
                req.state = move(state, State.ACCEPTED)
                req.reason_fa, req.reason_en = None, None
                s.add(
                    RequestStateChange(
                        request_id=req.id, state=State.ACCEPTED, source="sync", at=now
                    )
                )
            req.updated_at = now
            return "accepted"
        if status in (ItemStatus.REJECTED, ItemStatus.CONFLICT):
            if not state.waiting:
                return "ignored"
            head = _CONFLICT if status == ItemStatus.CONFLICT else _REFUSED
            self._set_aside(s, req, entry, head, result.reasons, now)
            return "set_aside"
        # retry: transient for this item only
        if state is not State.SENDING:
            return "ignored"
        entry.last_error = "the server asked to retry later"
        req.state, req.updated_at = move(state, State.QUEUED), now
        return "retried"

    @staticmethod
    def _set_aside(
        s: Session,
        req: Request,
        entry: OutboxEntry,
        head: Message,
        reasons: dict[str, Message] | None,
        now: dt.datetime,
    ) -> None:
        fa, en = _reason_text(head, reasons)
        entry.last_error = en
        req.state = move(req.state, State.NEEDS_ATTENTION)
        req.reason_fa, req.reason_en, req.updated_at = fa, en, now
        s.add(
            RequestStateChange(
                request_id=req.id,
                state=State.NEEDS_ATTENTION,
                reason_fa=fa,
                reason_en=en,
                source="sync",
                at=now,
            )
        )

    # -- pull side -------------------------------------------------------------------

    def cursor(self) -> str | None:
        with self._store.read() as s:
            row = s.get(KeyValue, CURSOR_KEY)
            return row.value if row is not None and row.value else None

    def reset_cursor(self) -> None:
        with self._store.write() as s:
            row = s.get(KeyValue, CURSOR_KEY)
            if row is not None:
                s.delete(row)

    def apply_changes(self, changes: Sequence[Change], new_cursor: str | None) -> ChangesApplied:
        now = self._clock()
        applied = skipped = 0
        versions: list[int] = []
        with self._store.write() as s:
            # A page is up to a few hundred changes, in the one write transaction the
            # clerk's next save may have to wait for: read what they touch in three
            # queries for the whole page, not three per change.
            page = _StatusPage.load(s, [c for c in changes if isinstance(c, StatusChange)])
            for change in changes:
                if isinstance(change, StatusChange):
                    if self._apply_status(s, change, page):
                        applied += 1
                    else:
                        skipped += 1
                elif isinstance(change, CatalogChange) and self._apply_catalog(s, change, now):
                    versions.append(change.version)
            if new_cursor:
                _put(s, CURSOR_KEY, new_cursor)
        return ChangesApplied(
            status_applied=applied, status_skipped=skipped, catalog_versions=tuple(versions)
        )

    def _apply_status(self, s: Session, change: StatusChange, page: _StatusPage) -> bool:
        req = page.requests.get(change.request_id)
        if req is None:
            return False  # another counter's request: this PC does not hold its content
        if req.state == State.NEEDS_ATTENTION:
            return False
        at = parse_utc_iso(change.at)
        last = page.last_server_change.get(req.id)
        if last is not None and at < last:
            return False  # older than what we have (a replay after a reset)
        state = State(str(change.state))
        current = State(req.state)
        changed = False
        if change.tracking_code and not req.tracking_code:
            req.tracking_code = change.tracking_code
            changed = True
        entry = page.outbox.get(req.id)
        if entry is not None and current.waiting:
            # The server has it: the state below ends its sending.
            entry.done_at, entry.last_error = self._clock(), None
        same = (
            current is state
            and req.reason_fa == change.reason_fa
            and req.reason_en == change.reason_en
        )
        if not same:
            req.state = move(current, state)
            req.reason_fa, req.reason_en = change.reason_fa, change.reason_en
            s.add(
                RequestStateChange(
                    request_id=req.id,
                    state=state,
                    reason_fa=change.reason_fa,
                    reason_en=change.reason_en,
                    source="server",
                    at=at,
                )
            )
            page.last_server_change[req.id] = at
            changed = True
        if changed:
            req.updated_at = self._clock()
        return changed

    def _apply_catalog(self, s: Session, change: CatalogChange, now: dt.datetime) -> bool:
        try:
            catalog = Catalog.from_document(change.catalog)
        except (CatalogError, ValueError, TypeError, KeyError) as exc:
            # Skipped, not fatal: a page must not stall the feed forever on one document.
            log.error("catalogue version %s from the server is unreadable: %s", change.version, exc)
            return False
        if catalog.version != change.version:
            log.error(
                "catalogue change %s carries a document of version %s",
                change.version,
                catalog.version,
            )
            return False
        return add_version(s, catalog, source="server", at=now)

    # -- status ------------------------------------------------------------------------

    def backlog(self) -> BacklogStats:
        with self._store.read() as s:
            waiting, oldest = s.execute(
                select(func.count(), func.min(Request.created_at)).where(Request.state.in_(WAITING))
            ).one()
            attention = s.scalar(
                select(func.count())
                .select_from(Request)
                .where(Request.state == State.NEEDS_ATTENTION)
            )
            next_seq = s.scalar(select(Device.next_seq))
        # min() over a column comes back as the stored text, not through the column type.
        oldest_at = (
            dt.datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
            if isinstance(oldest, str)
            else oldest
        )
        return BacklogStats(
            waiting=int(waiting or 0),
            oldest_waiting_at=oldest_at,
            attention=int(attention or 0),
            last_seq=max(0, int(next_seq or 1) - 1),
        )

    def load_state(self) -> SyncState:
        with self._store.read() as s:
            row = s.get(KeyValue, STATE_KEY)
            return SyncState.from_json(row.value if row is not None else None)

    def save_state(self, state: SyncState) -> None:
        with self._store.write() as s:
            _put(s, STATE_KEY, state.to_json())

    def update_state(self, **changes: Any) -> SyncState:
        """Change some fields of the stored status in one transaction (enrolment uses it)."""
        with self._store.write() as s:
            row = s.get(KeyValue, STATE_KEY)
            state = SyncState.from_json(row.value if row is not None else None)
            for name, value in changes.items():
                setattr(state, name, value)
            _put(s, STATE_KEY, state.to_json())
            return state


def _put(s: Session, key: str, value: str) -> None:
    row = s.get(KeyValue, key)
    if row is None:
        s.add(KeyValue(key=key, value=value))
    else:
        row.value = value


class SyncLock:
    """One sync at a time per data folder (the window's and a scripted ``sync``).

    An OS file lock, so it dies with its process: a killed sync never leaves a stale lock.
    Two syncs at once would still be safe (the server deduplicates), only wasteful.
    """

    FILENAME = "sync.lock"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / self.FILENAME
        self._fh: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False if another process holds it."""
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # held open as long as the lock is held
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()
