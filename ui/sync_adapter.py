"""The sync engine inside the counter program: its own thread, Qt signals for the window.

``SyncAdapter`` lives in the GUI thread and owns the schedule (one single-shot QTimer);
the engine runs in a ``_SyncRunner`` on a QThread of its own, never on the GUI thread and
never on the database worker of ``ui.worker`` (a round may wait on the network for
minutes; a save must not wait behind it). The engine's plain events are re-emitted as
signals (Electrum's habit): ``statusChanged(SyncStatus)`` whenever something the banner
shows changed, ``requestsChanged()`` after results or feed changes were written (so the
queue view refreshes), ``syncEvent(object)`` for progress.

Given the program's ``Worker``, the adapter follows the writes (``desktop.changes``): a
write that fills the outbox nudges it, and a round that stored results announces
``SYNC_RESULTS`` there, so the queue and the banner refresh themselves.

When rounds run: every ``sync_interval_seconds``; soon after a save (``nudge()``); at
once on F5 (``sync_now()``). The engine's backoff is respected: a nudge or the timer
during a backoff waits for its end; F5 skips our own backoff but not a server's
Retry-After. ``stop()`` (also on the application's aboutToQuit) aborts the call in
progress (the engine shuts its sockets), and waits for the thread: no thread is left
running. Whatever was in flight stays "sending" and is resent by the next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from desktop.changes import SYNC_RESULTS
from desktop.clock import Clock, utc_now
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.office import this_device
from desktop.outbox import SyncLock
from desktop.synccli import make_engine
from desktop.syncstatus import SyncStatus, read_status
from rules.errors import UserFacingError
from rules.messages import Message
from sync.engine import EventSink, SyncEngine, SyncEvent
from ui.worker import Worker

log = logging.getLogger("pishkhan.sync")

EngineFactory = Callable[[EventSink], SyncEngine]
#: A save is followed by a round this soon (several quick saves share one round).
NUDGE_DELAY_S = 2.0
#: Another process (a scripted ``sync``) holds the data folder's sync lock: look again then.
LOCK_RETRY_S = 5.0
#: After an error that is not the network's (disk full, a bug): try again this much later.
LOCAL_ERROR_RETRY_S = 60.0
STOP_WAIT_MS = 15_000


class _SyncRunner(QObject):
    """Runs rounds in the sync thread. Only ``abort()`` may be called from another thread."""

    roundFinished = Signal(object, float)  # SyncStatus, seconds until the next round
    requestsChanged = Signal()
    syncEvent = Signal(object)

    def __init__(
        self, factory: EngineFactory, store: Store, lock: SyncLock, interval_s: float, clock: Clock
    ) -> None:
        super().__init__()
        self._factory = factory
        self._store = store
        self._lock = lock
        self._interval_s = interval_s
        self._clock = clock
        self._engine: SyncEngine | None = None
        self._aborted = False

    def abort(self) -> None:
        self._aborted = True
        engine = self._engine
        if engine is not None:
            engine.request_stop()

    def _ensure_engine(self) -> SyncEngine | None:
        if self._engine is None and not self._aborted:
            try:
                self._engine = self._factory(self.syncEvent.emit)
            except UserFacingError as exc:  # not enrolled (yet): look again later
                log.info("sync not ready: %s", exc)
                return None
        return self._engine

    @Slot(bool)
    def run(self, manual: bool) -> None:
        if self._aborted:
            return
        engine = self._ensure_engine()
        if engine is None:
            self.roundFinished.emit(
                read_status(self._store, self._clock, enrolled=False), self._interval_s
            )
            return
        engine.refresh_state()
        wait = engine.seconds_until_due(manual=manual)
        if wait > 0:  # in backoff: the schedule was early (a nudge); come back at its end
            self.roundFinished.emit(read_status(self._store, self._clock), wait)
            return
        if not self._lock.acquire():
            self.roundFinished.emit(read_status(self._store, self._clock), LOCK_RETRY_S)
            return
        try:
            result = engine.run_round()
        except Exception:  # a local failure (disk full, database locked) or a bug
            log.exception("sync round failed locally")
            self.roundFinished.emit(read_status(self._store, self._clock), LOCAL_ERROR_RETRY_S)
            return
        finally:
            self._lock.release()
        # A failed round put what it had marked "sending" back in the queue: the views
        # must show it waiting again now, not "sending" until the next good round.
        if result.requests_changed or not result.ok:
            self.requestsChanged.emit()
        if result.ok:
            delay = (
                self._interval_s if result.waiting == 0 else max(0.5, engine.seconds_until_due())
            )
        else:
            delay = engine.seconds_until_due()
        self.roundFinished.emit(read_status(self._store, self._clock), delay)


class SyncAdapter(QObject):
    statusChanged = Signal(object)  # SyncStatus
    requestsChanged = Signal()
    syncEvent = Signal(object)  # sync.engine.SyncEvent, for progress
    _runRequested = Signal(bool)

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        settings: Settings | None = None,
        *,
        engine_factory: EngineFactory | None = None,
        clock: Clock = utc_now,
        first_round_delay_s: float = 1.0,
        worker: Worker | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        settings = settings or Settings(data_dir)
        self._store = store
        self._clock = clock
        self._interval_s = float(settings.get("sync_interval_seconds"))
        factory = engine_factory or (
            lambda on_event: make_engine(
                store, data_dir, settings=settings, on_event=on_event, clock=clock
            )
        )
        self._status = read_status(store, clock)
        self._running = False
        self._pending = False  # a round was asked for while one was running
        self._want_manual = False  # the next round is the clerk's F5
        self._stopped = False

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

        self._thread = QThread()
        self._thread.setObjectName("pishkhan-sync")
        self._runner = _SyncRunner(factory, store, SyncLock(data_dir), self._interval_s, clock)
        self._runner.moveToThread(self._thread)
        self._runRequested.connect(self._runner.run)
        self._runner.roundFinished.connect(self._on_round_finished)
        self._runner.requestsChanged.connect(self.requestsChanged)
        self._worker = worker
        if worker is not None:
            # A round's results are a write like any other: the views refresh themselves.
            self.requestsChanged.connect(self._announce_results)
            # A save put something in the outbox: send it while the citizen is still here.
            worker.follow(self, lambda changes: changes.outbox, self.nudge)
        self._runner.syncEvent.connect(self.syncEvent)
        self._thread.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)
        self._schedule(first_round_delay_s, replace_timer=True)

    # -- public ----------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status

    @property
    def running(self) -> bool:
        return self._running

    @Slot()
    def nudge(self) -> None:
        """A request was saved: send it soon (unless the engine is backing off)."""
        self._schedule(max(NUDGE_DELAY_S, self._seconds_until(manual=False)))

    @Slot()
    def sync_now(self) -> None:
        """F5: a round now (our backoff skipped; a server's Retry-After still honoured)."""
        self._want_manual = True
        self._schedule(self._seconds_until(manual=True))

    @Slot()
    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._timer.stop()
        self._runner.abort()
        self._thread.quit()
        if not self._thread.wait(STOP_WAIT_MS):
            log.error("the sync thread did not stop in time")

    # -- scheduling ------------------------------------------------------------------

    def _seconds_until(self, *, manual: bool) -> float:
        now = self._clock()
        limits = [self._status.hold_until] + ([] if manual else [self._status.next_try])
        later = [(t - now).total_seconds() for t in limits if t is not None]
        return max([0.0, *later])

    def _schedule(self, seconds: float, *, replace_timer: bool = False) -> None:
        if self._stopped:
            return
        if self._running:
            self._pending = True  # one at a time: another round once this one ends
            return
        ms = max(0, int(seconds * 1000))
        if not replace_timer and self._timer.isActive() and self._timer.remainingTime() <= ms:
            return  # already due sooner
        self._timer.start(ms)

    @Slot()
    def _on_timer(self) -> None:
        manual, self._want_manual = self._want_manual, False
        self._start_run(manual=manual)

    def _start_run(self, *, manual: bool) -> None:
        if self._stopped or self._running:
            return
        self._running = True
        self._set_status(replace(self._status, running=True))
        self._runRequested.emit(manual)

    @Slot(object, float)
    def _on_round_finished(self, status: SyncStatus, delay: float) -> None:
        self._running = False
        self._set_status(status)
        if self._stopped:
            return
        if self._pending:
            self._pending = False
            soon = (
                self._seconds_until(manual=True)
                if self._want_manual
                else max(NUDGE_DELAY_S, self._seconds_until(manual=False))
            )
            delay = min(delay, soon)
        self._schedule(delay, replace_timer=True)

    @Slot()
    def _announce_results(self) -> None:
        if self._worker is not None:
            self._worker.announce(SYNC_RESULTS)

    def _set_status(self, status: SyncStatus) -> None:
        self._status = status
        self.statusChanged.emit(status)


def create_sync_adapter(
    store: Store, data_dir: Path, settings: Settings, worker: Worker | None = None
) -> SyncAdapter:
    """What ``ui.context.attach_sync`` calls: an adapter for an enrolled PC, started."""
    device = this_device(store)
    if device is None or not (settings.get("server_url") or device.server_url):
        raise UserFacingError(
            Message(
                fa="این رایانه هنوز در سرور مرکزی ثبت نشده است.",
                en="This PC is not enrolled with the central server yet.",
            )
        )
    return SyncAdapter(store, data_dir, settings, worker=worker)


__all__ = ["SyncAdapter", "SyncEvent", "SyncStatus", "create_sync_adapter", "read_status"]
