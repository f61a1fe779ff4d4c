"""Work off the GUI thread, results posted back to it (Picard's thread helper, Anki's ops).

``Worker`` owns one background thread (a one-thread pool): every database
write and every slow read goes through it in order, so the GUI thread never
waits on disk and writes never interleave. The sync engine has its own
thread (``ui.sync_adapter``); the network never touches this one.

A write says what it changed (``submit(..., changes=REQUEST_SAVED)``, or
``announce(changes)`` for one that ran elsewhere, like a sync round): once it
succeeded, ``changed(Changes)`` is emitted on the GUI thread, and every view that
``follow``s the parts it shows refreshes itself (``desktop.changes``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from desktop.changes import Changes

log = logging.getLogger("pishkhan.ui")


def _alive(callback: Callable[..., object]) -> bool:
    """False for a method of a widget deleted while its job ran (a dialog closed before
    its list arrived): its answer has nowhere to go."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


class _Relay(QObject):
    """Lives in the GUI thread; its signals carry a job's outcome back there."""

    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to the GUI's error mapper, never lost
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


class _Follower(QObject):
    """A view's subscription: a child of the view, so it ends when the view is deleted."""

    def __init__(
        self, view: QObject, wants: Callable[[Changes], bool], refresh: Callable[[], None]
    ) -> None:
        super().__init__(view)
        self._wants = wants
        self._refresh = refresh

    @Slot(object)
    def changed(self, changes: Changes) -> None:
        if self._wants(changes):
            self._refresh()


class Worker(QObject):
    """Runs callables in order on one background thread; tells what the writes changed."""

    changed = Signal(object)  # desktop.changes.Changes, on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        # Slow calls that touch neither the store nor the network (the system's printer
        # list): beside the writes, never in front of them.
        self._aside = QThreadPool(self)
        self._aside.setMaxThreadCount(2)
        self._relays: set[_Relay] = set()

    def submit(
        self,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        changes: Changes | None = None,
    ) -> None:
        """Run ``fn`` after the jobs before it; ``changes``: what it writes, announced
        (after ``on_result``) once it succeeded; a failed write announces nothing."""
        self._start(self._pool, fn, on_result, on_error, changes)

    def aside(
        self,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run ``fn`` on a thread beside the writes (it must not touch the store)."""
        self._start(self._aside, fn, on_result, on_error, None)

    def _start(
        self,
        pool: QThreadPool,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        changes: Changes | None,
    ) -> None:
        relay = _Relay()
        relay.moveToThread(self.thread())
        self._relays.add(relay)

        @Slot(object)
        def done(result: Any) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            try:
                if on_result is not None and _alive(on_result):
                    on_result(result)
            finally:  # the write happened, whatever its caller made of the result
                if changes:
                    self.changed.emit(changes)

        @Slot(object)
        def fail(exc: BaseException) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            if on_error is not None:
                if _alive(on_error):
                    on_error(exc)
            else:
                log.error("background job failed", exc_info=exc)

        relay.succeeded.connect(done)
        relay.failed.connect(fail)
        pool.start(_Job(fn, relay))

    def announce(self, changes: Changes) -> None:
        """Tell the views about a write made elsewhere (GUI thread only)."""
        if changes:
            self.changed.emit(changes)

    def follow(
        self, view: QObject, wants: Callable[[Changes], bool], refresh: Callable[[], None]
    ) -> None:
        """Call ``refresh`` (on the GUI thread) after each write ``wants`` says ``view``
        shows; the subscription ends with ``view``."""
        self.changed.connect(_Follower(view, wants, refresh).changed)

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """Block until queued jobs are done (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)

    @property
    def busy(self) -> bool:
        return self._pool.activeThreadCount() > 0 or bool(self._relays)
